"""The words that describe a pair follow both platforms: the demo text and "mapped
automatically" promise only what the source reads and the target writes, and each side's
checklist holds the steps of its role (source or target)."""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import reverse

from connectors.base import COMMON_ROLE_CHECKLIST, pair_migrates
from connectors.registry import registry
from connectors.schema import Entity
from migrator import configuration, services
from tests.wizard.configure_support import live_site_url, sandbox_migration
from wizard.suggestions import system_fields
from wizard.text import demo_sentences

PLATFORMS = ("zendesk", "freshdesk", "edesk", "halo", "teamwork_desk")
PAIRS = [pair for pair in itertools.permutations(PLATFORMS, 2)]

#: Words that name an entity, by the entity they name.
ENTITY_WORDS: dict[Entity, str] = {
    Entity.ORGANIZATIONS: r"organi[sz]ation",
    Entity.GROUPS: r"\bgroup",
    Entity.CONTACTS: r"\bcontact",
    Entity.ARTICLE_CATEGORIES: r"categor",
    Entity.ARTICLE_SECTIONS: r"\bsection",
    Entity.ARTICLES: r"\barticle",
}
#: Words that name a feature, by its Capabilities flag.
FEATURE_WORDS: dict[str, str] = {
    "tags": r"\btags?\b",
    "custom_fields": r"custom field",
    "ccs": r"\bCCs?\b",
    "inline_images": r"inline image",
}
ARTICLE_FEATURE_WORDS: dict[str, str] = {
    "article_attachments": r"attachment",
    "article_tags": r"\btags?\b",
    "article_translations": r"translation",
}


def capabilities(key: str):
    return registry.get(key).capabilities


def promised_wrongly(text: str, *, source_key: str, target_key: str) -> list[str]:
    """The words of ``text`` naming what the pair cannot move."""
    source, target = capabilities(source_key), capabilities(target_key)
    wrong = []
    for entity, pattern in ENTITY_WORDS.items():
        movable = entity in source.reads and entity in target.writes
        if not movable and re.search(pattern, text, re.IGNORECASE):
            wrong.append(entity.value)
    for flag, pattern in FEATURE_WORDS.items():
        if not (getattr(source, flag) and getattr(target, flag)):
            flags = re.IGNORECASE if flag != "ccs" else 0
            if re.search(pattern, text, flags):
                wrong.append(flag)
    return wrong


def article_sentence(sentences: list[str]) -> str:
    return " ".join(s for s in sentences if s.startswith("Each article"))


@pytest.mark.parametrize(("source_key", "target_key"), PAIRS)
def test_the_demo_text_promises_only_what_both_sides_move(source_key, target_key):
    source, target = capabilities(source_key), capabilities(target_key)
    pair = pair_migrates(source=source, target=target)
    for chosen in (False, True):
        sentences = demo_sentences(pair=pair, target_name="Acme", chosen=chosen)
        text = " ".join(sentences)
        ticket_text = " ".join(s for s in sentences if not s.startswith("Each article"))
        assert promised_wrongly(ticket_text, source_key=source_key, target_key=target_key) == []
        articles = article_sentence(sentences)
        for flag, pattern in ARTICLE_FEATURE_WORDS.items():
            if not (getattr(source, flag) and getattr(target, flag)):
                assert not re.search(pattern, articles), (flag, articles)
        if not chosen:
            assert "20 tickets" in text  # every pair moves tickets
            assert ("20 knowledge base articles" in text) == pair.moves(Entity.ARTICLES)


@pytest.mark.parametrize(("source_key", "target_key"), PAIRS)
def test_mapped_automatically_lists_only_what_both_sides_move(source_key, target_key):
    source, target = capabilities(source_key), capabilities(target_key)
    labels = [str(label) for label in system_fields(source=source, target=target, entities=Entity)]
    assert "Subject" in labels
    assert promised_wrongly("\n".join(labels), source_key=source_key, target_key=target_key) == []


