"""Small inline SVG charts for the class summary: a histogram and bar charts.

Plain SVG text, no plotting library: the summary opens in any browser, prints sharply, costs
milliseconds instead of the second matplotlib takes to import, and is byte-identical run to run.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

BLUE = "#4c7ab8"
GRID = "#d0d7de"
TEXT = "#1f2328"
FONT = "font-family='system-ui, sans-serif' font-size='11'"


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{_n(width)}' height='{_n(height)}' "
            f"viewBox='0 0 {_n(width)} {_n(height)}'><title>{html.escape(title)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, text: str, anchor: str = "middle", extra: str = "") -> str:
    return (f"<text x='{_n(x)}' y='{_n(y)}' text-anchor='{anchor}' fill='{TEXT}' {FONT} {extra}>"
            f"{html.escape(text)}</text>")


def histogram(values: Sequence[float], edges: Sequence[float], xlabel: str, ylabel: str, title: str) -> str:
    """Counts of ``values`` per bin ``[edges[i], edges[i+1])`` (the last bin includes its right edge)."""
    counts = [0] * (len(edges) - 1)
    for v in values:
        for i in range(len(counts)):
            last = i == len(counts) - 1
            if edges[i] <= v < edges[i + 1] or (last and v == edges[i + 1]):
                counts[i] += 1
                break
    left, top, width, height = 44, 10, 560, 170
    peak = max(counts, default=0) or 1
    step = max(1, -(-peak // 5))
    ticks = list(range(0, peak + step, step))
    scale = height / ticks[-1]
    body = []
    for tick in ticks:
        y = top + height - tick * scale
        body.append(f"<line x1='{left}' x2='{left + width}' y1='{_n(y)}' y2='{_n(y)}' stroke='{GRID}'/>")
        body.append(_text(left - 6, y + 4, str(tick), "end"))
    bar = width / len(counts)
    for i, count in enumerate(counts):
        h = count * scale
        x = left + i * bar
        body.append(f"<rect x='{_n(x + 1)}' y='{_n(top + height - h)}' width='{_n(bar - 2)}' height='{_n(h)}' "
                    f"fill='{BLUE}'><title>{_n(edges[i])}–{_n(edges[i + 1])}: {count}</title></rect>")
        if count:
            body.append(_text(x + bar / 2, top + height - h - 3, str(count)))
    for i, edge in enumerate(edges):
        body.append(_text(left + i * bar, top + height + 14, _n(edge)))
    body.append(_text(left + width / 2, top + height + 32, xlabel))
    body.append(_text(12, top + height / 2, ylabel, extra=f"transform='rotate(-90 12 {_n(top + height / 2)})'"))
    return _svg(left + width + 16, top + height + 40, body, title)


def bars(labels: Sequence[str], values: Sequence[float], axis_label: str, title: str, *,
         horizontal: bool = False, maximum: float = 100.0) -> str:
    """One bar per label, values on a 0..maximum axis (percentages by default)."""
    ticks = [maximum * i / 5 for i in range(6)]
    body = []
    if horizontal:
        label_w = min(260, 12 + 6.2 * max((len(x) for x in labels), default=4))
        left, top, width, row = label_w, 8, 420, 18
        height = row * len(labels)
        for tick in ticks:
            x = left + width * tick / maximum
            body.append(f"<line x1='{_n(x)}' x2='{_n(x)}' y1='{top}' y2='{_n(top + height)}' stroke='{GRID}'/>")
            body.append(_text(x, top + height + 14, _n(tick)))
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            y = top + i * row
            w = width * max(0.0, min(value, maximum)) / maximum
            body.append(f"<rect x='{_n(left)}' y='{_n(y + 2)}' width='{_n(w)}' height='{row - 4}' fill='{BLUE}'>"
                        f"<title>{html.escape(label)}: {_n(value)}</title></rect>")
            body.append(_text(left - 6, y + row / 2 + 4, label, "end"))
        body.append(_text(left + width / 2, top + height + 32, axis_label))
        return _svg(left + width + 20, top + height + 40, body, title)
    left, top, height = 44, 10, 170
    slot = max(14.0, min(40.0, 640 / max(1, len(labels))))
    width = slot * len(labels)
    for tick in ticks:
        y = top + height - height * tick / maximum
        body.append(f"<line x1='{left}' x2='{_n(left + width)}' y1='{_n(y)}' y2='{_n(y)}' stroke='{GRID}'/>")
        body.append(_text(left - 6, y + 4, _n(tick), "end"))
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = height * max(0.0, min(value, maximum)) / maximum
        x = left + i * slot
        body.append(f"<rect x='{_n(x + 2)}' y='{_n(top + height - h)}' width='{_n(slot - 4)}' height='{_n(h)}' "
                    f"fill='{BLUE}'><title>{html.escape(label)}: {_n(value)}</title></rect>")
        cx, cy = x + slot / 2, top + height + 8
        body.append(_text(cx, cy, label, "end", f"transform='rotate(-90 {_n(cx)} {_n(cy)})' dy='4'"))
    body.append(_text(12, top + height / 2, axis_label, extra=f"transform='rotate(-90 12 {_n(top + height / 2)})'"))
    return _svg(left + width + 16, top + height + 56, body, title)
