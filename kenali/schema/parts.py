"""The small specs exercises are made of: an actor or term of a grid, the common mistakes of each answer kind,
how code answers are compared, and the feedback to a number or text that matches nothing.

None of them is an exercise on its own; :mod:`kenali.schema.exercises` uses them as field types
(``Peran.actors``, ``Angka.mistakes``, ``Kode.compare``, ``Teks.feedback``, ...). Like every spec
they are strict and frozen (:class:`kenali.schema.base._Spec`), and the docstring under a field is
its description in the JSON Schema (:mod:`kenali.schema.jsonschema`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, StrictBool

from .base import _Spec
from .fields import Key, Text, _str_keys

# ``= []`` and ``= {}`` defaults are copied per instance by pydantic; ruff cannot see across modules that
# _Spec is a pydantic model, hence ``noqa: RUF012``.


class ItemSpec(_Spec):
    """An actor of a ``peran`` grid or a term of a ``pasangan`` item."""

    id: Key
    """Short and unique within the exercise (the answer is keyed by it)."""
    label: Text
    """What the learner reads (Markdown; ``{name}`` placeholders are filled per learner)."""
    key: Key
    """The right role (``peran``) or option (``pasangan``)."""
    why: Text
    """Why the key is right: the feedback for any wrong option without its own."""
    feedback: Annotated[dict[Key, Text], BeforeValidator(_str_keys)] = {}  # noqa: RUF012
    """Optional, per wrong option: the misconception it reveals."""


class NumberMistake(_Spec):
    """A common wrong number and what it reveals."""

    value: float
    feedback: Text


class TextMistake(_Spec):
    """Common wrong texts and what they reveal."""

    answers: Annotated[list[Text], Field(min_length=1)]
    feedback: Text


class CodeMistake(_Spec):
    """Code for a common wrong answer and what it reveals."""

    solution: Text
    feedback: Text


class CompareSpec(_Spec):
    """How a code answer is compared with the key."""

    rtol: float | None = None
    atol: float | None = None
    check_order: StrictBool | None = None
    check_names: StrictBool | None = None
    ignore_index: StrictBool | None = None


class DirectionFeedback(_Spec):
    """What to say to a number that is too small or too large."""

    below: Text | None = None
    above: Text | None = None


class TextFeedback(_Spec):
    """What to say to any other wrong text."""

    default: Text
