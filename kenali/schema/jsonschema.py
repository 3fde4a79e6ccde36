"""The JSON Schema of a bank file, for authors' editors: what ``kenali schema`` prints and
``docs/bank.schema.json`` holds.

Pydantic writes the schema from :class:`kenali.schema.bank.BankSpec`; each class's docstring is its
description. The docstring under a field is its description too: :func:`_field_docs` reads those from
the source of the spec modules, only when a schema is written (pydantic's ``use_attribute_docstrings``
would read them at every import), and a class inherits its bases' field docs.
"""

from __future__ import annotations

import ast
import inspect
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from . import bank, base, exercises, parts
from .load import _BANK

#: The modules that define the specs, whose field docstrings become descriptions.
_SPEC_MODULES: tuple[ModuleType, ...] = (base, parts, exercises, bank)


def _field_docs() -> dict[str, dict[str, str]]:
    """Class name -> {field: the docstring under it} from the spec modules' source (read only when a schema
    is written: pydantic's ``use_attribute_docstrings`` would read it at every import)."""
    docs: dict[str, dict[str, str]] = {}
    for module in _SPEC_MODULES:
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            fields = docs.setdefault(node.name, {})
            for stmt, nxt in zip(node.body, node.body[1:], strict=False):
                if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                        and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                        and isinstance(nxt.value.value, str)):
                    fields[stmt.target.id] = inspect.cleandoc(nxt.value.value)
    return docs


def _with_docs(schema: dict[str, Any]) -> dict[str, Any]:
    docs = _field_docs()
    classes = {name: cls for module in _SPEC_MODULES for name, cls in vars(module).items()
               if isinstance(cls, type) and issubclass(cls, BaseModel)}

    def inherited(name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        cls = classes.get(name)
        for parent in reversed(cls.__mro__ if cls else ()):
            out.update(docs.get(parent.__name__, {}))
        return out

    for name, definition in [("BankSpec", schema), *schema.get("$defs", {}).items()]:
        for field, text in inherited(name).items():
            prop = definition.get("properties", {}).get(field)
            if prop is not None and "description" not in prop:
                prop["description"] = text
    return schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a bank file, for authors' editors (``kenali schema``, ``docs/bank.schema.json``)."""
    schema = _with_docs(_BANK.json_schema(mode="validation"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://kenali.invalid/bank.schema.json"
    return schema
