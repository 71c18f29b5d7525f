"""Reading platform JSON: validation that names the broken field.

Each platform package describes the parts of a payload it relies on with small
``WireModel`` classes (extra platform fields ignored) and validates through
:func:`parse_wire`, so a malformed answer fails with
:class:`MalformedPayloadError` saying which field of which record is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.errors import MalformedResponseError
from connectors.messages import Message, gettext_noop


class MalformedPayloadError(MalformedResponseError, ValueError):
    """A platform payload lacks a field the converter needs, or has it in the wrong type.

    ``field`` is the dotted path of the first offending field (``"tickets[0].id"``).
    """

    def __init__(self, user_message: str, *, field: str = "", detail: str = "") -> None:
        super().__init__(user_message, detail=detail)
        self.field = field


class WireModel(BaseModel):
    """What a converter reads from a platform payload; everything else is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


WireT = TypeVar("WireT", bound=WireModel)


def _location(prefix: str, loc: Sequence[int | str]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def parse_wire(
    model: type[WireT], payload: Any, *, platform: str, what: str, path: str | None = None
) -> WireT:
    """Validate ``payload`` as ``model`` or raise :class:`MalformedPayloadError`.

    ``what`` names the record for the message ("ticket"); ``path`` is where it sits
    in the answer ("tickets[3]"), ``what`` when omitted.
    """
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        field = _location(path if path is not None else what, first["loc"])
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "%(platform)s returned a %(what)s that cannot be read: field '%(field)s': "
                    "%(first)s."
                ),
                {"platform": platform, "what": what, "field": field, "first": first["msg"]},
            ),
            field=field,
            detail=str(error),
        ) from error


def envelope_items(payload: Any, *, key: str | None, platform: str, what: str) -> list[Any]:
    """The list of records in a page: ``payload[key]``, or the payload itself if ``key`` is None."""
    items = payload if key is None else (payload.get(key) if isinstance(payload, Mapping) else None)
    if not isinstance(items, list):
        field = key or what
        raise MalformedPayloadError(
            Message(
                gettext_noop("%(platform)s returned a %(what)s page without the list '%(field)s'."),
                {"platform": platform, "what": what, "field": field},
            ),
            field=field,
            detail=repr(payload)[:500],
        )
    return items


def parse_wire_list(
    model: type[WireT], payload: Any, *, key: str | None, platform: str, what: str
) -> list[WireT]:
    """Validate every record of a page, naming the index of a broken one."""
    items = envelope_items(payload, key=key, platform=platform, what=what)
    prefix = key or what
    return [
        parse_wire(model, item, platform=platform, what=what, path=f"{prefix}[{index}]")
        for index, item in enumerate(items)
    ]
