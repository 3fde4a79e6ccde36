"""The setup check a learner or facilitator runs before a workshop: ``cek_persiapan()``.

Each check returns a typed :class:`CheckResult` (``ok``, ``warn``, ``fail`` or ``skip``) with what it found and,
when something is wrong, what to do, in the learner's language (``persiapan.*`` in messages.yaml). The checks:
Python version, the packages the course needs (importable, with versions), the widget front end, the progress
folder (a probe file created, fsynced and deleted), free disk space, the course files and data, the class server
when ``KENALI_CLASS_URL`` is set, and on Windows path length and OneDrive folders.

In a notebook: ``from kenali.setupcheck import cek_persiapan; cek_persiapan()``. In a terminal, before Jupyter
works at all: ``python -m kenali.setupcheck`` (exit status 1 when a check failed). It needs the standard library
and PyYAML (for its messages) only, so it runs when other course dependencies are missing.
"""

from __future__ import annotations

import html
import importlib
import importlib.metadata as metadata
import json
import os
import re
import shutil
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .i18n import t
from .paths import course_root, data_dir, progress_home

Status = Literal["ok", "warn", "fail", "skip"]

MIN_PYTHON = (3, 11)
#: Distribution name -> import name, where they differ.
IMPORT_NAMES = {"pyyaml": "yaml", "jupyterlab": "jupyterlab", "ipykernel": "ipykernel"}
#: What the course needs when the package's own metadata cannot be read (kept equal to pyproject's dependencies).
FALLBACK_REQUIREMENTS = (
    "jupyterlab>=4.0", "ipywidgets>=8.1", "pandas>=2.1", "matplotlib>=3.8", "pyyaml>=6.0", "pydantic>=2.5",
    "mistune>=3.0", "nbformat>=5.9", "nbclient>=0.10", "ipykernel>=6.25", "voila>=0.5",
)
#: Only ``kenali app`` (the no-code path in Voilà) needs these: missing is a warning, not a failure.
OPTIONAL = frozenset({"voila"})
#: The data lab's CSV files (lesson 05 reads them with ``muat``).
DATA_FILES = ("aktivitas", "akun", "pengguna", "pesanan", "tiket_internal")
DISK_FAIL_MB = 100
DISK_WARN_MB = 500
#: Windows' classic path limit, and the longest path the install writes below the course folder: measured 172
#: characters for a JupyterLab file in ``.venv/lib/python3.11/site-packages`` (``.venv\Lib\site-packages`` on
#: Windows is 11 shorter), so a course folder longer than about 100 characters needs long paths enabled.
WINDOWS_MAX_PATH = 260
COURSE_DEPTH = 161
HEALTH_TIMEOUT = 3.0
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:>=\s*([0-9][0-9A-Za-z.]*))?\s*(?:;(.*))?$")


@dataclass(frozen=True)
class CheckResult:
    """One check: a stable ``key``, its status, a label, what was found and (unless ok) what to do."""

    key: str
    status: Status
    label: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    """Every check's result, with a one-line summary; shows as HTML in a notebook and as text in a terminal."""

    results: tuple[CheckResult, ...]

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "warn"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def result(self, key: str) -> CheckResult:
        return next(r for r in self.results if r.key == key)

    def summary(self) -> str:
        if self.failures:
            return t("persiapan.summary_fail", n=len(self.failures),
                     items=", ".join(r.label for r in self.failures))
        if self.warnings:
            return t("persiapan.summary_warn", n=len(self.warnings),
                     items=", ".join(r.label for r in self.warnings))
        return t("persiapan.summary_ok")

    def text(self) -> str:
        marks = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "–"}
        lines = [t("persiapan.title"), ""]
        for r in self.results:
            lines.append(f"{marks[r.status]} {r.label}: {r.detail}")
            if r.fix:
                lines.append(f"    → {r.fix}")
        lines += ["", self.summary()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colours = {"ok": "#1b7f3b", "warn": "#a05a00", "fail": "#b00020", "skip": "#666"}
        marks = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "–"}
        rows = []
        for r in self.results:
            fix = f"<br><b>{html.escape(t('persiapan.what_to_do'))}</b> {html.escape(r.fix)}" if r.fix else ""
            cell = "text-align:left;vertical-align:top;padding:3px 8px"
            rows.append(
                f'<tr><td style="{cell};color:{colours[r.status]};font-weight:bold">{marks[r.status]}</td>'
                f'<td style="{cell}"><b>{html.escape(r.label)}</b></td>'
                f'<td style="{cell}">{html.escape(r.detail)}{fix}</td></tr>'
            )
        colour = colours["fail"] if self.failures else colours["warn"] if self.warnings else colours["ok"]
        return (
            f"<div class='kenali-persiapan'><h4>{html.escape(t('persiapan.title'))}</h4>"
            f"<table style='border-collapse:collapse'>{''.join(rows)}</table>"
            f"<p style='color:{colour};font-weight:bold'>{html.escape(self.summary())}</p></div>"
        )