def test_edesk_and_teamwork_desk_get_no_organization_tags_or_custom_fields():
    """What was seen: eDesk's demo promised articles, organizations, groups, tags and
    custom fields; "Organization" was mapped automatically for targets without them."""
    zendesk = capabilities("zendesk")
    for key in ("edesk", "teamwork_desk"):
        target = capabilities(key)
        text = " ".join(
            demo_sentences(
                pair=pair_migrates(source=zendesk, target=target), target_name="X", chosen=False
            )
        )
        assert "organizations" not in text and "groups" not in text
        assert "custom fields" not in text
        labels = [
            str(label) for label in system_fields(source=zendesk, target=target, entities=Entity)
        ]
        assert "Organization" not in labels
        assert "Contact name, e-mail addresses and phone" in labels
    edesk_text = " ".join(
        demo_sentences(
            pair=pair_migrates(source=zendesk, target=capabilities("edesk")),
            target_name="X",
            chosen=False,
        )
    )
    assert "article" not in edesk_text and "tags" not in edesk_text
    assert "agents and contacts" in edesk_text


#: Steps that only make sense on the side that is written to.
TARGET_ONLY = re.compile(
    r"import|invite|turn off|deactivate|created by the migration|on the target|channel the "
    r"tickets go to|custom fields you want to keep|sample users|Full Access",
    re.IGNORECASE,
)
SOURCE_ONLY = re.compile(r"keep changing on the source", re.IGNORECASE)


@pytest.mark.parametrize(("source_key", "target_key"), PAIRS)
def test_each_checklist_holds_the_steps_of_its_role(source_key, target_key):
    source_steps = registry.get(source_key).pre_migration_checklist(role="source")
    target_steps = registry.get(target_key).pre_migration_checklist(role="target")
    assert [step for step in source_steps if TARGET_ONLY.search(step)] == []
    assert [step for step in target_steps if SOURCE_ONLY.search(step)] == []
    assert set(COMMON_ROLE_CHECKLIST["source"]) <= set(source_steps)
    assert set(COMMON_ROLE_CHECKLIST["target"]) <= set(target_steps)
    assert set(registry.get(target_key).checklist) <= set(target_steps)


@pytest.mark.django_db
def test_the_connect_page_shows_zendesks_source_steps_and_the_targets_own(client, user):
    migration = services.migration_create(owner=user, name="Zendesk to Teamwork Desk")
    client.force_login(user)
    url = reverse("wizard_connect", args=[migration.pk])
    response = client.get(f"{url}?source_platform=zendesk&target_platform=teamwork_desk")
    sides = {side.role: side.checklist for side in response.context["sides"]}
    source = " ".join(sides["source"])
    assert "Turn on token access" in source
    assert "Deactivate triggers" not in source and "use seats of your plan" not in source
    assert "Help Center must be activated" not in source
    target = " ".join(sides["target"])
    assert "Invite every agent" in target and "keep changing on the source" not in target


@pytest.fixture
def site_url(live_server, settings) -> str:
    return live_site_url(live_server, settings)


@pytest.mark.django_db(transaction=True)
def test_the_demo_page_for_edesk_promises_what_edesk_takes(client, user, site_url):
    migration = sandbox_migration(
        owner=user, site_url=site_url, target="edesk", entities=list(Entity), name="To eDesk"
    )
    services.migration_configure(
        migration=migration,
        filters=configuration.Filters(),
        matches=configuration.Matches(),
        field_mappings=configuration.FieldMappings(),
        options=configuration.Options(),
    )
    client.force_login(user)
    response = client.get(reverse("wizard_demo", args=[migration.pk]))
    assert response.status_code == 200
    text = " ".join(response.context["demo_text"])
    assert text.startswith("The demo moves 20 tickets to ")
    assert promised_wrongly(text, source_key="zendesk", target_key="edesk") == []
    assert "knowledge base" not in text
    content = response.content.decode()
    assert "tags and custom fields" not in content
