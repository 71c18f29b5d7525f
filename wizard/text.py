"""Words the wizard shows that are defined elsewhere in English.

The connectors mark their sentences (checklists, form labels and hints, what will not
be migrated, particulars) with ``connectors.base._``, which only marks them for the
catalogue; they are translated here, on display. Entity and scope names get their
translatable labels here too.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from connectors.addresses import AMBIGUOUS_IP_ADDRESS
from connectors.base import ScopeKind
from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from connectors.sentences import end_sentence

ENTITY_LABELS: dict[Entity, str | Promise] = {
    Entity.ORGANIZATIONS: _("Organizations"),
    Entity.GROUPS: _("Groups"),
    Entity.AGENTS: _("Agents"),
    Entity.CONTACTS: _("Contacts"),
    Entity.TICKETS: _("Tickets"),
    Entity.ARTICLE_CATEGORIES: _("Knowledge base categories"),
    Entity.ARTICLE_SECTIONS: _("Knowledge base sections and folders"),
    Entity.ARTICLES: _("Knowledge base articles"),
}

SCOPE_KIND_LABELS: dict[ScopeKind, str | Promise] = {
    ScopeKind.INBOX: _("Inbox"),
    ScopeKind.CHANNEL: _("Channel"),
    ScopeKind.MAILBOX: _("Mailbox"),
}

#: Connector sentences that reach the wizard already filled in (connectors.base).
_PARAMETERIZED_SENTENCES: tuple[str, ...] = (
    gettext_noop("Attachments larger than %(size)s."),
    AMBIGUOUS_IP_ADDRESS,
)
_PLACEHOLDER = re.compile(r"%\\\((\w+)\\\)s")


@cache
def _sentence_patterns() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (template, re.compile(_PLACEHOLDER.sub(r"(?P<\1>.+?)", re.escape(template)) + r"\Z"))
        for template in _PARAMETERIZED_SENTENCES
    ]


def translate_sentence(text: str) -> str:
    """A connector's English sentence in the user's language (as it is when unknown)."""
    translated = gettext(text)
    if translated != text:
        return translated
    for template, pattern in _sentence_patterns():
        if match := pattern.match(text):
            return gettext(template) % match.groupdict()
    return text


def entity_label(entity: Entity | str) -> str:
    return str(ENTITY_LABELS[Entity(entity)])


def scope_kind_label(kind: ScopeKind | str) -> str:
    return str(SCOPE_KIND_LABELS[ScopeKind(kind)])


def platform_name(key: str) -> str:
    """The display name of a platform, or its key when it is not installed any more."""
    try:
        return registry.get(key).display_name
    except UnknownConnectorError:
        return key


def as_sentence(message: str) -> str:
    """A platform's or a validator's message as a sentence: "Value error, enter x" becomes
    "Enter x."."""
    text = message.removeprefix("Value error, ").removeprefix("Assertion failed, ").strip()
    if not text:
        return text
    first_word = text.split(maxsplit=1)[0]
    if first_word.islower():  # "could not…", not a name such as "eDesk"
        text = text[0].upper() + text[1:]
    return end_sentence(text)
