"""The specs of the other content files: a lesson's exercise bank, the role glossary's entries and a lesson's
syllabus.

:class:`BankSpec` is the top of a bank file (``kenali/content/<lang>/banks/NN_slug.yaml``); its
``exercises`` are read with the tagged union :data:`kenali.schema.exercises.ExerciseSpec`, and its
JSON Schema is what ``kenali schema`` prints. :class:`RoleSpec` is one entry of ``roles.yaml``;
:class:`SyllabusSpec` and :class:`ConceptSpec` are a ``syllabus/NN.yaml`` file. They are read by
:mod:`kenali.schema.load`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field

from .base import _Spec
from .exercises import ExerciseSpec
from .fields import Key, Text, _str_key

# ``= []`` and ``= {}`` defaults are copied per instance by pydantic; ruff cannot see across modules that
# _Spec is a pydantic model, hence ``noqa: RUF012``.


class BankSpec(_Spec):
    """One lesson's exercise bank (``kenali/content/<lang>/banks/NN_slug.yaml``)."""

    model_config = ConfigDict(title="Kenali exercise bank", defer_build=True)

    lesson: Annotated[str, BeforeValidator(_str_key), Field(pattern=r"^\d+$")]
    """The lesson number, like "01"."""
    notebook: Text
    """File stem of the exercise and solution notebooks."""
    title: Text
    minutes: int
    """Estimated time for the exercise notebook."""
    intro: str = ""
    setup: str = ""
    """Code run in the exercise notebook after mulai() (data lab)."""
    pools: dict[Key, list[str]] = {}  # noqa: RUF012
    """Variant pools shared by the bank's exercises."""
    exercises: Annotated[list[ExerciseSpec], Field(min_length=1)]


class RoleSpec(_Spec):
    label: Text
    reminder: Text


class ConceptSpec(_Spec):
    id: Text
    title: Text
    section: Text


class SyllabusSpec(_Spec):
    """One lesson's syllabus (``syllabus/NN.yaml``)."""

    lesson: Annotated[str, BeforeValidator(_str_key)]
    title: Text
    article: Text | None = None
    concepts: list[ConceptSpec]
