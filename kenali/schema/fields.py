"""The field types every spec is built from: stripped non-empty texts, keys and text maps, and the patterns of IDs.

YAML reads ``{1: ...}`` with integer keys and ``key: 2`` as a number; choice, option and item keys are
text, so :data:`Key` and :data:`TextMap` turn such numbers into strings before pydantic checks them.
:data:`Text` is a stripped string that must not be empty. The three patterns say what an exercise ID,
a concept ID and a Python name look like; the rules of :mod:`kenali.schema.base` and
:mod:`kenali.schema.exercises` (and the syllabus check in :mod:`kenali.schema.load`) use them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints

ID_PATTERN = re.compile(r"^\d+\.([kr]?\d+)$")
CONCEPT_PATTERN = re.compile(r"^[a-z]{2}\.[a-z0-9-]+$")
IDENT_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _str_keys(value: Any) -> Any:
    """YAML reads ``{1: ...}`` with integer keys; choice and option keys are text (as they always were)."""
    if isinstance(value, Mapping):
        return {str(k) if isinstance(k, int | float) and not isinstance(k, bool) else k: v for k, v in value.items()}
    return value


def _str_key(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[str, BeforeValidator(_str_key), StringConstraints(strip_whitespace=True, min_length=1)]
TextMap = Annotated[dict[Key, Text], BeforeValidator(_str_keys), Field(min_length=1)]
