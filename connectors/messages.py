"""Messages kept as a message id and its parameters, shown in the reader's language.

A reason the engine or a connector gives (why a record was skipped, what a platform
answered) is built as a :class:`Message`: its ``key`` is the English text with
``%(name)s`` placeholders, marked with ``gettext_noop`` where it is written so the
catalogue has it. ``str(message)`` is the English text (CSV, API, logs); the pages show
``message.render(translate=True)`` in the user's language. A parameter is plain text
(a platform's own words stay as the platform said them), a number, another message, or
a list of messages shown one after the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

from connectors.sentences import ends_sentence

__all__ = ["JOINED", "Message", "as_text", "gettext_noop", "joined", "message_of"]


def gettext_noop(message: str) -> str:
    """Marks a message id for the catalogue (``makemessages`` looks for this name);
    unlike Django's, usable before the settings are loaded (module level)."""
    return message


#: The key of a message made of several messages one after the other (not translated).
JOINED = "%(parts)s"


@dataclass(frozen=True)
class Message:
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.render(translate=False)

    def render(self, *, translate: bool) -> str:
        """The text, in the active language when ``translate``; never raises (a broken
        translation falls back to the English text)."""
        values = {
            name: _render_param(value, translate=translate) for name, value in self.params.items()
        }
        text = gettext(self.key) if translate and self.key != JOINED else self.key
        if not values:
            return text
        empty = [name for name, value in values.items() if value == ""]
        closed = [name for name, value in values.items() if ends_sentence(str(value))]
        try:
            return _closed_once(_without(text, empty), closed) % values
        except (KeyError, ValueError, TypeError):
            if text != self.key:
                try:
                    return _closed_once(_without(self.key, empty), closed) % values
                except (KeyError, ValueError, TypeError):
                    pass
            return self.key

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "params": {name: _param_json(v) for name, v in self.params.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> Message | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("key"), str):
            return None
        params = data.get("params")
        if not isinstance(params, Mapping):
            params = {}
        return cls(data["key"], {str(name): _param_from_json(v) for name, v in params.items()})


def _without(text: str, names: Sequence[str]) -> str:
    """The text without the placeholders of empty parts, nor the space before them
    ("… arrived %(tried)s" when there was one attempt)."""
    for name in names:
        text = re.sub(rf" ?%\({re.escape(name)}\)s", "", text)
    return text.strip()


def _closed_once(text: str, names: Sequence[str]) -> str:
    """No second full stop after a part that already ends its sentence ("… refused it.")."""
    for name in names:
        text = text.replace(f"%({name})s.", f"%({name})s")
    return text


def _render_param(value: Any, *, translate: bool) -> Any:
    if isinstance(value, Message):
        return value.render(translate=translate)
    if isinstance(value, list | tuple):
        parts = (_render_param(item, translate=translate) for item in value)
        return " ".join(str(part) for part in parts if str(part))
    if value is None:
        return ""
    return value


def _param_json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_param_json(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _param_from_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return Message.from_json(value) or ""
    if isinstance(value, list):
        return [_param_from_json(item) for item in value]
    return value


def joined(parts: Sequence[Message | str]) -> Message:
    """Several notes shown one after the other, each in the reader's language."""
    kept = [part for part in parts if str(part)]
    return Message(JOINED, {"parts": kept})


def message_of(value: Message | str | BaseException) -> Message | str:
    """The message an error or a reason carries: its :class:`Message` when it has one,
    else its text."""
    if isinstance(value, Message):
        return value
    if isinstance(value, BaseException):
        carried = getattr(value, "message", None) or getattr(value, "reason", None)
        if isinstance(carried, Message):
            return carried
        text = getattr(value, "user_message", None)
        return text if isinstance(text, str) else str(value)
    return value


def as_text(value: Message | str) -> str:
    return str(value)


#: A platform's refusal of a record, with its own words (``what`` is the platform's own
#: name for the record: "solution folder", "FAQ list").
REFUSED = gettext_noop("%(platform)s refused the %(what)s: %(answer)s")


def refused_record(*, platform: str, what: str, answer: str) -> Message:
    return Message(REFUSED, {"platform": platform, "what": what, "answer": answer})


def translated(value: Message | str | BaseException) -> str:
    """An error's or a reason's text in the active language (its English text when it
    carries no message id)."""
    carried = message_of(value)
    return carried.render(translate=True) if isinstance(carried, Message) else carried
