"""Words the wizard shows that are defined elsewhere in English.

The connectors mark their sentences (checklists, form labels and hints, what will not
be migrated, particulars) with ``connectors.base._``, which only marks them for the
catalogue; they are translated here, on display. Entity and scope names get their
translatable labels here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from connectors.addresses import AMBIGUOUS_IP_ADDRESS
from connectors.base import PairMigrates, ScopeKind
from connectors.registry import UnknownConnectorError, registry
from connectors.schema import Entity
from migrator.configuration import DEMO_RECORDS_PER_ENTITY

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
    return text if text.endswith((".", "!", "?")) else text + "."


# --------------------------------------------------------------------------- what a pair moves


def join_words(words: Sequence[str]) -> str:
    """ "a, b and c" in the user's language."""
    if len(words) < 2:
        return "".join(words)
    return gettext("%(items)s and %(last)s") % {"items": ", ".join(words[:-1]), "last": words[-1]}


#: What comes with each ticket, and with each article, by the Capabilities flag both sides
#: need (None: every pair keeps it).
_TICKET_DETAILS: tuple[tuple[str | None, str | Promise], ...] = (
    (None, _("comments")),
    (None, _("private notes")),
    (None, _("attachments")),
    ("inline_images", _("inline images")),
    ("tags", _("tags")),
    ("custom_fields", _("custom fields")),
    ("ccs", _("CCs")),
)
_ARTICLE_DETAILS: tuple[tuple[str | None, str | Promise], ...] = (
    ("article_attachments", _("attachments")),
    ("article_tags", _("tags")),
    ("article_translations", _("translations")),
)


#: Short words for the records a demo's tickets and articles refer to.
_REFERRED_WORDS: dict[Entity, str | Promise] = {
    Entity.ORGANIZATIONS: _("organizations"),
    Entity.GROUPS: _("groups"),
    Entity.AGENTS: _("agents"),
    Entity.CONTACTS: _("contacts"),
    Entity.ARTICLE_CATEGORIES: _("categories"),
    Entity.ARTICLE_SECTIONS: _("sections"),
}


def _referred(pair: PairMigrates, roots: Sequence[Entity]) -> list[Entity]:
    """The entities the roots' records refer to, directly or not, that the pair moves."""
    found: set[Entity] = set()
    todo = [dependency for root in roots for dependency in root.dependencies]
    while todo:
        entity = todo.pop()
        if entity not in found:
            found.add(entity)
            todo.extend(entity.dependencies)
    return [entity for entity in pair.entities if entity in found and entity not in roots]


def demo_sentences(
    *, pair: PairMigrates, target_name: str, chosen: bool, translations: bool = True
) -> list[str]:
    """What a demo of this pair moves, in sentences: only what the source reads and the
    target writes. With ``chosen``, the page lists the chosen ids after the first one."""
    roots = [entity for entity in (Entity.TICKETS, Entity.ARTICLES) if pair.moves(entity)]
    count = {"count": DEMO_RECORDS_PER_ENTITY}
    root_words = {
        Entity.TICKETS: gettext("%(count)s tickets") % count,
        Entity.ARTICLES: gettext("%(count)s knowledge base articles") % count,
    }
    if chosen:
        sentences = [gettext("The demo moves the records you chose in the options:")]
    elif roots:
        sentences = [
            gettext("The demo moves %(records)s to %(target)s.")
            % {"records": join_words([root_words[root] for root in roots]), "target": target_name}
        ]
    else:
        kinds = join_words([entity_label(entity).lower() for entity in pair.entities])
        sentences = [
            gettext("The demo moves up to %(count)s records of each kind to %(target)s: %(kinds)s.")
            % {**count, "target": target_name, "kinds": kinds}
        ]
    referred = _referred(pair, roots)
    if referred:
        records = join_words([str(_REFERRED_WORDS[entity]) for entity in referred])
        sentences.append(
            gettext("With them go the records they refer to: %(records)s.") % {"records": records}
        )
    if pair.moves(Entity.TICKETS):
        details = [str(word) for flag, word in _TICKET_DETAILS if flag is None or pair.keeps(flag)]
        sentences.append(
            gettext("Each ticket comes with its %(details)s.") % {"details": join_words(details)}
        )
    if pair.moves(Entity.ARTICLES):
        details = [
            str(word)
            for flag, word in _ARTICLE_DETAILS
            if pair.keeps(flag) and (translations or flag != "article_translations")
        ]
        if details:
            sentences.append(
                gettext("Each article comes with its %(details)s.")
                % {"details": join_words(details)}
            )
    return sentences
