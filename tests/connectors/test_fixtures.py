"""Every recorded payload in tests/fixtures is read by a converter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.freshdesk import payloads as fd
from connectors.schema import CanonicalModel
from connectors.zendesk import payloads as zd
from tests.fixtures_util import FIXTURES_DIR, fixture_names, fixture_payload


def _zendesk_users(payload: Any) -> list[CanonicalModel]:
    agents, contacts = zd.users_from_zendesk(payload)
    return [*agents, *contacts]


def _zendesk_ticket_events(payload: Any) -> list[CanonicalModel]:
    return [
        c for comments in zd.comments_from_zendesk_ticket_events(payload).values() for c in comments
    ]


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "zendesk_tickets.json": zd.tickets_from_zendesk,
    "zendesk_ticket_comments.json": _zendesk_ticket_events,
    "zendesk_users.json": _zendesk_users,
    "zendesk_organizations.json": zd.organizations_from_zendesk,
    "zendesk_groups.json": zd.groups_from_zendesk,
    "zendesk_ticket_fields.json": lambda payload: zd.field_schema_from_zendesk(
        ticket_fields=payload
    ),
    "zendesk_categories.json": zd.categories_from_zendesk,
    "zendesk_sections.json": zd.sections_from_zendesk,
    "zendesk_articles.json": zd.articles_from_zendesk,
    "freshdesk_tickets.json": fd.tickets_from_freshdesk,
    "freshdesk_ticket_1.json": fd.ticket_from_freshdesk,
    "freshdesk_conversations.json": fd.conversations_from_freshdesk,
    "freshdesk_note_1.json": fd.conversation_from_freshdesk,
    "freshdesk_reply_1.json": fd.conversation_from_freshdesk,
    "freshdesk_contact.json": fd.contact_from_freshdesk,
    "freshdesk_contact_updated.json": fd.contact_from_freshdesk,
    "freshdesk_contact_1_agent.json": fd.agent_from_freshdesk,
    "freshdesk_companies.json": fd.companies_from_freshdesk,
    "freshdesk_company.json": fd.company_from_freshdesk,
    "freshdesk_groups.json": fd.groups_from_freshdesk,
    "freshdesk_solution_categories.json": fd.solution_categories_from_freshdesk,
    "freshdesk_solution_folders.json": lambda payload: fd.solution_folders_from_freshdesk(
        payload, category_id="2"
    ),
    "freshdesk_solution_articles.json": fd.solution_articles_from_freshdesk,
}


def test_the_recorded_payloads_are_there() -> None:
    assert FIXTURES_DIR.is_dir(), f"recorded payloads expected in {FIXTURES_DIR}"
    assert len(fixture_names()) >= len(CONVERTERS)


def test_every_fixture_has_a_converter() -> None:
    assert set(fixture_names()) <= set(CONVERTERS), "a new recorded payload needs a converter"


@pytest.mark.parametrize("name", sorted(CONVERTERS))
def test_fixture_converts_to_canonical_records(name: str) -> None:
    result = CONVERTERS[name](fixture_payload(name))
    records = result if isinstance(result, list) else [result]
    assert records, f"{name} gave no record"
    assert all(isinstance(record, CanonicalModel) for record in records)
    for record in records:
        # What the engine stores and sends to workers survives JSON unchanged.
        assert type(record).model_validate_json(record.model_dump_json()) == record