# -- the checks ------------------------------------------------------------------------------------------------


def check_python(version_info: Sequence[int] = sys.version_info) -> CheckResult:
    """Python 3.11 or newer."""
    found = ".".join(str(v) for v in version_info[:3])
    if tuple(version_info[:2]) >= MIN_PYTHON:
        return CheckResult("python", "ok", t("persiapan.python.label"), t("persiapan.python.ok", version=found))
    return CheckResult("python", "fail", t("persiapan.python.label"),
                       t("persiapan.python.old", version=found), t("persiapan.python.fix"))


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def requirements() -> list[tuple[str, str | None]]:
    """The course's own dependencies as ``(distribution, minimum version)``, from the installed metadata."""
    try:
        declared = metadata.requires("kenali") or list(FALLBACK_REQUIREMENTS)
    except metadata.PackageNotFoundError:
        declared = list(FALLBACK_REQUIREMENTS)
    out = []
    for line in declared:
        m = _REQ.match(line)
        if m and not m.group(3):  # extras (class, test) are not the learner's
            out.append((m.group(1).lower(), m.group(2)))
    return out


def check_packages(
    required: Iterable[tuple[str, str | None]] | None = None,
    *,
    version_of: Callable[[str], str] = metadata.version,
    importer: Callable[[str], Any] = importlib.import_module,
) -> list[CheckResult]:
    """Each required package imports and is new enough."""
    results = []
    for dist, minimum in required if required is not None else requirements():
        key, label = f"package:{dist}", t("persiapan.package.label", name=dist)
        bad = "warn" if dist in OPTIONAL else "fail"
        fix_install = t("persiapan.package.fix_app" if dist in OPTIONAL else "persiapan.package.fix")
        try:
            importer(IMPORT_NAMES.get(dist, dist.replace("-", "_")))
            version = version_of(dist)
        except Exception as exc:  # ImportError, PackageNotFoundError, or a broken package failing at import
            detail = t("persiapan.package.missing", error=f"{type(exc).__name__}: {exc}"[:200])
            results.append(CheckResult(key, bad, label, detail, fix_install))
            continue
        if minimum and _version_tuple(version) < _version_tuple(minimum):
            results.append(CheckResult(key, bad, label, t("persiapan.package.old", version=version, minimum=minimum),
                                       fix_install))
        else:
            results.append(CheckResult(key, "ok", label, t("persiapan.package.ok", version=version)))
    return results


def _labextension_dirs() -> list[Path]:
    try:
        from jupyter_core.paths import jupyter_path

        return [Path(p) for p in jupyter_path("labextensions")]
    except Exception:
        return [Path(sys.prefix) / "share" / "jupyter" / "labextensions"]


