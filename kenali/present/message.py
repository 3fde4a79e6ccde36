"""A message that carries its code: the key in ``messages.yaml`` and its parameters.

:func:`msg` returns a :class:`Msg`, which *is* the message's text (a ``str``, so a ``Result`` still
holds plain text that compares, prints and serialises as before) and also keeps the key and the raw
parameters, so the edge renders it again in the learner's language and format:
:func:`kenali.present.feedback.feedback_html` calls :meth:`Msg.render` with the learner's variant,
numbers go through :mod:`.numbers` (``1234.5`` → ``1.234,5``) and nested messages are rendered too.
Checking code (``model.check``, ``values.compare``) passes numbers as numbers and never formats them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..i18n import t
from . import numbers


class Percent(float):
    """A share already in percent, shown as ``12%`` (``<1%`` below one)."""


def _same(text: str) -> str:
    return text


def _param(value: Any, fill: Callable[[str], str]) -> str:
    if isinstance(value, Msg):
        return value.render(fill)
    if isinstance(value, Percent):
        return numbers.percent(value, 0) if value >= 1 else "<" + numbers.percent(1, 0)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return numbers.number(value, 4)
    if isinstance(value, str):
        return fill(value)
    return str(value)


def _render(key: str, params: Mapping[str, Any], fill: Callable[[str], str]) -> str:
    if not key:  # messages joined with a space
        return " ".join(_param(part, fill) for part in params["parts"])
    return t(key, **{name: _param(value, fill) for name, value in params.items()})


def _rebuild(key: str, params: dict[str, Any]) -> Msg:
    return Msg(key, **params)


class Msg(str):
    """The text of message ``key`` with ``params``, which remembers both (see the module docstring)."""

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, /, **params: Any) -> Msg:
        self = super().__new__(cls, _render(key, params, _same))
        self.key, self.params = key, params
        return self

    def render(self, fill: Callable[[str], str] = _same) -> str:
        """The message in the active language, with ``fill`` applied to its text parameters."""
        return _render(self.key, self.params, fill)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self.key, self.params)


def msg(key: str, /, **params: Any) -> Msg:
    """Message ``key`` of ``messages.yaml`` with raw ``params`` (numbers stay numbers)."""
    return Msg(key, **params)


def joined(*parts: Msg | str) -> Msg:
    """Several messages read as one sentence, separated by spaces."""
    return Msg("", parts=tuple(parts))


def render(message: str, fill: Callable[[str], str] = _same) -> str:
    """A message as the learner reads it: a :class:`Msg` rendered afresh, plain text filled."""
    return message.render(fill) if isinstance(message, Msg) else fill(message)
