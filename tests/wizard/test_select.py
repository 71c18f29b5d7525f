"""Step 3, select data: counts from the Zendesk sandbox, filters, what will not move."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from connectors.base import Scope
from connectors.schema import Entity
from connectors.zendesk import emulator as zde
from migrator import services
from migrator.models import Membership
from tests.wizard.conftest import SOURCE_PLAN, TARGET_PLAN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def zendesk(seed_sandbox_account):
    return seed_sandbox_account("zendesk", SOURCE_PLAN)


def connected(*, user, source, target, name: str = "Zendesk to Freshdesk"):
    migration = services.migration_create(owner=user, name=name)
    services.migration_configure(
        migration=migration,
        source=services.connection_create(
            owner=user, platform=source.key, credentials=source.credentials()
        ),
        target=services.connection_create(
            owner=user, platform=target.key, credentials=target.credentials()
        ),
    )
    migration.refresh_from_db()
    return migration


@pytest.fixture
def migration(user, seed_sandbox_account, zendesk):
    return connected(
        user=user, source=zendesk, target=seed_sandbox_account("freshdesk", TARGET_PLAN)
    )


def select_url(migration) -> str:
    return reverse("wizard_select", args=[migration.pk])


def count_shown(page: str, entity: Entity) -> str:
    row = re.search(rf'data-entity="{entity.value}".*?data-count="(\d*)"', page, re.S)
    assert row, f"no row for {entity.value}"
    return row.group(1)


def is_checked(page: str, entity: Entity) -> bool:
    box = re.search(rf'<input type="checkbox" name="entities" value="{entity.value}"[^>]*>', page)
    assert box, f"no checkbox for {entity.value}"
    return " checked" in box.group(0)


def test_entities_are_listed_with_their_counts_on_the_source(client, user, migration):
    client.force_login(user)
    response = client.get(select_url(migration))
    assert response.status_code == 200
    page = response.content.decode()
    assert count_shown(page, Entity.TICKETS) == str(SOURCE_PLAN.tickets)
    assert count_shown(page, Entity.CONTACTS) == str(SOURCE_PLAN.contacts)
    assert count_shown(page, Entity.ORGANIZATIONS) == str(SOURCE_PLAN.organizations)
    assert count_shown(page, Entity.ARTICLES) == str(SOURCE_PLAN.articles)
    assert f"{SOURCE_PLAN.tickets} records" in page
    # Nothing saved yet: everything the pair can move is offered, checked.
    assert all(is_checked(page, entity) for entity in Entity)
    assert "Refers to: Organizations, Groups, Agents, Contacts." in page
    assert 'rel="next"' not in page


def test_the_pairs_losses_are_listed(client, user, migration):
    client.force_login(user)
    page = client.get(select_url(migration)).content.decode()
    assert "What will not be migrated from Zendesk to Freshdesk" in page
    assert "Ticket and comment creation dates: they become the migration date." in page
    assert "Attachments larger than 20 MB." in page
    assert "Freshdesk cannot backdate tickets or comments" in page


def test_only_what_the_target_can_write_is_offered(client, user, seed_sandbox_account, zendesk):
    migration = connected(
        user=user,
        source=zendesk,
        target=seed_sandbox_account("edesk", TARGET_PLAN),
        name="To eDesk",
    )
    services.migration_configure(
        migration=migration,
        target_scope=Scope(id="1", name="Acme support e-mail"),
    )
    client.force_login(user)
    page = client.get(select_url(migration)).content.decode()
    assert 'value="tickets"' in page
    assert 'value="organizations"' not in page
    assert 'value="articles"' not in page
    assert "Organizations cannot be imported." in page
    assert "Knowledge base articles cannot be imported." in page


def test_saving_keeps_the_entities_and_filters_and_moves_on(client, user, migration):
    client.force_login(user)
    response = client.post(
        select_url(migration),
        {
            "action": "save",
            "entities": ["tickets", "contacts"],
            "created_from": "2024-01-01",
            "created_to": "2024-12-31",
            "tags": "vip, refund  billing,vip",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard_match", args=[migration.pk])
    migration.refresh_from_db()
    assert migration.selected_entities() == [Entity.CONTACTS, Entity.TICKETS]
    filters = migration.configured_filters()
    assert (filters.created_from, filters.created_to) == (date(2024, 1, 1), date(2024, 12, 31))
    assert filters.tags == ["vip", "refund", "billing"]

    page = client.get(select_url(migration)).content.decode()
    assert is_checked(page, Entity.TICKETS) and is_checked(page, Entity.CONTACTS)
    assert not is_checked(page, Entity.ORGANIZATIONS)
    assert 'value="2024-01-01"' in page and 'value="2024-12-31"' in page
    assert 'value="vip, refund, billing"' in page
    assert "Tickets refer to Organizations, Groups, Agents, which you did not select." in page
    assert 'rel="next"' in page


def test_a_reversed_date_range_is_refused_and_nothing_is_lost(client, user, migration):
    client.force_login(user)
    response = client.post(
        select_url(migration),
        {
            "action": "save",
            "entities": ["tickets"],
            "created_from": "2025-06-01",
            "created_to": "2025-01-01",
            "tags": "vip",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The end of the date range comes before its start: choose a later date." in page
    assert 'value="2025-06-01"' in page and 'value="2025-01-01"' in page
    assert 'value="vip"' in page
    assert is_checked(page, Entity.TICKETS) and not is_checked(page, Entity.CONTACTS)
    migration.refresh_from_db()
    assert migration.entities == [] and migration.filters == {}


def test_nothing_selected_or_a_bad_date_is_refused(client, user, migration):
    client.force_login(user)
    page = client.post(select_url(migration), {"action": "save"}).content.decode()
    assert "Select at least one kind of data to migrate." in page
    page = client.post(
        select_url(migration),
        {"action": "save", "entities": ["tickets"], "created_from": "31/31/2024"},
    ).content.decode()
    assert "Enter a valid date." in page
    migration.refresh_from_db()
    assert migration.entities == []


def test_the_summary_follows_the_boxes_without_saving(client, user, migration):
    client.force_login(user)
    page = client.post(
        select_url(migration), {"action": "preview", "entities": ["tickets", "agents"]}
    ).content.decode()
    assert "What will move, in this order:</strong> Agents → Tickets" in page
    assert "Tickets refer to Organizations, Groups, Contacts, which you did not select." in page
    assert "Agents refer to Groups, which you did not select." in page
    assert is_checked(page, Entity.AGENTS) and not is_checked(page, Entity.GROUPS)
    migration.refresh_from_db()
    assert migration.entities == []


def test_refresh_counts_reads_the_source_again(client, user, migration, zendesk):
    client.force_login(user)
    client.get(select_url(migration))
    gone = zendesk.account.records.filter(collection=zde.ORGANIZATIONS.collection).first()
    gone.delete()
    # The counts are kept a while: the page does not ask the platform on every view.
    page = client.get(select_url(migration)).content.decode()
    assert count_shown(page, Entity.ORGANIZATIONS) == str(SOURCE_PLAN.organizations)
    page = client.post(
        select_url(migration), {"action": "refresh", "entities": ["tickets"], "tags": "vip"}
    ).content.decode()
    assert count_shown(page, Entity.ORGANIZATIONS) == str(SOURCE_PLAN.organizations - 1)
    # What was typed stays as it was, and nothing is saved.
    assert is_checked(page, Entity.TICKETS) and not is_checked(page, Entity.ORGANIZATIONS)
    assert 'value="vip"' in page
    migration.refresh_from_db()
    assert migration.entities == []


def test_a_source_that_cannot_be_counted_says_why(client, user, migration, zendesk):
    zendesk.account.secrets = {**zendesk.account.secrets, "api_token": "rotated"}
    zendesk.account.save(update_fields=["secrets"])
    client.force_login(user)
    page = client.get(select_url(migration)).content.decode()
    assert "Zendesk could not be counted just now." in page
    assert "Zendesk refused the e-mail and API token" in page
    assert "not counted" in page
    # The selection can still be saved.
    response = client.post(select_url(migration), {"action": "save", "entities": ["tickets"]})
    assert response.status_code == 302


def test_the_page_is_translated(client, user, migration):
    client.force_login(user)
    client.cookies["django_language"] = "fr"
    page = client.get(select_url(migration)).content.decode()
    assert "Pièces jointes de plus de 20 MB." in page
    assert "Tickets" in page
    assert "Ticket and comment creation dates" not in page


def test_another_user_gets_404(client, migration, make_user):
    client.force_login(make_user())
    assert client.get(select_url(migration)).status_code == 404
    response = client.post(select_url(migration), {"action": "save", "entities": ["tickets"]})
    assert response.status_code == 404
    migration.refresh_from_db()
    assert migration.entities == []


def test_not_reachable_before_connecting(client, user):
    migration = services.migration_create(owner=user, name="Nothing yet")
    client.force_login(user)
    response = client.get(select_url(migration))
    assert response["Location"] == reverse("wizard_connect", args=[migration.pk])


def test_the_summary_and_counts_also_come_by_get_without_saving(client, user, migration):
    client.force_login(user)
    page = client.get(
        select_url(migration), {"action": "preview", "entities": ["contacts"]}
    ).content.decode()
    assert "What will move, in this order:</strong> Contacts" in page
    assert "Contacts refer to Organizations, which you did not select." in page
    page = client.get(
        select_url(migration), {"action": "refresh", "entities": ["tickets"], "tags": "vip"}
    ).content.decode()
    assert is_checked(page, Entity.TICKETS) and not is_checked(page, Entity.CONTACTS)
    assert 'value="vip"' in page
    migration.refresh_from_db()
    assert migration.entities == []


def test_a_restricted_teammate_sees_the_selection_but_cannot_change_it(
    client, user, migration, make_user
):
    teammate = make_user()
    Membership.objects.create(migration=migration, user=teammate, role=Membership.Role.RESTRICTED)
    client.force_login(teammate)
    response = client.get(select_url(migration))
    assert response.status_code == 200
    page = response.content.decode()
    assert "lets you see the selection, not change it" in page
    assert 'value="save"' not in page
    assert client.get(select_url(migration), {"action": "preview"}).status_code == 200
    response = client.post(select_url(migration), {"action": "save", "entities": ["tickets"]})
    assert response.status_code == 404
    migration.refresh_from_db()
    assert migration.entities == []
