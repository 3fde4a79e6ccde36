"""The content schema: every exercise type as its own typed class, and the one validator of a bank file.

A bank file is validated in two steps, both here and nowhere else:

1. **Shape** (pydantic v2): a tagged union on ``type`` picks the exercise's class; each class lists
   exactly its own fields, so a misspelled or unknown field (``tolerence``, ``feedbak``) is an error,
   and so is a field of the wrong type or a required field left out.
2. **Rules**: each class's :meth:`_Exercise.rules` checks what a type cannot express (the key is one
   of the choices, every wrong option has its own feedback, the solution code compiles, ...).

Every problem becomes a :class:`kenali.bank.BankError` naming the file, the exercise and the field.
``kenali check``, the loader and the tests all go through :func:`validate_bank`; ``kenali schema``
prints :func:`json_schema` for authors' editors (``docs/bank.schema.json``).

The runtime form of an exercise stays the frozen :class:`kenali.model.Exercise` (which the one
judge, :func:`kenali.model.check`, and the grader read); each class builds it in
:meth:`_Exercise.to_exercise`. Each class also names its answer shape in ``answer``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from .model import Exercise, Item, Mistake

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


class _Spec(BaseModel):
    """Shared configuration: unknown fields are errors, texts are stripped, the result is frozen."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )


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
    feedback: Annotated[dict[Key, Text], BeforeValidator(_str_keys)] = {}
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


class DirectionFeedback(_Spec):
    """What to say to a number that is too small or too large."""

    below: Text | None = None
    above: Text | None = None


class Angka(_Graded):
    """A number, right within an absolute tolerance."""

    answer: ClassVar[str] = "a number (or the text typed into the box)"
    type: Literal["angka"]
    key: float
    tolerance: Annotated[float, Field(ge=0)] = 0.0
    """Absolute; default 0."""
    unit: Text | None = None
    """Shown beside the input."""
    mistakes: list[NumberMistake] = []
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


class TextFeedback(_Spec):
    """What to say to any other wrong text."""

    default: Text


class Teks(_Graded):
    """A short text; case, spacing, hyphens, punctuation, diacritics and a gloss around an accepted form
    do not matter (see :func:`kenali.textnorm.contains_form`)."""

    answer: ClassVar[str] = "a string"
    type: Literal["teks"]
    accepted: Annotated[list[Text], Field(min_length=1)]
    mistakes: list[TextMistake] = []
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
    mistakes: list[CodeMistake] = []

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
    hints: list[Text] = []
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
    pools: dict[Key, list[str]] = {}
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


# -- errors ------------------------------------------------------------------------------------

_BANK = TypeAdapter(BankSpec)
_ROLES = TypeAdapter(dict[Key, RoleSpec])
_SYLLABUS = TypeAdapter(SyllabusSpec)
_PY_NAMES = {"str": "str", "int": "int", "float": "float", "bool": "bool", "list": "list", "dict": "dict"}


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic error location as a reader writes it: ``exercises[3].choices.b``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _allowed_fields(cls: type[BaseModel] | None) -> list[str]:
    return sorted(cls.model_fields) if cls is not None else []


