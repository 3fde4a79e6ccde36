"""Driving JupyterLab in Chromium the way a learner does: open a notebook, use the menus, type into a cell,
press the widgets' buttons, read what the outputs say, take screenshots.

Cells are found by their notebook cell ID (``ex-1-2``): the ID's position in the saved ``.ipynb`` is the
cell's position on the page (the test server renders every cell, see ``server.LAB_SETTINGS``). Waits are
for specific states (execution counts, texts, classes), never fixed sleeps.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from .server import REPO, LabServer

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:  # conftest.py skips (or, in CI, fails) every e2e test with how to install it
    Locator = Page = expect = None  # type: ignore[assignment,misc]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
UPDATE_SCREENSHOTS = os.environ.get("KENALI_UPDATE_SCREENSHOTS") == "1"

RUN_TIMEOUT_MS = 180_000  # running a whole notebook (kernel start included) on a busy machine
CELL_TIMEOUT_MS = 60_000  # running one cell

_NUMBERED = re.compile(r"^\[\d+\]:$")

# Page-side check of a notebook run: every code cell has an execution count, or an error stopped the run.
_RUN_STATE_JS = """(panel) => {
  const error = panel.querySelector('[data-mime-type="application/vnd.jupyter.error"]');
  if (error) return 'error';
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  return prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim())) ? 'done' : '';
}"""

_ALL_CLEARED_JS = """(panel) => [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
  .every(p => !/\\d/.test(p.textContent))"""


def menu(page: Page, title: str, command: str) -> None:
    """Choose a menu bar entry by its JupyterLab command, e.g. ``menu(page, "Run", "runmenu:run-all")``."""
    page.get_by_role("menuitem", name=title, exact=True).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def screenshot(target: Page | Locator, name: str, *, docs: bool = False) -> Path:
    """Save a PNG of the page or of one element into ``artifacts/`` (always) and ``docs/screenshots/``
    (when ``docs`` and ``KENALI_UPDATE_SCREENSHOTS=1``)."""
    page = target if isinstance(target, Page) else target.page
    page.mouse.move(0, 0)  # no hover highlight on the last button pressed
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    target.screenshot(path=path, animations="disabled", caret="hide")
    if docs and UPDATE_SCREENSHOTS:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (DOCS_SCREENSHOTS / path.name).write_bytes(path.read_bytes())
    return path


class Notebook:
    """One notebook open in JupyterLab, with its cells addressed by cell ID."""

    def __init__(self, page: Page, server: LabServer, path: str):
        self.page, self.server, self.path = page, server, path
        self.file = server.course / path
        self.ids = [cell.get("id") for cell in nbformat.read(self.file, as_version=4).cells]
        self.panel = page.locator(".jp-NotebookPanel:visible")

    # -- finding things ---------------------------------------------------------------------------
    def cell(self, cell_id: str) -> Locator:
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(self.ids.index(cell_id))

    def prompt(self, cell_id: str) -> Locator:
        return self.cell(cell_id).locator(".jp-InputArea-prompt")

    def output(self, cell_id: str) -> Locator:
        """The output area of a code cell (its widgets, once rendered)."""
        return self.cell(cell_id).locator(".jp-OutputArea")

    def widget(self, cell_id: str) -> Locator:
        """The kenali panel a cell shows (an exercise, a code check, identity, progress)."""
        return self.output(cell_id).locator(".kenali-ex").first

    @property
    def tab(self) -> Locator:
        return self.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=Path(self.path).name)

    # -- doing things -----------------------------------------------------------------------------
    def clear_outputs(self) -> None:
        """Edit > Clear Outputs of All Cells, so that a run's end is seen in the execution counts."""
        menu(self.page, "Edit", "editmenu:clear-all")
        self._wait_until_cleared()

    def run_all(self) -> None:
        """Run > Run All Cells (after clearing the stored outputs); wait until every code cell has run."""
        self.clear_outputs()
        menu(self.page, "Run", "runmenu:run-all")
        self.wait_until_run()

    def restart_and_run_all(self) -> None:
        """Kernel > Restart Kernel and Clear Outputs of All Cells, confirm, then Run > Run All Cells."""
        menu(self.page, "Kernel", "kernelmenu:restart-and-clear")
        dialog = self.page.locator(".jp-Dialog")
        dialog.locator("button.jp-mod-accept").click()
        expect(dialog).to_have_count(0)
        self._wait_until_cleared(RUN_TIMEOUT_MS)
        menu(self.page, "Run", "runmenu:run-all")
        self.wait_until_run()

    def wait_until_run(self, timeout_ms: float = RUN_TIMEOUT_MS) -> None:
        """Wait until every code cell shows an execution count; fail with the traceback if a cell raised."""
        state = self.page.wait_for_function(
            _RUN_STATE_JS, arg=self.panel.element_handle(), timeout=timeout_ms, polling=200
        ).json_value()
        if state == "error":
            error = self.panel.locator('[data-mime-type="application/vnd.jupyter.error"]').first
            raise AssertionError(f"a cell of {self.path} raised an error:\n{error.inner_text()}")

    def _wait_until_cleared(self, timeout_ms: float = 30_000) -> None:
        self.page.wait_for_function(_ALL_CLEARED_JS, arg=self.panel.element_handle(), timeout=timeout_ms)

    def run_cell(self, cell_id: str) -> None:
        """Select the cell, press Ctrl+Enter (run, stay on the cell), wait for its new execution count."""
        prompt = self.prompt(cell_id)
        before = prompt.inner_text().strip()
        if not self.cell(cell_id).locator(".cm-focused").count():
            prompt.click()  # select the cell in command mode
        self.page.keyboard.press("Control+Enter")
        expect(prompt).not_to_have_text(before, timeout=CELL_TIMEOUT_MS)
        expect(prompt).to_have_text(_NUMBERED, timeout=CELL_TIMEOUT_MS)
        error = self.output(cell_id).locator('[data-mime-type="application/vnd.jupyter.error"]')
        if error.count():
            raise AssertionError(f"cell {cell_id} of {self.path} raised an error:\n{error.first.inner_text()}")

    def set_code(self, cell_id: str, code: str) -> None:
        """Replace a code cell's text as a learner would: click into its editor, select all, type."""
        editor = self.cell(cell_id).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("Control+a")
        # insert_text types the whole text as one input: no auto-closed brackets or auto-indent to undo
        self.page.keyboard.insert_text(code.rstrip("\n"))
        expect(self.cell(cell_id).locator(".cm-line")).to_have_text(code.rstrip("\n").split("\n"))

    def save(self) -> None:
        """File > Save Notebook; wait until the tab is no longer marked as changed."""
        menu(self.page, "File", "docmanager:save")
        expect(self.tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"))

    def saved_cell_source(self, cell_id: str) -> str:
        """The cell's source as saved on disk (what the grader reads)."""
        cells = nbformat.read(self.file, as_version=4).cells
        return next(cell.source for cell in cells if cell.get("id") == cell_id)


def open_notebook(page: Page, server: LabServer, path: str) -> Notebook:
    """Open ``path`` (relative to the course) alone in JupyterLab, as from a link; wait for all its cells."""
    notebook = Notebook(page, server, path)
    page.goto(server.tree_url(path))
    expect(notebook.panel.locator(".jp-Notebook .jp-Cell")).to_have_count(len(notebook.ids), timeout=RUN_TIMEOUT_MS)
    expect(notebook.tab).to_have_class(re.compile(r"\bjp-mod-current\b"))
    return notebook


def rendered(text: str) -> str:
    """A course text as the page shows it: without the Markdown marks (``**``, ``*``, backticks) that the
    widgets turn into bold, italics and code."""
    return re.sub(r"\*\*|(?<![\w*])\*|\*(?![\w*])|`", "", text)


def button(scope: Locator, label: str) -> Locator:
    """A widget button by its label (the accessible name may start with the icon's glyph)."""
    return scope.get_by_role("button", name=re.compile(rf"(^|\s){re.escape(label)}$"))


def radio(scope: Locator, choices: dict[str, str] | object, key: str) -> Locator:
    """The radio button of option ``key`` of a single-choice exercise, found by its label text ("c. Anaknya"):
    options are shown shuffled per learner and lettered by position (``Exercise.display_order``), so an
    index in the bank's order means nothing on the page. ``choices`` is the exercise or its choices."""
    from kenali.present.text import plain

    options = getattr(choices, "choices", choices)
    words = plain(options[key]).split()  # type: ignore[index]
    # any whitespace between words: ipywidgets may show spaces as non-breaking ones
    text = r"\s+".join(re.escape(w) for w in words)
    label = re.compile(rf"^\s*[a-z]+\.\s+{text}\s*$")
    return scope.locator("label").filter(has_text=label).locator("input[type=radio]")


def selected_label(select: Locator) -> str:
    """The visible text of a ``<select>``'s (an ipywidgets Dropdown's) chosen option. ipywidgets shows
    spaces in options as non-breaking spaces; they are plain spaces again here."""
    text = select.evaluate("s => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text")
    return str(text).replace("\xa0", " ")


def save_identity(identity: Locator, name: str, learner_id: str) -> None:
    """Fill the identity widget of ``00_mulai`` as a learner does, press **Simpan**, wait for the thanks."""
    from kenali.i18n import t

    identity.get_by_label(t("learner.name"), exact=True).fill(name)
    identity.get_by_label(t("learner.id"), exact=True).fill(learner_id)
    button(identity, t("button.save")).click()
    expect(identity).to_contain_text(t("learner.saved", name=name, id=learner_id))


def download_handin(box: Locator, learner_id: str) -> dict[str, bytes]:
    """Press the hand-in button, click its download link, and return the downloaded zip's members (its name
    must be the learner's)."""
    import io
    import zipfile

    from kenali.i18n import t

    button(box, t("button.submit")).click()
    link = box.locator("a.kenali-download")
    expect(link).to_be_visible(timeout=CELL_TIMEOUT_MS)
    with box.page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{learner_id}-kenali.zip"
    with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