def check_widgets(
    *,
    version_of: Callable[[str], str] = metadata.version,
    labextension_dirs: Iterable[Path] | None = None,
) -> CheckResult:
    """The widget front end: ipywidgets 8 or newer with jupyterlab_widgets and its JupyterLab extension."""
    label = t("persiapan.widgets.label")
    try:
        ipw = version_of("ipywidgets")
    except metadata.PackageNotFoundError:
        return CheckResult("widgets", "fail", label, t("persiapan.widgets.no_ipywidgets"), t("persiapan.widgets.fix"))
    if _version_tuple(ipw) < (8,):
        return CheckResult("widgets", "fail", label, t("persiapan.widgets.old", version=ipw),
                           t("persiapan.widgets.fix"))
    try:
        jlw = version_of("jupyterlab_widgets")
    except metadata.PackageNotFoundError:
        return CheckResult("widgets", "fail", label, t("persiapan.widgets.no_frontend"), t("persiapan.widgets.fix"))
    dirs = list(labextension_dirs) if labextension_dirs is not None else _labextension_dirs()
    if not any((d / "@jupyter-widgets" / "jupyterlab-manager").is_dir() for d in dirs):
        return CheckResult("widgets", "fail", label, t("persiapan.widgets.no_extension", version=jlw),
                           t("persiapan.widgets.fix"))
    return CheckResult("widgets", "ok", label, t("persiapan.widgets.ok", ipywidgets=ipw, frontend=jlw))


def check_progress_folder(home: Path | None = None) -> CheckResult:
    """The progress folder exists or can be made, and a probe file can be written, fsynced, read and deleted."""
    home = Path(home) if home is not None else progress_home()
    label = t("persiapan.progress.label")
    probe = home / f".cek-persiapan-{os.getpid()}.tmp"
    try:
        home.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as fh:
            fh.write(b"kenali")
            fh.flush()
            os.fsync(fh.fileno())
        if probe.read_bytes() != b"kenali":
            raise OSError(t("persiapan.progress.readback"))
        probe.unlink()
    except OSError as exc:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass
        reason = exc.strerror or str(exc)
        return CheckResult("progress", "fail", label, t("persiapan.progress.fail", folder=home, error=reason),
                           t("persiapan.progress.fix", folder=home))
    return CheckResult("progress", "ok", label, t("persiapan.progress.ok", folder=home))


def check_disk(folder: Path | None = None, *, usage: Callable[[Path], Any] = shutil.disk_usage) -> CheckResult:
    """Free space where the progress folder lives (or its nearest existing parent)."""
    folder = Path(folder) if folder is not None else progress_home()
    label = t("persiapan.disk.label")
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    try:
        free_mb = usage(folder).free // 2**20
    except OSError as exc:
        return CheckResult("disk", "warn", label, t("persiapan.disk.unknown", error=exc.strerror or exc))
    if free_mb < DISK_FAIL_MB:
        return CheckResult("disk", "fail", label, t("persiapan.disk.low", mb=free_mb), t("persiapan.disk.fix"))
    if free_mb < DISK_WARN_MB:
        return CheckResult("disk", "warn", label, t("persiapan.disk.low", mb=free_mb), t("persiapan.disk.fix"))
    return CheckResult("disk", "ok", label, t("persiapan.disk.ok", mb=f"{free_mb:,}".replace(",", ".")))


def check_course_files(root: Path | None = None, data: Path | None = None) -> CheckResult:
    """The course folder (lessons, exercise notebooks), the data lab's CSV files and the course content."""
    root = Path(root) if root is not None else course_root()
    data = Path(data) if data is not None else data_dir()
    label = t("persiapan.course.label")
    missing = [f"notebooks/{n}" for n in ("00_mulai.ipynb",) if not (root / "notebooks" / n).is_file()]
    if not (root / "exercises").is_dir():
        missing.append("exercises/")
    missing += [f"data/{name}.csv" for name in DATA_FILES if not (data / f"{name}.csv").is_file()]
    if missing:
        detail = t("persiapan.course.missing", folder=root, files=", ".join(missing))
        return CheckResult("course", "fail", label, detail, t("persiapan.course.fix"))
    try:
        from .bank import load_course

        n = sum(len(b.exercises) for b in load_course().banks)
    except Exception as exc:  # a damaged content file: say which, never a traceback
        return CheckResult("course", "fail", label, t("persiapan.course.content", error=str(exc)[:300]),
                           t("persiapan.course.fix"))
    return CheckResult("course", "ok", label, t("persiapan.course.ok", folder=root, n=n, data=len(DATA_FILES)))


