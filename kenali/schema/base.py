"""What every exercise has: the shared spec configuration, the fields and rules common to all types, and the
context the rules read.

:class:`_Spec` makes every spec strict (an unknown field is an error), stripped and frozen.
:class:`_Exercise` holds the fields of every exercise and the rules a type cannot express (the ID's
shape and lesson, concept IDs, the hint ladder, positive points, pools), then calls each type's
:meth:`_Exercise.type_rules`; :meth:`_Exercise.common` gathers the fields of the runtime
:class:`kenali.model.Exercise`. :class:`_Graded` adds the hints and points of every type that can be
right or wrong. The types themselves are in :mod:`kenali.schema.exercises`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..model import Exercise
from .fields import CONCEPT_PATTERN, ID_PATTERN, Key, Text


class _Spec(BaseModel):
    """Shared configuration: unknown fields are errors, texts are stripped, the result is frozen."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )


class Context:
    """What the rules need beyond the exercise: the file, the lesson, the role glossary, the bank's pools."""

    def __init__(self, path: Path, lesson: str, roles: Mapping[str, Mapping[str, str]],
                 pools: Mapping[str, tuple[str, ...]]):
        self.path, self.lesson, self.roles, self.pools = path, lesson, roles, pools


Problem = tuple[str, str]  # (field path, message)


class _Exercise(_Spec):
    """The fields every exercise has."""

    graded_type: ClassVar[bool] = True
    answer: ClassVar[str] = ""

    id: Text
    """``"<lesson>.<n>"``, ``"<lesson>.k<n>"`` for a quick check, ``"<lesson>.r<n>"`` for a refleksi."""
    title: Text
    concepts: Annotated[list[Text], Field(min_length=1)]
    """Concept IDs from the syllabus, like ``eu.definisi``."""
    question: str = ""
    """One line: what to answer, shown inside the widget."""
    scenario: str = ""
    """Markdown: the story."""
    explanation: Text
    """Why the key is right; shown after a first attempt."""
    quick: StrictBool = False
    """A quick check inside a lesson (not graded)."""
    section: Text | None = None
    """Markdown heading printed before this exercise in the exercise notebook."""
    pools: dict[Key, list[str]] = {}
    """Variant pools of this exercise (added to the bank's)."""

    # -- rules --------------------------------------------------------------------------------
    def rules(self, ctx: Context) -> Iterator[Problem]:
        """Every rule a type cannot say; yields (field, message) in field order."""
        if not ID_PATTERN.match(self.id):
            yield "id", f'{self.id!r} must look like "1.3" (or "1.k2" for a quick check)'
        elif self.id.split(".")[0] != str(int(ctx.lesson)):
            yield "id", f"{self.id!r} must start with the lesson number {int(ctx.lesson)}"
        else:
            yield from self._id_rules()
        for c in self.concepts:
            if not CONCEPT_PATTERN.match(c):
                yield "concepts", f'{c!r} is not a concept ID like "eu.definisi"'
        yield from self._hint_rules()
        if getattr(self, "points", 1.0) <= 0:
            yield "points", "must be positive"
        for key, values in self.pools.items():
            if len(values) < 2:
                yield f"pools.{key}", "must be a list of at least two texts"
        yield from self.type_rules(ctx)

    def _id_rules(self) -> Iterator[Problem]:
        if "r" in self.id:
            yield "id", f'{self.id!r}: IDs like "1.r1" are for refleksi prompts only'
        elif self.quick != ("k" in self.id):
            yield "quick", 'quick checks (quick: true) and only they have IDs like "1.k2"'

    def _hint_rules(self) -> Iterator[Problem]:
        if len(self.hints) < 2:
            yield "hints", "a hint ladder needs at least two hints"

    def type_rules(self, ctx: Context) -> Iterator[Problem]:
        yield from ()

    # -- the runtime exercise -----------------------------------------------------------------
    def common(self, ctx: Context) -> dict[str, Any]:
        return dict(
            id=self.id,
            type=self.type,  # type: ignore[attr-defined]
            lesson=ctx.lesson,
            concepts=tuple(self.concepts),
            title=self.title,
            question=self.question,
            hints=tuple(self.hints),  # type: ignore[attr-defined]
            explanation=self.explanation,
            scenario=self.scenario,
            points=float(getattr(self, "points", 0.0)),
            quick=self.quick,
            section=self.section,
            source=str(ctx.path),
            pools={**ctx.pools, **{k: tuple(v) for k, v in self.pools.items()}},
        )

    def to_exercise(self, ctx: Context) -> Exercise:
        return Exercise(**self.common(ctx))


class _Graded(_Exercise):
    """The fields of every exercise that can be right or wrong (all types but ``refleksi``)."""

    hints: Annotated[list[Text], Field(min_length=1)]
    """A ladder of at least two hints, from gentle to nearly the answer."""
    points: float = 1.0
    """Default 1; a role grid usually has one point per actor."""
