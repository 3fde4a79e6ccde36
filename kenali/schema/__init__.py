"""The content schema: every exercise type as its own typed class, and the one validator of a bank file.

A bank file is validated in two steps, both in this package and nowhere else:

1. **Shape** (pydantic v2): a tagged union on ``type`` picks the exercise's class; each class lists
   exactly its own fields, so a misspelled or unknown field (``tolerence``, ``feedbak``) is an error,
   and so is a field of the wrong type or a required field left out.
2. **Rules**: each class's ``rules`` checks what a type cannot express (the key is one of the choices,
   every wrong option has its own feedback, the solution code compiles, ...).

Every problem becomes a :class:`kenali.bank.BankError` naming the file, the exercise and the field.
``kenali check``, the loader and the tests all go through :func:`validate_bank`; ``kenali schema``
prints :func:`json_schema` for authors' editors (``docs/bank.schema.json``). The runtime form of an
exercise stays the frozen :class:`kenali.model.Exercise`; each class builds it in ``to_exercise``.

The modules, in the order they build on each other: :mod:`~kenali.schema.fields` (texts, keys, ID
patterns), :mod:`~kenali.schema.base` (what every exercise has), :mod:`~kenali.schema.parts` (items,
mistakes, feedback), :mod:`~kenali.schema.exercises` (one class per type), :mod:`~kenali.schema.bank`
(bank, roles and syllabus files), :mod:`~kenali.schema.errors` (messages in the course's words),
:mod:`~kenali.schema.keyless` (learners' copies without keys), :mod:`~kenali.schema.load` (the
validators) and :mod:`~kenali.schema.jsonschema` (the schema for editors). Every name is importable
from ``kenali.schema`` itself.
"""

from __future__ import annotations

from .bank import BankSpec, ConceptSpec, RoleSpec, SyllabusSpec
from .base import Context, Problem
from .errors import field_path, model_at, shape_problems
from .exercises import TYPE_CLASSES, Angka, ExerciseSpec, Kode, Pasangan, Peran, Pilihan, PilihanGanda, Refleksi, Teks
from .fields import CONCEPT_PATTERN, ID_PATTERN, IDENT_PATTERN, Key, Text, TextMap
from .jsonschema import json_schema
from .keyless import ASSIGNMENT_FIELD, ITEM_SECRETS, KEYLESS_MARK, SECRET_FIELDS, keyless_assignments
from .load import validate_bank, validate_roles, validate_syllabus
from .parts import (
    CodeMistake,
    CompareSpec,
    DirectionFeedback,
    ItemSpec,
    NumberMistake,
    TextFeedback,
    TextMistake,
)

__all__ = [
    "ASSIGNMENT_FIELD",
    "CONCEPT_PATTERN",
    "IDENT_PATTERN",
    "ID_PATTERN",
    "ITEM_SECRETS",
    "KEYLESS_MARK",
    "SECRET_FIELDS",
    "TYPE_CLASSES",
    "Angka",
    "BankSpec",
    "CodeMistake",
    "CompareSpec",
    "ConceptSpec",
    "Context",
    "DirectionFeedback",
    "ExerciseSpec",
    "ItemSpec",
    "Key",
    "Kode",
    "NumberMistake",
    "Pasangan",
    "Peran",
    "Pilihan",
    "PilihanGanda",
    "Problem",
    "Refleksi",
    "RoleSpec",
    "SyllabusSpec",
    "Teks",
    "Text",
    "TextFeedback",
    "TextMap",
    "TextMistake",
    "field_path",
    "json_schema",
    "keyless_assignments",
    "model_at",
    "shape_problems",
    "validate_bank",
    "validate_roles",
    "validate_syllabus",
]
