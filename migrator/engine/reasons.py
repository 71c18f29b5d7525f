"""The reasons the engine gives for a record, as messages shown in the reader's language.

Each is a :class:`~connectors.messages.Message`: English text with ``%(name)s``
placeholders, marked here for the catalogue, and its parameters (ids, names, and the
platforms' own words, which stay as the platform said them).
"""

from __future__ import annotations

from connectors.errors import ConnectorError
from connectors.messages import Message, gettext_noop, message_of
from connectors.schema import Entity

# ------------------------------------------------------------------ records not read

_NO_SUCH_RECORD = {
    Entity.TICKETS: gettext_noop("No ticket with id %(id)s on %(platform)s."),
    Entity.ARTICLES: gettext_noop("No article with id %(id)s on %(platform)s."),
}
_NO_SUCH_ANY = gettext_noop("No record with id %(id)s on %(platform)s.")
VANISHED = gettext_noop(
    "It was not found on the source when it was read: deleted since it was counted or chosen."
)


def no_such_record(*, entity: Entity, source_id: str, platform: str) -> Message:
    """A chosen id the source has no record for."""
    key = _NO_SUCH_RECORD.get(entity, _NO_SUCH_ANY)
    return Message(key, {"id": source_id, "platform": platform})


def requester_not_migrated(*, requester_id: str, why: Message | str) -> Message:
    return Message(
        gettext_noop(
            "The ticket's requester (%(id)s) was not migrated, and the target needs a "
            "requester for every ticket. Why the requester was not migrated: %(why)s"
        ),
        {"id": requester_id, "why": why},
    )


def vanished() -> Message:
    return Message(VANISHED)


# ------------------------------------------------------------------ failures


def target_refused(error: ConnectorError) -> Message:
    return Message(gettext_noop("The target refused it: %(answer)s"), {"answer": message_of(error)})


def not_converted(problems: str) -> Message:
    return Message(
        gettext_noop("The record could not be converted for the target: %(problems)s"),
        {"problems": problems},
    )


def unexpected(error: BaseException) -> Message:
    return Message(
        gettext_noop("An unexpected error stopped this record (%(error)s)."),
        {"error": type(error).__name__},
    )


def partly_written(*, missing: str, refused: ConnectorError) -> Message:
    if missing:
        return Message(
            gettext_noop(
                "Created on the target, but not all of it was written (%(missing)s). The "
                "target refused a part of it: %(answer)s"
            ),
            {"missing": missing, "answer": message_of(refused)},
        )
    return Message(
        gettext_noop(
            "Created on the target, but not all of it was written. The target refused a "
            "part of it: %(answer)s"
        ),
        {"answer": message_of(refused)},
    )


UNCHANGED = gettext_noop("Already on the target from an earlier run, and unchanged since.")
TOO_MANY_FAILED = gettext_noop(
    "%(failed)s of the %(total)s records written so far failed (more than %(threshold)s). "
    "Read the failed records' reasons, fix the mapping or the target's settings, then resume."
)
MATCHED_BEFORE = gettext_noop("Matched by an earlier run to this record of the target.")
UPDATED = gettext_noop("Updated on the target.")
LEFT_OUT = gettext_noop("Left out: %(reason)s")
STILL_DIFFERS = gettext_noop(
    "Written, but the target still differs after a repair: %(differences)s."
)

# ------------------------------------------------------------------ agents and groups

_MATCHED_CHOSEN = {
    True: gettext_noop("Matched to the agent chosen in the matching step."),
    False: gettext_noop("Matched to the group chosen in the matching step."),
}
_MATCHED_SAME = {
    True: gettext_noop("Matched to the agent with the same e-mail address on the target."),
    False: gettext_noop("Matched to the group with the same name on the target."),
}
_GOES_TO = {
    (True, True): gettext_noop("its tickets go to the default agent."),
    (True, False): gettext_noop(
        "its tickets are left without agent (no default agent was chosen)."
    ),
    (False, True): gettext_noop("its tickets go to the default group."),
    (False, False): gettext_noop(
        "its tickets are left without group (no default group was chosen)."
    ),
}
_STATE = {
    "deleted": gettext_noop("Deleted on the source: %(goes_to)s"),
    "inactive": gettext_noop("Inactive on the source: %(goes_to)s"),
}
_NOT_MATCHED = {
    (True, True): gettext_noop(
        "No matching agent on the target and creating missing agents is off: %(goes_to)s"
    ),
    (True, False): gettext_noop(
        "No matching agent on the target and the target cannot create agents: %(goes_to)s"
    ),
    (False, True): gettext_noop(
        "No matching group on the target and creating missing groups is off: %(goes_to)s"
    ),
    (False, False): gettext_noop(
        "No matching group on the target and the target cannot create groups: %(goes_to)s"
    ),
}


def matched_chosen(*, is_agent: bool) -> Message:
    return Message(_MATCHED_CHOSEN[is_agent])


def matched_same(*, is_agent: bool) -> Message:
    return Message(_MATCHED_SAME[is_agent])


def _goes_to(*, is_agent: bool, has_default: bool) -> Message:
    return Message(_GOES_TO[(is_agent, has_default)])


def left_on_source(*, state: str, is_agent: bool, has_default: bool) -> Message:
    """Deleted or inactive on the source ("deleted" or "inactive")."""
    return Message(_STATE[state], {"goes_to": _goes_to(is_agent=is_agent, has_default=has_default)})


def not_matched(*, is_agent: bool, can_create: bool, has_default: bool) -> Message:
    return Message(
        _NOT_MATCHED[(is_agent, can_create)],
        {"goes_to": _goes_to(is_agent=is_agent, has_default=has_default)},
    )
