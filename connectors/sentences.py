"""Putting a message that may already end a sentence into another one.

A reason such as "the target refused it." placed before a closing "." gives "..": these
helpers close a sentence once, whatever the message brought.
"""

from __future__ import annotations

_CLOSING = (".", "!", "?", "…")


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip().rstrip("”\"')»")
    return stripped.endswith(_CLOSING)


def end_sentence(text: str) -> str:
    """``text`` closed by one full stop: added when missing, never doubled."""
    text = text.rstrip()
    if not text or ends_sentence(text):
        return text
    return text + "."