def _message(err: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    kind, value = err["type"], err.get("input")
    found = type(value).__name__
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        allowed = _allowed_fields(model)
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
        if name == "points" and model is Refleksi:
            return "a refleksi is never graded and has no points"
        return f"unknown field {name!r} ({hint})"
    if kind in {"string_too_short", "too_short"}:
        if isinstance(value, str | list | dict) and not value:
            return "must not be empty"
        return f"needs at least {err.get('ctx', {}).get('min_length', 1)} entries"
    if kind == "union_tag_invalid":
        tags = ", ".join(TYPE_CLASSES)
        return f"{err.get('ctx', {}).get('tag', value)!r} is not one of {tags}"
    if kind == "union_tag_not_found":
        return "is required"
    if kind == "literal_error" and err["loc"][-1] == "quick":
        return "a refleksi is never graded: it needs quick: true"
    for suffix, name in (("string_type", "str"), ("int_type", "int"), ("int_parsing", "int"),
                         ("float_type", "float"), ("float_parsing", "float"), ("bool_type", "bool"),
                         ("list_type", "list"), ("dict_type", "dict"), ("model_type", "a mapping")):
        if kind == suffix:
            return f"must be {name}, found {found}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match the pattern {err.get('ctx', {}).get('pattern')}"
    return str(err.get("msg", kind))


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    """The pydantic class that holds the last field of ``loc`` (for 'did you mean')."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        if part in TYPE_CLASSES and model is BankSpec:
            model = TYPE_CLASSES[part]
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            if part in TYPE_CLASSES:
                model = TYPE_CLASSES[part]
            continue
        ann = field.annotation
        model = _inner_model(ann)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    meta = getattr(ann, "__origin__", None)
    if meta is not None:
        return _inner_model(meta)
    return None


def _exercise_name(raw: Any, index: int) -> str:
    exercises = raw.get("exercises") if isinstance(raw, Mapping) else None
    entry = exercises[index] if isinstance(exercises, list) and index < len(exercises) else None
    probe = entry.get("id") if isinstance(entry, Mapping) else None
    return str(probe) if probe is not None else f"#{index + 1}"


def shape_problems(path: Path, raw: Any, exc: ValidationError) -> list[tuple[str | None, str | None, str]]:
    """(exercise, field, message) for each shape error of a bank file."""
    out: list[tuple[str | None, str | None, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        exercise: str | None = None
        model = _model_at(loc, BankSpec)
        if len(loc) >= 2 and loc[0] == "exercises" and isinstance(loc[1], int):
            exercise = _exercise_name(raw, loc[1])
            loc = loc[2:]
            if loc and loc[0] in TYPE_CLASSES:
                loc = loc[1:]
            if err["type"] in {"union_tag_invalid", "union_tag_not_found"}:
                loc = ("type",)
        out.append((exercise, field_path(loc) or None, _message(err, model)))
    return out


# -- keyless banks -----------------------------------------------------------------------------
# ``kenali assignment release`` (:mod:`kenali.classroom.release`) writes the learners' copy of a graded
# assignment's banks: the bank carries ``keyless:`` and each exercise of the assignment carries
# ``assignment: <id>`` and none of the fields below (the key and everything that reveals it). Only such a
# bank may leave them out; ``kenali check`` of the course's own banks stays strict.

#: Fields a keyless exercise does not carry, per type (``items``/``actors`` entries lose ``ITEM_SECRETS``).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "pilihan": ("key", "feedback", "explanation"),
    "pilihan_ganda": ("key", "feedback", "explanation"),
    "peran": ("explanation",),
    "pasangan": ("explanation",),
    "angka": ("key", "feedback", "mistakes", "explanation"),
    "teks": ("accepted", "feedback", "mistakes", "explanation"),
    "kode": ("solution", "mistakes", "explanation"),
}
ITEM_SECRETS = ("key", "why", "feedback")
KEYLESS_MARK = "keyless"
ASSIGNMENT_FIELD = "assignment"


def keyless_assignments(raw: Any) -> dict[str, str]:
    """Exercise ID -> assignment ID of the keyless exercises of a bank's raw data (``{}`` for a normal bank)."""
    if not isinstance(raw, Mapping) or KEYLESS_MARK not in raw or not isinstance(raw.get("exercises"), list):
        return {}
    return {str(e["id"]): str(e[ASSIGNMENT_FIELD]) for e in raw["exercises"]
            if isinstance(e, Mapping) and e.get(ASSIGNMENT_FIELD) is not None and "id" in e}


def _placeholders(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A keyless exercise with stand-ins for the fields it lacks, so the one validator checks the rest;
    the stand-ins never reach the runtime exercise (:func:`_without_key`)."""
    out = {k: v for k, v in entry.items() if k != ASSIGNMENT_FIELD}
    kind = out.get("type")
    out.setdefault("explanation", "-")
    choices = out.get("choices") if isinstance(out.get("choices"), Mapping) else {}
    first = next(iter(_str_keys(choices)), "-")
    if kind == "pilihan":
        out["key"] = first
        out["feedback"] = {str(c): "-" for c in choices if str(c) != first} or {"-": "-"}
    elif kind == "pilihan_ganda":
        out["key"], out["feedback"] = [first], {str(c): "-" for c in choices}
    elif kind in {"peran", "pasangan"}:
        name, pool = ("actors", out.get("roles")) if kind == "peran" else ("items", list(_str_keys(
            out.get("options") if isinstance(out.get("options"), Mapping) else {})))
        option = str(pool[0]) if isinstance(pool, list) and pool else "-"
        if isinstance(out.get(name), list):
            out[name] = [{**{k: v for k, v in i.items() if k not in ITEM_SECRETS}, "key": option, "why": "-"}
                         if isinstance(i, Mapping) else i for i in out[name]]
    elif kind == "angka":
        out["key"] = 0.0
        out.pop("mistakes", None), out.pop("feedback", None)
    elif kind == "teks":
        out["accepted"], out["feedback"] = ["-"], {"default": "-"}
        out.pop("mistakes", None)
    elif kind == "kode":
        out["solution"] = f"{out.get('variable')} = None"
        out.pop("mistakes", None)
    return out


def _without_key(ex: Exercise) -> Exercise:
    """The runtime form of a keyless exercise: no key, feedback, explanation, mistakes or solution."""
    import dataclasses

    items = tuple(Item(i.id, i.label, "", "", {}) for i in ex.items)
    return dataclasses.replace(ex, key=None, feedback={}, items=items, explanation="", mistakes=(), solution=None)


# -- the validator -----------------------------------------------------------------------------


def validate_bank(path: Path, raw: Any, roles: Mapping[str, Mapping[str, str]]) -> tuple[BankSpec, list[Exercise]]:
    """Validate one bank file's data: shape, then every rule. Raises the first problem as a BankError
    (with all problems of the file in ``.problems``); returns the typed bank and its runtime exercises."""
    from .bank import BankError

    if not isinstance(raw, Mapping):
        raise BankError(path, f"expected a mapping, found {type(raw).__name__}")
    keyless = keyless_assignments(raw)
    if KEYLESS_MARK in raw:  # a released copy (see above): stand-ins for what was removed
        entries = raw.get("exercises")
        raw = {k: v for k, v in raw.items() if k != KEYLESS_MARK}
        if isinstance(entries, list):
            raw["exercises"] = [_placeholders(e) if isinstance(e, Mapping) and e.get(ASSIGNMENT_FIELD) is not None
                                else e for e in entries]
    try:
        spec = _BANK.validate_python(raw)
    except ValidationError as exc:
        problems = [BankError(path, m, ex, f) for ex, f, m in shape_problems(path, raw, exc)]
        first = problems[0]
        first.problems = problems
        raise first from None
    lesson = spec.lesson.zfill(2)
    pools = {k: tuple(v) for k, v in spec.pools.items()}
    problems = [BankError(path, "must be a list of at least two texts", None, f"pools.{k}")
                for k, v in spec.pools.items() if len(v) < 2]
    ctx = Context(path, lesson, roles, pools)
    exercises: list[Exercise] = []
    seen: set[str] = set()
    for item in spec.exercises:
        found = [BankError(path, m, item.id, f) for f, m in item.rules(ctx)]
        if item.id in seen:
            found.append(BankError(path, "duplicate exercise ID", item.id, "id"))
        seen.add(item.id)
        problems.extend(found)
        if not found:
            exercise = item.to_exercise(ctx)
            exercises.append(_without_key(exercise) if item.id in keyless else exercise)
    if problems:
        problems[0].problems = problems
        raise problems[0]
    return spec, exercises


def validate_roles(path: Path, raw: Any) -> dict[str, dict[str, str]]:
    from .bank import BankError

    try:
        roles = _ROLES.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        message = _message(err, RoleSpec if len(loc) > 1 else None)
        raise BankError(path, message, None, field_path(loc) or None) from None
    return {k: {"label": v.label, "reminder": v.reminder} for k, v in roles.items()}


def validate_syllabus(path: Path, raw: Any) -> SyllabusSpec:
    from .bank import BankError

    try:
        spec = _SYLLABUS.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        raise BankError(path, _message(err, _model_at(loc, SyllabusSpec)), None, field_path(loc) or None) from None
    for i, c in enumerate(spec.concepts):
        if not CONCEPT_PATTERN.match(c.id):
            raise BankError(path, f'{c.id!r} is not a concept ID like "eu.definisi"', None, f"concepts[{i}].id")
    return spec


def _field_docs() -> dict[str, dict[str, str]]:
    """Class name -> {field: the docstring under it} from this module's source (read only when a schema
    is written: pydantic's ``use_attribute_docstrings`` would read it at every import)."""
    import ast
    import inspect
    import sys

    tree = ast.parse(inspect.getsource(sys.modules[__name__]))
    docs: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields = docs.setdefault(node.name, {})
        for stmt, nxt in zip(node.body, node.body[1:], strict=False):
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and isinstance(nxt, ast.Expr)
                    and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str)):
                fields[stmt.target.id] = inspect.cleandoc(nxt.value.value)
    return docs


def _with_docs(schema: dict[str, Any]) -> dict[str, Any]:
    docs = _field_docs()
    classes = {name: cls for name, cls in globals().items() if isinstance(cls, type) and issubclass(cls, BaseModel)}

    def inherited(name: str) -> dict[str, str]:
        out: dict[str, str] = {}
        cls = classes.get(name)
        for base in reversed(cls.__mro__ if cls else ()):
            out.update(docs.get(base.__name__, {}))
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
