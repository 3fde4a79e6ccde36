"""How long a learner waits after the README's first command: ``kenali open`` to the first live widget.

Starts ``kenali open --no-browser`` on a copy of the course (as the README does, from the course folder),
opens its URL in Chromium, and reports the seconds from the command's start to
  * ``server``: the server answers,
  * ``page``: the start notebook is on screen (its first heading visible),
  * ``widget``: the first kenali widget is live after running the identity cell (kernel start included).
Prints one line per run and a JSON summary. Needs Playwright and Chromium (``/usr/bin/chromium`` or
``KENALI_CHROMIUM``). Usage: ``python bench/open_bench.py [runs]``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.server import (  # noqa: E402
    _command,
    _environment,
    _free_port,
    _kill_group,
    _write_settings,
    copy_course,
)


def one_run(browser, work: Path) -> dict[str, float]:
    import subprocess

    course = copy_course(work / "course")
    env = _environment(work, course, course / ".kenali")
    _write_settings(Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings")  # every cell in the DOM
    port, token = _free_port(), "bench"
    started = time.perf_counter()
    process = subprocess.Popen(_command("open", port, token), cwd=course, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        server = time.perf_counter() - started
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{base}/?token={token}")
        page.locator(".jp-RenderedMarkdown h1").first.wait_for(timeout=120_000)
        shown = time.perf_counter() - started
        cells = page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")
        ids = [cell.get("id") for cell in nbformat.read(course / "notebooks" / "00_mulai.ipynb", as_version=4).cells]
        identity = cells.nth(ids.index("identity"))  # the identity cell of 00_mulai
        identity.scroll_into_view_if_needed()
        identity.locator(".jp-InputArea-prompt").click()
        page.keyboard.press("Control+Enter")
        identity.locator(".kenali-ex input").first.wait_for(timeout=120_000)
        widget = time.perf_counter() - started
        page.close()
        return {"server": server, "page": shown, "widget": widget}
    finally:
        _kill_group(process)


def main() -> None:
    from playwright.sync_api import sync_playwright

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    chromium = os.environ.get("KENALI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for i in range(runs):
            with tempfile.TemporaryDirectory(prefix="kenali-open-bench-") as work:
                result = one_run(browser, Path(work))
            results.append(result)
            print(f"run {i + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.items()), flush=True)
        browser.close()
    summary = {k: round(statistics.median(r[k] for r in results), 2) for k in results[0]}
    print(json.dumps({"runs": runs, "median_seconds": summary}))


if __name__ == "__main__":
    main()
