"""Figures for the facilitator's live view and the projector: pure functions over stored rows.

:func:`live_summary` takes the attempts and learners read from :class:`~kenali.classroom.db.ClassDB` and
the course, and returns who is where, per exercise how many learners tried, how many attempts, the
share correct at the first attempt and in the end, the most common wrong answers as a person reads them
(choice keys turned into their labels) with the feedback learners got for them, and the learners stuck
longest; :class:`LiveState` is the same kept up to date as rows arrive. :func:`projector_summary` shows one
exercise to the room: the distribution of the learners' latest answers and the share correct, with neutral
names ("Peserta 1") and no user names.

Role assignment (``peran``) and matching (``pasangan``) answers are read per part (per actor or term): a whole
assignment is one long string, and two different ones look alike. For these types the live view's wrong
answers are "actor → the role most often given instead of the key", one per part, with the feedback a learner
read for that role, the part most learners got wrong first (``ExerciseStats.parts``: every part's share
correct); the projector shows per actor the roles chosen (``ProjectorSummary.parts``; ``answers`` is empty).
Both count each learner's latest answer (the live view: their latest answered attempt).

Definitions (so the numbers mean one thing everywhere; in code: :mod:`.definitions`):

* an attempt is *wrong* when its status is ``wrong``, ``partial`` or ``invalid``; ``correct`` is right;
  ``unanswered``, ``saved`` (reflection), ``pending`` and ``over_limit`` are neither;
* *first-attempt correct*: the learner's lowest-numbered attempt of the exercise is correct; *correct*:
  any attempt is; both are shares of the learners who tried the exercise (``None`` when nobody did or
  the exercise is not scored);
* a part of a ``peran``/``pasangan`` answer is *wrong* when it names another option than the part's key; an
  empty part is neither right nor wrong;
* a learner is *stuck* on the exercise of their latest attempt when none of their attempts of it is
  correct; "stuck for" runs from their first attempt of it to ``now``.

The modules: :mod:`.definitions` (the statuses, types and limits above), :mod:`.answers` (answers and
feedback as a person reads them), :mod:`.exercises` (one exercise's figures and its common wrong answers),
:mod:`.parts` (``peran``/``pasangan`` per part), :mod:`.learners` (who is where, who is stuck),
:mod:`.state` (:class:`LiveState`, :func:`live_summary`) and :mod:`.projector`.
"""

from __future__ import annotations

from .answers import answer_group, describe, feedback_text, option_label, plain_label
from .definitions import FEEDBACK_SAMPLE, PART_TYPES, TOP_ANSWERS, TOP_STUCK, TOP_WRONG, UNANSWERED, WRONG
from .exercises import ExerciseStats, WrongAnswer
from .learners import LearnerStatus, Stuck
from .parts import PartShares, PartStats, RoleShare, part_feedback, part_roles
from .projector import AnswerShare, Participant, ProjectorSummary, projector_summary
from .state import LiveState, LiveSummary, live_summary

__all__ = [
    "FEEDBACK_SAMPLE",
    "PART_TYPES",
    "TOP_ANSWERS",
    "TOP_STUCK",
    "TOP_WRONG",
    "UNANSWERED",
    "WRONG",
    "AnswerShare",
    "ExerciseStats",
    "LearnerStatus",
    "LiveState",
    "LiveSummary",
    "PartShares",
    "PartStats",
    "Participant",
    "ProjectorSummary",
    "RoleShare",
    "Stuck",
    "WrongAnswer",
    "answer_group",
    "describe",
    "feedback_text",
    "live_summary",
    "option_label",
    "part_feedback",
    "part_roles",
    "plain_label",
    "projector_summary",
]
