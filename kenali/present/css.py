"""The widgets' style sheet, one ``<style>`` block shipped with every kenali output.

Layout rules that must hold at 1366×768 and at 1024 px wide with the file browser open, in
JupyterLab 4 and Notebook 7:

* a choice that wraps stays beside its radio button or checkbox, the control aligned with the label's
  first line (the label is a flex row; ipywidgets' fixed heights and floats are undone);
* a checkbox label that wraps takes the height it needs, so it never overlaps the next option, and the
  last option is never hidden under the buttons;
* a role or term dropdown is as wide as its longest label allows and shrinks with the page; on a narrow
  page the row wraps (label above, dropdown below) instead of cutting the label;
* Markdown from the content (lists, tables, code) looks like the notebook's own Markdown.
"""

from __future__ import annotations

STYLE = """<style>
.kenali-ex {border-left: 4px solid #4c7ab8; padding: 4px 12px 8px 12px; margin: 6px 0; max-width: 900px;
  box-sizing: border-box; overflow: visible;}
.kenali-ex .widget-html-content, .kenali-ex .widget-label-basic, .kenali-ex .widget-radio-box label {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  height: auto !important; line-height: 1.4 !important; overflow-wrap: anywhere;}
.kenali-ex .widget-html, .kenali-ex .widget-html > .widget-html-content {height: auto !important;}
.kenali-ex .widget-radio, .kenali-ex .widget-checkbox {height: auto !important; width: 100% !important;
  max-width: 100%; overflow: visible !important;}
.kenali-ex .widget-radio-box {width: 100%; height: auto !important; margin: 0 !important;}
.kenali-ex .widget-radio-box label {display: flex !important; align-items: flex-start !important; gap: 8px;
  margin: 3px 0 !important; padding: 0 !important; cursor: pointer;}
.kenali-ex .widget-radio-box input, .kenali-ex .widget-checkbox input {float: none !important; order: -1;
  flex: 0 0 auto; font-size: inherit !important; height: 1.4em !important; min-height: 0 !important;
  line-height: 1.4 !important; margin: 0 0 0 1px !important; align-self: flex-start;}
.kenali-ex .widget-checkbox {align-items: flex-start !important; margin: 0 !important;}
.kenali-ex .widget-checkbox .widget-label-basic {display: flex !important; align-items: flex-start !important;
  gap: 8px; width: 100% !important; margin: 3px 0 !important; cursor: pointer;}
.kenali-ex .widget-checkbox .widget-label-basic > span {flex: 1 1 auto; min-width: 0;}
.kenali-ex .kenali-options {width: 100%; margin-bottom: 6px;}
.kenali-ex .kenali-row {display: flex; flex-wrap: wrap; align-items: center; column-gap: 12px; row-gap: 2px;
  border-bottom: 1px solid #eee; padding: 3px 0; width: 100%;}
.kenali-ex .kenali-row > .kenali-row-label {flex: 1 1 260px; min-width: 200px;}
.kenali-ex .kenali-row > .widget-dropdown {flex: 0 1 auto; width: auto !important; min-width: 180px;
  max-width: 100%; margin: 0;}
.kenali-ex .kenali-row .widget-dropdown > select {width: auto; max-width: 100%; text-overflow: clip;}
.kenali-ex .kenali-row > .kenali-mark {flex: 0 0 28px; width: 28px !important; margin: 0;}
.kenali-ex .kenali-legend ol {margin: 2px 0 6px 0; padding-left: 2em;}
.kenali-ex .kenali-legend li {margin: 2px 0;}
.kenali-ex .widget-button {flex: 0 0 auto; width: auto !important; min-width: 0; max-width: 100%;}
.kenali-ex .kenali-controls {flex-wrap: wrap; gap: 6px; height: auto !important; margin-top: 4px;}
.kenali-ex table {border-collapse: collapse; margin: 6px 0;}
.kenali-ex th, .kenali-ex td {border: 1px solid #d0d7de; padding: 2px 8px; text-align: left;}
.kenali-ex th {background: #f0f2f4;}
.kenali-ex ul, .kenali-ex ol {margin: 4px 0; padding-left: 1.6em;}
.kenali-ex p {margin: 4px 0;}
.kenali-ex code {background: #f0f2f4; padding: 0 3px; border-radius: 3px;}
.kenali-ex .kenali-scenario {margin: 4px 0 8px 0;}
.kenali-fb-correct {color: #1a7f37;} .kenali-fb-partial {color: #9a6700;} .kenali-fb-wrong {color: #b42318;}
.kenali-ex details summary {cursor: pointer; font-weight: 600;}
.kenali-warn {background: #fff4e5; border-left: 4px solid #f0a500; padding: 4px 8px;}
</style>"""
