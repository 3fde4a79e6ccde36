"""Step 4: re-execute the learners' code, confined, and bring back only plain data.

A package a reader can hold in their head:

* :mod:`.protocol`: the wire format (JSON frames and lines), :class:`Limits`, :class:`RunResult`;
* :mod:`.child`: what runs one submission's code cells (a fork of a worker, never returns);
* :mod:`.worker`: the warm process that forks the children and holds nothing secret;
* :mod:`.pool`: the grader's side, a pool of workers;
* :mod:`.confine`: PID and network namespaces, cgroups, tmpfs, Landlock, rlimits, and which of them
  hold on this kernel for this user.

Scores are never computed here: the grader compares the plain values with its own keys
(:mod:`..score`). Code answers need Linux; elsewhere the pool reports why and widget answers are
still graded.
"""

from .confine import platform_problem
from .pool import Pool, can_drop_privileges
from .protocol import Limits, RunResult, parse_payload

__all__ = ["Limits", "Pool", "RunResult", "can_drop_privileges", "parse_payload", "platform_problem"]
