"""The exercise widgets' layout in Chromium, at 1366×768 and at 1024 px wide, in JupyterLab 4 with the file
browser open (what a learner on a laptop sees) and in Notebook 7 (same server, ``/notebooks/...``).

For every kenali widget of an exercise notebook, measured on the page (bounding boxes, not pixels):

* options (radio buttons, checkboxes, assignment rows) never overlap each other or the buttons;
* each radio button and checkbox sits left of its label, centred on the label's first line, however
  many lines the label wraps to;
* a dropdown is wide enough for its longest option (nothing cut) and stays inside the widget;
* nothing sticks out of the widget sideways.

Screenshots of a choice, a multiple-select and an assignment exercise at each width are kept in
``tests/e2e/artifacts/layout-<ui>-<cell>-<width>.png``.
"""

from __future__ import annotations

import importlib.util
import json
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from .lab import RUN_TIMEOUT_MS, Notebook, expect, open_notebook, screenshot
from .server import LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

#: Notebooks with every widget type; exercises 1.2 (roles), 1.4 (long terms), 1.7 (multiple select with
#: long options), 1.8 (single choice with long options) and 3.1 (matching with options too long for a
#: dropdown, shown as a lettered legend) are photographed.
NOTEBOOKS = {
    "exercises/01_pengguna_akhir.ipynb": ("ex-1-2", "ex-1-4", "ex-1-7", "ex-1-8"),
    "exercises/03_klien_customer_konsumen.ipynb": ("ex-3-1",),
    "exercises/04_internal_eksternal.ipynb": (),
}
TOLERANCE_PX = 2.5  # sub-pixel rounding and the native control's own border

#: Page-side measurements of one kenali widget; returns a list of problems (empty: the layout holds).
_LAYOUT_JS = r"""(root) => {
  const problems = [];
  const box = (el) => el.getBoundingClientRect();
  const name = (el) => (el.innerText || el.textContent || el.tagName).trim().replace(/\s+/g, ' ').slice(0, 50);
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
                          && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  const visible = (el) => { const r = box(el); return r.width > 0 && r.height > 0; };
  const title = name(root.querySelector('h4') || root);

  // options: one box per radio label, checkbox, assignment row
  const options = [...root.querySelectorAll('.widget-radio-box label, .widget-checkbox, .kenali-row')]
    .filter(visible);
  const buttons = [...root.querySelectorAll('.widget-button')].filter(visible);
  for (let i = 0; i < options.length; i++) {
    for (let j = i + 1; j < options.length; j++) {
      if (overlap(box(options[i]), box(options[j]))) {
        problems.push(`${title}: option "${name(options[i])}" overlaps "${name(options[j])}"`);
      }
    }
    for (const b of buttons) {
      if (overlap(box(options[i]), box(b))) problems.push(`${title}: option "${name(options[i])}" under a button`);
    }
  }

  // each control on the first line of its label, left of the text
  const controls = [...root.querySelectorAll('.widget-radio-box label, .widget-checkbox .widget-label-basic')]
    .filter(visible);
  for (const label of controls) {
    const input = label.querySelector('input');
    const span = label.querySelector('span');
    const parts = span ? [span]
      : [...label.childNodes].filter(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    const lines = parts.flatMap(node => {
      const range = document.createRange();
      range.selectNodeContents(node);
      return [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    });
    if (!input || !lines.length) { problems.push(`${title}: "${name(label)}" has no control or text`); continue; }
    const first = lines.reduce((a, b) => (b.top < a.top ? b : a));
    const inputBox = box(input);
    const controlMid = inputBox.top + inputBox.height / 2;
    const lineMid = first.top + first.height / 2;
    if (Math.abs(controlMid - lineMid) > TOLERANCE) {
      const off = (controlMid - lineMid).toFixed(1);
      problems.push(`${title}: control of "${name(label)}" is ${off} px off its first line`);
    }
    const textLeft = Math.min(...lines.map(r => r.left));
    if (inputBox.right > textLeft + 1) problems.push(`${title}: control of "${name(label)}" is not left of its text`);
  }

  // dropdowns: the longest option fits, the select stays inside the widget
  const canvas = document.createElement('canvas').getContext('2d');
  const rootBox = box(root);
  for (const select of root.querySelectorAll('select')) {
    const s = getComputedStyle(select);
    canvas.font = `${s.fontStyle} ${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
    const widest = Math.max(...[...select.options].map(o => canvas.measureText(o.text).width));
    const room = select.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (select.scrollWidth > select.clientWidth) problems.push(`${title}: a dropdown scrolls sideways`);
    if (widest > room + 0.5) {
      problems.push(`${title}: a dropdown cuts its labels (${widest.toFixed(0)} px of text in ${room.toFixed(0)} px)`);
    }
    if (box(select).right > rootBox.right + 1) problems.push(`${title}: a dropdown sticks out of the widget`);
  }
  if (root.scrollWidth > root.clientWidth + 1) problems.push(`${title}: the widget scrolls sideways`);
  return problems;
}""".replace("TOLERANCE", json.dumps(TOLERANCE_PX))


def _open_with_file_browser(page: Page, server: LabServer, path: str) -> Notebook:
    """JupyterLab with the file browser open beside the notebook."""
    notebook = open_notebook(page, server, path)
    browser_panel = page.locator("#filebrowser")
    if not browser_panel.is_visible():
        page.locator('.jp-SideBar [data-id="filebrowser"]').first.click()
    expect(browser_panel).to_be_visible()
    return notebook


def _open_in_notebook_7(page: Page, server: LabServer, path: str) -> Notebook:
    """Notebook 7's own page for the notebook (the same server serves it)."""
    if importlib.util.find_spec("notebook") is None:
        pytest.skip("Notebook 7 is not installed (pip install notebook)")
    notebook = Notebook(page, server, path)
    page.goto(f"{server.base_url}/notebooks/{quote(path)}?token={server.token}")
    expect(notebook.panel.locator(".jp-Notebook .jp-Cell")).to_have_count(len(notebook.ids), timeout=RUN_TIMEOUT_MS)
    return notebook


CASES = [
    *(("lab", path) for path in NOTEBOOKS),
    ("notebook7", "exercises/01_pengguna_akhir.ipynb"),
    ("notebook7", "exercises/03_klien_customer_konsumen.ipynb"),
]


@pytest.mark.parametrize(("ui", "path"), CASES, ids=[f"{ui}-{path.split('/')[-1][:2]}" for ui, path in CASES])
def test_options_dropdowns_and_buttons_never_overlap_or_cut(
    wide_page: Page, server: LabServer, ui: str, path: str
) -> None:
    page = wide_page
    width = page.viewport_size["width"] if page.viewport_size else 0
    notebook = (_open_with_file_browser if ui == "lab" else _open_in_notebook_7)(page, server, path)
    notebook.run_all()
    widgets = notebook.panel.locator(".jp-OutputArea .kenali-ex")
    expect(widgets.first).to_be_visible()
    problems: list[str] = []
    checked = 0
    for i in range(widgets.count()):
        widget = widgets.nth(i)
        widget.scroll_into_view_if_needed()
        problems += widget.evaluate(_LAYOUT_JS)
        checked += 1
    for cell_id in NOTEBOOKS[path]:
        widget = notebook.widget(cell_id)
        widget.scroll_into_view_if_needed()
        screenshot(widget, f"layout-{ui}-{cell_id}-{width}")
    assert checked >= 5, f"only {checked} kenali widgets found in {path}"
    assert not problems, f"{path} in {ui} at {width} px:\n" + "\n".join(problems)
