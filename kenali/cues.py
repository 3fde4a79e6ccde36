"""The author's cue report (``kenali check --cues``): where an item can be answered by test-wiseness.

A cue is not an error: a valid bank may have some, and ``kenali check`` still passes. It is a
place an author should look at, because a learner who never read the lesson could score there:

``longest``      single choice / select all: the key is the longest option, or much longer than the mean
``position``     per bank: where the keys of single-choice items sit in the bank's order (never 'd', ...)
``echo``         words of the question repeated in the key and in no distractor (the scenario is left
                 out: a key naming the story's actors is normal, a key echoing the question is a cue)
``role-order``   a role grid lists its actors in the same order as its roles
``elimination``  a matching item (or a role grid) with no more options than terms: the last is free

Learners see options, actors and terms shuffled (:mod:`kenali.shuffle`), which removes the
position cue for them but not for a reader of the solution notebook or the bank; the others are
in the words themselves and only rewriting removes them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .bank import Bank, Course
from .model import Exercise
from .textnorm import normalize

#: The key is "much longer" than the other options when it is at least this many times their mean length.
MUCH_LONGER = 1.3
#: Stem words shorter than this are never counted as echoes.
MIN_ECHO_LENGTH = 5
#: Common words that carry no cue (Bahasa Indonesia and the course's everyday vocabulary).
STOPWORDS = frozenset(
    """yang dengan untuk dari pada atau dalam adalah tidak akan bisa juga karena oleh sebagai lebih hanya
    sudah belum mereka kepada tetapi setiap semua bukan harus dapat masih sangat paling ketika setelah
    sebelum tanpa antara seperti sendiri orang kamu kami kita adalah itulah berikut mana siapa apakah
    bagaimana mengapa kenapa berapa manakah tersebut banyak sedang selalu kadang""".split()
)
_PLACEHOLDER = re.compile(r"\{\w+\}")


@dataclass(frozen=True)
class Cue:
    """One place a test-wise learner could guess: the bank, the exercise, the kind and what to look at."""

    bank: str
    exercise: str | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = self.bank + (f", exercise {self.exercise}" if self.exercise else "")
        return f"{where} [{self.kind}]: {self.message}"


def _length(text: str) -> int:
    return len(normalize(_PLACEHOLDER.sub("", text)))


def _words(text: str) -> set[str]:
    return {w for w in normalize(_PLACEHOLDER.sub(" ", text)).split() if len(w) >= MIN_ECHO_LENGTH} - STOPWORDS


def length_cue(ex: Exercise) -> str | None:
    """Whether the key stands out by length (single choice and select all)."""
    keys = [ex.key] if ex.type == "pilihan" else list(ex.key)
    others = [_length(text) for c, text in ex.choices.items() if c not in keys]
    if not others:
        return None
    key_lengths = [_length(ex.choices[k]) for k in keys]
    key_mean = sum(key_lengths) / len(key_lengths)
    mean = sum(others) / len(others)
    if min(key_lengths) > max(others):
        what = "the key is the longest option" if len(keys) == 1 else "every key is longer than every other option"
        return f"{what} ({key_mean:.0f} characters; the others {mean:.0f} on average)"
    if key_mean >= MUCH_LONGER * mean:
        return f"the key is much longer than the other options ({key_mean:.0f} characters against {mean:.0f})"
    return None


def echo_cue(ex: Exercise) -> str | None:
    """Question words the key repeats and no distractor does."""
    stem = _words(ex.question)
    keys = [ex.key] if ex.type == "pilihan" else list(ex.key)
    in_keys = set().union(*(_words(ex.choices[k]) for k in keys))
    in_others = set().union(set(), *(_words(text) for c, text in ex.choices.items() if c not in keys))
    echoed = sorted((stem & in_keys) - in_others)
    if not echoed:
        return None
    return f"the key repeats words of the question that no other option has: {', '.join(echoed)}"


def order_cue(ex: Exercise) -> str | None:
    """A role grid whose actors come in the order of its roles (first actor, first role, ...)."""
    roles = list(ex.choices)
    positions = [roles.index(item.key) for item in ex.items]
    if len(positions) >= 3 and len(set(positions)) >= 2 and positions == sorted(positions):
        return "the actors are listed in the same order as the roles"
    return None


def elimination_cue(ex: Exercise) -> str | None:
    """As many options as terms, each used once: the last term is solved by elimination."""
    used = Counter(item.key for item in ex.items)
    if ex.type == "pasangan" and len(ex.choices) <= len(ex.items):
        return f"{len(ex.choices)} options for {len(ex.items)} terms: offer more options than terms"
    if ex.type == "peran" and len(ex.choices) == len(ex.items) and all(n == 1 for n in used.values()):
        return "each role is used exactly once by as many actors: the last actor is solved by elimination"
    return None


def exercise_cues(bank_name: str, ex: Exercise) -> list[Cue]:
    """The cues of one exercise."""
    checks = []
    if ex.type in {"pilihan", "pilihan_ganda"}:
        checks = [("longest", length_cue), ("echo", echo_cue)]
    elif ex.type == "peran":
        checks = [("role-order", order_cue), ("elimination", elimination_cue)]
    elif ex.type == "pasangan":
        checks = [("elimination", elimination_cue)]
    out = []
    for kind, check in checks:
        message = check(ex)
        if message:
            out.append(Cue(bank_name, ex.id, kind, message))
    return out


def key_positions(bank: Bank) -> tuple[Counter[int], Counter[int]]:
    """For the bank's single-choice items: how often the key is the n-th option (0-based), and how many
    items have an n-th option at all."""
    keys: Counter[int] = Counter()
    offered: Counter[int] = Counter()
    for ex in bank.exercises:
        if ex.type == "pilihan":
            keys[list(ex.choices).index(ex.key)] += 1
            offered.update(range(len(ex.choices)))
    return keys, offered


def position_cues(bank: Bank) -> list[Cue]:
    """A position that is never the key although several items offer it, or one that holds most keys."""
    keys, offered = key_positions(bank)
    total = sum(keys.values())
    if total < 3:
        return []
    letters = "abcdefghij"
    spread = ", ".join(f"{letters[p]}: {keys[p]}" for p in sorted(offered))
    out = []
    never = [letters[p] for p in sorted(offered) if offered[p] >= 3 and keys[p] == 0]
    if never:
        out.append(Cue(bank.path.name, None, "position",
                       f"no single-choice key is ever option {', '.join(never)} ({spread} over {total} items)"))
    top, count = keys.most_common(1)[0]
    if total >= 4 and count > total / 2:
        out.append(Cue(bank.path.name, None, "position",
                       f"{count} of {total} single-choice keys are option {letters[top]} ({spread})"))
    return out


def bank_cues(bank: Bank) -> list[Cue]:
    """Every cue of one bank, the bank-wide position cue first."""
    out = position_cues(bank)
    for ex in bank.exercises:
        out.extend(exercise_cues(bank.path.name, ex))
    return out


def course_cues(course: Course | Iterable[Bank]) -> list[Cue]:
    """Every cue of every bank."""
    banks = course.banks if isinstance(course, Course) else course
    return [cue for bank in banks for cue in bank_cues(bank)]
