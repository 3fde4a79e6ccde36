"""Role assignment (``peran``) and matching (``pasangan``) answers, read per part.

A whole assignment is one long string, and two different ones look alike, so these answers are counted per
part (per actor or term): :func:`part_roles` reads the option an answer gives each part. In the live view,
:class:`PartCounts` keeps per part how many learners' latest answers give each option, and gives every part's
:class:`PartStats` (the part most learners got wrong first) and the wrong answers shown, "actor → the role
most often given instead of the key", with the feedback a learner read for that role. On the projector,
:func:`part_shares` gives per part the options the learners' latest answers chose (:class:`PartShares`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...model import Exercise, Item
from ..db import AttemptRow
from .answers import option_label, plain_label
from .definitions import TOP_WRONG, share
from .exercises import WrongAnswer
from .learners import Pair


@dataclass(frozen=True)
class PartStats:
    """One part of a ``peran``/``pasangan`` exercise (an actor, a term) over the learners' latest answers."""

    item: str  # the part's id
    label: str  # as the bank writes it, the neutral variant's names filled in
    key: str  # the key's label
    learners: int  # whose latest answer was counted
    correct: int  # gave the key
    correct_share: float | None
    wrong: int  # gave another option
    given: str | None  # the wrong option most often given instead of the key (its label)
    given_learners: int
    feedback: str  # what a learner read for that option


@dataclass(frozen=True)
class RoleShare:
    """One option chosen for one part on the projector (``role`` ``""``: the part left empty)."""

    role: str
    label: str
    learners: int
    share: float
    correct: bool


@dataclass(frozen=True)
class PartShares:
    """One actor or term on the projector: the options the learners' latest answers give it."""

    item: str
    label: str
    key: str  # the key's label (the page shows it on request)
    correct_share: float | None
    roles: list[RoleShare]  # chosen at least once, the most chosen first; the empty part last


def _role_of(value: Any) -> str:
    """One part's option as counted: its key, ``""`` for a part left empty (an odd value as JSON text)."""
    if value is None or value == "":
        return ""
    return value if type(value) is str else json.dumps(value, ensure_ascii=False, default=str)


def part_roles(ex: Exercise, answer: Any) -> tuple[str, ...]:
    """The option an answer gives each of ``ex``'s parts, in the bank's order (``""``: none)."""
    if not isinstance(answer, Mapping):
        return ("",) * len(ex.items)
    return tuple(_role_of(answer.get(item.id)) for item in ex.items)


def part_feedback(ex: Exercise, item: Item, role: str) -> str:
    """What a learner read for giving ``item`` the option ``role`` (the item's ``why`` when it has none)."""
    return plain_label(ex, item.feedback.get(role, item.why))


class PartCounts:
    """The live view's per-part counts of ``peran``/``pasangan`` exercises, kept up to date as attempts arrive."""

    def __init__(self) -> None:
        # exercise -> per part (bank order) -> option -> learners whose latest answer gives it
        self._counts: dict[str, list[dict[str, int]]] = {}
        self._tries: dict[str, list[dict[str, int]]] = {}  # the same over every answered attempt
        self._texts: dict[tuple[str, str, str | None], tuple[str, str, str | None, str]] = {}

    def add(self, ex: Exercise, pair: Pair, row: AttemptRow) -> None:
        """Count an answered attempt of a ``peran``/``pasangan`` exercise per part; the learner's latest one
        replaces the one counted before (a few dictionary lookups per part)."""
        roles = part_roles(ex, row.answer)
        tries = self._tries.get(ex.id)
        if tries is None:
            tries = self._tries[ex.id] = [{} for _ in ex.items]
            self._counts[ex.id] = [{} for _ in ex.items]
        for part, role in zip(tries, roles, strict=True):
            if role:
                part[role] = part.get(role, 0) + 1
        if row.id < pair.roles_id:  # older than the answer counted
            return
        counts = self._counts[ex.id]
        if pair.roles is not None:
            for part, role in zip(counts, pair.roles, strict=True):
                part[role] -= 1
        for part, role in zip(counts, roles, strict=True):
            part[role] = part.get(role, 0) + 1
        pair.roles, pair.roles_id = roles, row.id

    def _labels(self, ex: Exercise, item: Item, given: str | None) -> tuple[str, str, str | None, str]:
        """(part label, key label, given option's label, its feedback), rendered once."""
        cache = (ex.id, item.id, given)
        texts = self._texts.get(cache)
        if texts is None:
            texts = self._texts[cache] = (
                plain_label(ex, item.label), option_label(ex, item.key),
                option_label(ex, given) if given is not None else None,
                part_feedback(ex, item, given) if given is not None else "")
        return texts

    def figures(self, ex: Exercise) -> tuple[list[PartStats], list[WrongAnswer]]:
        """Every part's figures, the one most learners got wrong first, and the wrong answers they make."""
        counts = self._counts.get(ex.id)
        if counts is None:
            return [], []
        rank = {key: i for i, key in enumerate(ex.choices)}
        tries = self._tries[ex.id]
        order: list[tuple[int, str | None, PartStats]] = []
        for i, (item, chosen) in enumerate(zip(ex.items, counts, strict=True)):
            learners = sum(chosen.values())
            right = chosen.get(item.key, 0)
            wrongs = [(role, n) for role, n in chosen.items() if n and role and role != item.key]
            given, given_n = (min(wrongs, key=lambda rn: (-rn[1], rank.get(rn[0], len(rank)), rn[0])) if wrongs
                              else (None, 0))
            label, key, given_label, feedback = self._labels(ex, item, given)
            order.append((i, given, PartStats(
                item=item.id, label=label, key=key, learners=learners, correct=right,
                correct_share=share(right, learners, True), wrong=sum(n for _, n in wrongs), given=given_label,
                given_learners=given_n, feedback=feedback)))
        order.sort(key=lambda igp: (-igp[2].wrong, -igp[2].given_learners, igp[0]))
        wrong = [WrongAnswer(answer=f"{p.label} → {p.given}", attempts=tries[i].get(given or "", 0),
                             learners=p.given_learners, feedback=[p.feedback])
                 for i, given, p in order if p.wrong][:TOP_WRONG]
        return [p for _, _, p in order], wrong


def part_shares(ex: Exercise, answers: list[tuple[str, ...]]) -> list[PartShares]:
    """Per part, in the bank's order: the options the answers give it, the most chosen first (ties in the
    bank's order), a part left empty last; counts sum to ``len(answers)``."""
    rank = {key: i for i, key in enumerate(ex.choices)}
    out = []
    for i, item in enumerate(ex.items):
        chosen = Counter(roles[i] for roles in answers)
        n = len(answers)
        ranked = sorted(chosen.items(), key=lambda rc: (rc[0] == "", -rc[1], rank.get(rc[0], len(rank)), rc[0]))
        out.append(PartShares(
            item=item.id, label=plain_label(ex, item.label), key=option_label(ex, item.key),
            correct_share=share(chosen.get(item.key, 0), n, True),
            roles=[RoleShare(role, option_label(ex, role), c, round(c / n, 4), role == item.key)
                   for role, c in ranked]))
    return out
