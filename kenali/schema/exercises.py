"""The exercise types, each its own class: ``pilihan``, ``pilihan_ganda``, ``peran``, ``pasangan``, ``angka``,
``teks``, ``kode`` and ``refleksi``.

Each class lists exactly its own fields (on top of :class:`kenali.schema.base._Exercise`), checks in
``type_rules`` what its fields cannot express (the key is one of the choices, every wrong option has
its feedback, the solution compiles, ...), builds its runtime :class:`kenali.model.Exercise` in
``to_exercise`` and names its answer shape in ``answer``. :data:`ExerciseSpec` is the tagged union on
``type`` a bank's ``exercises`` are read with; :data:`TYPE_CLASSES` maps each ``type`` to its class.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..model import Exercise, Item, Mistake
from .base import Context, Problem, _Exercise, _Graded
from .fields import IDENT_PATTERN, Key, Text, TextMap
from .parts import CodeMistake, CompareSpec, DirectionFeedback, ItemSpec, NumberMistake, TextFeedback, TextMistake

# ``= []`` and ``= {}`` defaults are copied per instance by pydantic; ruff cannot see across modules that
# _Spec is a pydantic model, hence ``noqa: RUF012``.


def _feedback_rules(choices: Mapping[str, str], feedback: Mapping[str, str], needed: list[str]) -> Iterator[Problem]:
    for c in needed:
        if c not in feedback:
            yield f"feedback.{c}", "is required: every wrong option needs its own explanation"
    for c in feedback:
        if c not in choices:
            yield f"feedback.{c}", f"{c!r} is not one of the choices"


class Pilihan(_Graded):
    """Single choice: one key among the choices."""

    answer: ClassVar[str] = 'a choice key ("b")'
    type: Literal["pilihan"]
    choices: TextMap
    """Option key -> text."""
    key: Key
    feedback: TextMap
    """Required for every wrong choice: why that option is wrong."""

    def type_rules(self, ctx: Context) -> Iterator[Problem]:
        if len(self.choices) < 2:
            yield "choices", "needs at least two choices"
        if self.key not in self.choices:
            yield "key", f"{self.key!r} is not one of the choices {sorted(self.choices)}"
        yield from _feedback_rules(self.choices, self.feedback, [c for c in self.choices if c != self.key])

    def to_exercise(self, ctx: Context) -> Exercise:
        return Exercise(**self.common(ctx), choices=dict(self.choices), key=self.key, feedback=dict(self.feedback))


class PilihanGanda(_Graded):
    """Select all that apply; score = (right picks - wrong picks) / number of keys, not below 0."""

    answer: ClassVar[str] = 'a list of choice keys (["a", "c"])'
    type: Literal["pilihan_ganda"]
    choices: TextMap
    key: Annotated[list[Key], Field(min_length=1)]
    feedback: TextMap
    """Required for every choice: shown when the learner gets that choice wrong."""

    def type_rules(self, ctx: Context) -> Iterator[Problem]:
        if len(self.choices) < 2:
            yield "choices", "needs at least two choices"
        for k in self.key:
            if k not in self.choices:
                yield "key", f"{k!r} is not one of the choices {sorted(self.choices)}"
        yield from _feedback_rules(self.choices, self.feedback, list(self.choices))

    def to_exercise(self, ctx: Context) -> Exercise:
        return Exercise(
            **self.common(ctx), choices=dict(self.choices), key=list(self.key), feedback=dict(self.feedback)
        )


def _item_rules(name: str, items: list[ItemSpec], options: Mapping[str, str]) -> Iterator[Problem]:
    if len(items) < 2:
        yield name, "needs at least two entries"
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        if item.id in seen:
            yield f"{where}.id", f"duplicate id {item.id!r}"
        seen.add(item.id)
        if item.key not in options:
            yield f"{where}.key", f"{item.key!r} is not one of the options {sorted(options)}"
        for option in item.feedback:
            if option not in options:
                yield f"{where}.feedback.{option}", f"{option!r} is not one of the options"
            if option == item.key:
                yield f"{where}.feedback.{option}", "feedback is for wrong options; this is the key"


def _items(items: list[ItemSpec]) -> tuple[Item, ...]:
    return tuple(Item(i.id, i.label, i.key, i.why, dict(i.feedback)) for i in items)


class Peran(_Graded):
    """Role grid: each actor gets one role from roles.yaml; scored per actor."""

    answer: ClassVar[str] = "{actor id: role key}"
    type: Literal["peran"]
    roles: Annotated[list[Key], Field(min_length=1)]
    """Role keys from roles.yaml (never both konsumen and pengguna_akhir)."""
    actors: Annotated[list[ItemSpec], Field(min_length=1)]

    def type_rules(self, ctx: Context) -> Iterator[Problem]:
        for role in self.roles:
            if role not in ctx.roles:
                yield "roles", f"{role!r} is not in roles.yaml"
        if len(set(self.roles)) != len(self.roles) or len(self.roles) < 2:
            yield "roles", "needs at least two different roles"
        if "konsumen" in self.roles and "pengguna_akhir" in self.roles:
            yield "roles", "never offer both 'konsumen' and 'pengguna_akhir': the articles treat them as near-synonyms"
        yield from _item_rules("actors", self.actors, {r: r for r in self.roles})

    def to_exercise(self, ctx: Context) -> Exercise:
        options = {role: ctx.roles[role]["label"] for role in self.roles}
        return Exercise(**self.common(ctx), choices=options, items=_items(self.actors))


class Pasangan(_Graded):
    """Matching: each term gets one option; scored per term. Offer more options than terms."""

    answer: ClassVar[str] = "{item id: option key}"
    type: Literal["pasangan"]
    options: TextMap
    """Option key -> text (a definition, a description)."""
    items: Annotated[list[ItemSpec], Field(min_length=1)]
    """The terms to match."""

    def type_rules(self, ctx: Context) -> Iterator[Problem]:
        yield from _item_rules("items", self.items, self.options)

    def to_exercise(self, ctx: Context) -> Exercise:
        return Exercise(**self.common(ctx), choices=dict(self.options), items=_items(self.items))

class Angka(_Graded):
    """A number, right within an absolute tolerance."""

    answer: ClassVar[str] = "a number (or the text typed into the box)"
    type: Literal["angka"]
    key: float
    tolerance: Annotated[float, Field(ge=0)] = 0.0
    """Absolute; default 0."""
    unit: Text | None = None
    """Shown beside the input."""
    mistakes: list[NumberMistake] = []  # noqa: RUF012
    feedback: DirectionFeedback = DirectionFeedback()

    def to_exercise(self, ctx: Context) -> Exercise:
        feedback = {k: v for k, v in self.feedback.model_dump().items() if v}
        return Exercise(
            **self.common(ctx),
            key=float(self.key),
            tolerance=float(self.tolerance),
            unit=self.unit,
            mistakes=tuple(Mistake(m.feedback, value=float(m.value)) for m in self.mistakes),
            feedback=feedback,
        )

class Teks(_Graded):
    """A short text; case, spacing, hyphens, punctuation, diacritics and a gloss around an accepted form
    do not matter (see :func:`kenali.textnorm.contains_form`)."""

    answer: ClassVar[str] = "a string"
    type: Literal["teks"]
    accepted: Annotated[list[Text], Field(min_length=1)]
    mistakes: list[TextMistake] = []  # noqa: RUF012
    feedback: TextFeedback

    def to_exercise(self, ctx: Context) -> Exercise:
        return Exercise(
            **self.common(ctx),
            key=tuple(self.accepted),
            mistakes=tuple(Mistake(m.feedback, answers=tuple(m.answers)) for m in self.mistakes),
            feedback={"default": self.feedback.default},
        )


class Kode(_Graded):
    """A value computed with Python, checked with ``cek()``; the key is computed from ``solution``."""

    answer: ClassVar[str] = "a plain value from kenali.values.to_plain"
    type: Literal["kode"]
    variable: Text
    starter: Text
    solution: Text
    compare: CompareSpec = CompareSpec()
    mistakes: list[CodeMistake] = []  # noqa: RUF012

    def type_rules(self, ctx: Context) -> Iterator[Problem]:
        if not IDENT_PATTERN.match(self.variable):
            yield "variable", f"{self.variable!r} is not a Python name"
        if self.variable not in self.solution:
            yield "solution", f"must assign {self.variable}"
        for name, code in (("starter", self.starter), ("solution", self.solution)):
            try:
                compile(code, f"{ctx.path.name}:{self.id}:{name}", "exec")
            except SyntaxError as exc:
                yield name, f"is not valid Python: {exc.msg} (line {exc.lineno})"
        for i, mistake in enumerate(self.mistakes):
            try:
                compile(mistake.solution, f"{ctx.path.name}:{self.id}:mistakes[{i}]", "exec")
            except SyntaxError as exc:
                yield f"mistakes[{i}].solution", f"is not valid Python: {exc.msg} (line {exc.lineno})"

    def to_exercise(self, ctx: Context) -> Exercise:
        return Exercise(
            **self.common(ctx),
            variable=self.variable,
            starter=self.starter,
            solution=self.solution,
            compare=self.compare.model_dump(exclude_none=True),
            mistakes=tuple(Mistake(m.feedback, solution=m.solution) for m in self.mistakes),
        )


class Refleksi(_Exercise):
    """"Terapkan di produkmu": an ungraded prompt; the learner's text is saved with their progress."""

    graded_type: ClassVar[bool] = False
    answer: ClassVar[str] = "a string (saved, never scored)"
    type: Literal["refleksi"]
    quick: Literal[True]  # type: ignore[assignment]
    """Required and always true: a refleksi is never graded."""
    question: Text
    """The prompt the learner answers."""
    explanation: Text
    """What a good answer contains (shown after saving)."""
    hints: list[Text] = []  # noqa: RUF012
    """Optional, any number."""

    def _id_rules(self) -> Iterator[Problem]:
        if "k" not in self.id and "r" not in self.id:
            yield "id", f'{self.id!r}: a refleksi has an ID like "1.r1" (or a quick-check ID like "1.k9")'

    def _hint_rules(self) -> Iterator[Problem]:
        yield from ()

    def to_exercise(self, ctx: Context) -> Exercise:
        return Exercise(**self.common(ctx))


ExerciseSpec = Annotated[
    Pilihan | PilihanGanda | Peran | Pasangan | Angka | Teks | Kode | Refleksi, Field(discriminator="type")
]
TYPE_CLASSES: dict[str, type[_Exercise]] = {
    c.model_fields["type"].annotation.__args__[0]: c  # type: ignore[union-attr]
    for c in (Pilihan, PilihanGanda, Peran, Pasangan, Angka, Teks, Kode, Refleksi)
}