def check_class_server(url: str | None = None, *, timeout: float = HEALTH_TIMEOUT) -> CheckResult:
    """``GET <KENALI_CLASS_URL>api/health`` when a class server is configured; skipped otherwise."""
    url = url if url is not None else os.environ.get("KENALI_CLASS_URL", "")
    label = t("persiapan.server.label")
    if not url:
        return CheckResult("server", "skip", label, t("persiapan.server.none"))
    health = url.rstrip("/") + "/api/health"
    if not health.lower().startswith(("http://", "https://")):
        return CheckResult("server", "warn", label, t("persiapan.server.down", url=health, error="URL"),
                           t("persiapan.server.fix"))
    try:
        with urllib.request.urlopen(health, timeout=timeout) as resp:  # the course's own server, http(s) only
            body = json.loads(resp.read(65536).decode("utf-8"))
        if not (isinstance(body, dict) and body.get("ok") is True):
            raise ValueError(t("persiapan.server.bad_answer"))
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused, HTTP errors, bad JSON
        reason = getattr(exc, "reason", None) or exc
        return CheckResult("server", "warn", label, t("persiapan.server.down", url=health, error=str(reason)[:200]),
                           t("persiapan.server.fix"))
    return CheckResult("server", "ok", label, t("persiapan.server.ok", url=url, db=body.get("db", "?")))


def _long_paths_enabled() -> bool | None:
    try:
        import winreg  # type: ignore[import-not-found]

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\FileSystem") as key:
            return bool(winreg.QueryValueEx(key, "LongPathsEnabled")[0])
    except Exception:
        return None


def check_windows(
    root: Path | None = None,
    *,
    platform: str = sys.platform,
    environ: dict[str, str] | None = None,
    long_paths: Callable[[], bool | None] = _long_paths_enabled,
) -> CheckResult:
    """On Windows: a course folder deep enough to hit the 260-character limit, and folders synced by OneDrive."""
    label = t("persiapan.windows.label")
    if platform != "win32":
        return CheckResult("windows", "skip", label, t("persiapan.windows.not_windows"))
    root = Path(root) if root is not None else course_root()
    env = os.environ if environ is None else environ
    onedrive = [v for k, v in env.items() if k.lower().startswith("onedrive") and v]
    text = str(root)
    if "onedrive" in text.lower() or any(text.lower().startswith(v.lower()) for v in onedrive):
        return CheckResult("windows", "warn", label, t("persiapan.windows.onedrive", folder=root),
                           t("persiapan.windows.onedrive_fix"))
    if len(text) + COURSE_DEPTH > WINDOWS_MAX_PATH and not long_paths():
        return CheckResult("windows", "warn", label, t("persiapan.windows.long", folder=root, n=len(text)),
                           t("persiapan.windows.long_fix"))
    return CheckResult("windows", "ok", label, t("persiapan.windows.ok"))


def run_checks() -> Report:
    """Run every check and return the report (nothing is displayed)."""
    results: list[CheckResult] = [check_python(), *check_packages(), check_widgets(), check_progress_folder(),
                                  check_disk(), check_course_files(), check_class_server(), check_windows()]
    return Report(tuple(results))


def _widget_probe() -> Any:
    """A widget that says it works; where the widget front end is missing its HTML form shows instead."""
    try:
        import ipywidgets as w
    except Exception:
        return None

    class Probe(w.HTML):
        def _repr_mimebundle_(self, **kwargs: Any) -> Any:
            bundle = super()._repr_mimebundle_(**kwargs)
            data = bundle[0] if isinstance(bundle, tuple) else bundle
            data["text/html"] = f"<p class='kenali-static'>✗ {html.escape(t('persiapan.probe.fallback'))}</p>"
            data["text/plain"] = t("persiapan.probe.fallback")
            return bundle

    return Probe(f"<p style='color:#1b7f3b'><b>✓ {html.escape(t('persiapan.probe.ok'))}</b></p>")


def cek_persiapan() -> None:
    """Show the setup check in a notebook: a table of every check, what to do, and a live widget probe."""
    from IPython.display import display

    report = run_checks()
    display(report)
    probe = _widget_probe()
    if probe is not None:
        display(probe)


def main() -> int:
    report = run_checks()
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
