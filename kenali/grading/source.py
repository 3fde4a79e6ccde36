"""Learner code as text: the one helper the grader and its sandbox share (kept free of heavy imports)."""

from __future__ import annotations


def clean_source(source: str) -> str:
    """IPython-only lines (``%magic``, ``!shell``, ``name?``) become ``pass``, so the rest parses as Python."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines[0] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            out.append(indent + "pass")
        else:
            out.append(line)
    return "\n".join(out)
