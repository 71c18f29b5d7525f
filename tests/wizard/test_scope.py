"""Step 2, target scope: the eDesk sandbox's channels, over the live test server."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from connectors.edesk import emulator as ed
from connectors.emulation import numbers_reserve, record_create
from connectors.sandbox import sandbox_platform
from migrator import services
from tests.wizard.conftest import SOURCE_PLAN, TARGET_PLAN, SandboxAccount

pytestmark = pytest.mark.django_db(transaction=True)


def connect(*, user, migration, source: SandboxAccount, target: SandboxAccount) -> None:
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


@pytest.fixture
def edesk(seed_sandbox_account):
    return seed_sandbox_account("edesk", TARGET_PLAN)


@pytest.fixture
def migration(user, seed_sandbox_account, edesk):
    migration = services.migration_create(owner=user, name="Zendesk to eDesk")
    connect(
        user=user,
        migration=migration,
        source=seed_sandbox_account("zendesk", SOURCE_PLAN),
        target=edesk,
    )
    return migration


def scope_url(migration) -> str:
    return reverse("wizard_scope", args=[migration.pk])


def channel_ids(account) -> dict[str, str]:
    """Channel names (as the wizard shows them) to their ids, read from the emulator."""
    return {
        f"{row.data['name']} ({row.data['type']})": str(row.number)
        for row in account.records.filter(collection="channels")
    }


def test_the_targets_channels_are_listed(client, user, migration, edesk):
    client.force_login(user)
    response = client.get(scope_url(migration))
    assert response.status_code == 200
    page = response.content.decode()
    channels = channel_ids(edesk.account)
    assert len(channels) == 2
    for name, channel_id in channels.items():
        assert name in page
        assert f'value="{channel_id}"' in page
    assert "Channel" in page
    assert "eDesk migrates into one channel at a time" in page
    assert 'rel="next"' not in page


def test_choosing_a_channel_saves_it_and_moves_on(client, user, migration, edesk):
    client.force_login(user)
    name, channel_id = next(
        (name, number) for name, number in channel_ids(edesk.account).items() if "Amazon" in name
    )
    response = client.post(scope_url(migration), {"scope": channel_id})
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard_select", args=[migration.pk])
    migration.refresh_from_db()
    assert (migration.target_scope_id, migration.target_scope_name) == (channel_id, name)
    # Back on the page, the saved channel is chosen and "Next" is offered.
    page = client.get(scope_url(migration)).content.decode()
    assert re.search(rf'value="{channel_id}"[^>]* checked', page)
    assert 'rel="next"' in page


def test_an_unknown_or_missing_choice_is_refused(client, user, migration):
    client.force_login(user)
    page = client.post(scope_url(migration), {"scope": "999999"}).content.decode()
    assert "That one is not on the target any more: choose another." in page
    page = client.post(scope_url(migration), {}).content.decode()
    assert "Choose where the migration writes to." in page
    migration.refresh_from_db()
    assert migration.target_scope_id == ""


def test_another_user_gets_404(client, migration, make_user):
    client.force_login(make_user())
    assert client.get(scope_url(migration)).status_code == 404
    assert client.post(scope_url(migration), {"scope": "1"}).status_code == 404


def test_the_platforms_refusal_is_shown_plainly(client, user, migration, edesk):
    edesk.account.secrets = {**edesk.account.secrets, "api_token": "rotated"}
    edesk.account.save(update_fields=["secrets"])
    client.force_login(user)
    page = client.get(scope_url(migration)).content.decode()
    assert "eDesk did not answer as expected." in page
    assert "eDesk refused the API token; it may have expired: generate a new one." in page
    assert "Try again" in page


def test_refresh_reads_the_channels_again(client, user, migration, edesk):
    client.force_login(user)
    client.get(scope_url(migration))
    number = numbers_reserve(
        account=edesk.account, collection="channels", count=1, start=ed.CHANNEL_ID_START
    )
    channel = {**ed.channel_template(), "id": number, "name": "Acme on eBay", "type": "Ebay"}
    record_create(account=edesk.account, collection="channels", data=channel, number=number)
    assert "Acme on eBay" not in client.get(scope_url(migration)).content.decode()
    assert "Acme on eBay" in client.get(scope_url(migration) + "?refresh=1").content.decode()


def test_no_scope_step_for_a_target_without_scopes(client, user, seed_sandbox_account):
    migration = services.migration_create(owner=user, name="Zendesk to Freshdesk")
    connect(
        user=user,
        migration=migration,
        source=seed_sandbox_account("zendesk", SOURCE_PLAN),
        target=seed_sandbox_account("freshdesk", TARGET_PLAN),
    )
    client.force_login(user)
    response = client.get(scope_url(migration))
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard_select", args=[migration.pk])


def test_not_reachable_before_connecting(client, user):
    migration = services.migration_create(owner=user, name="Nothing yet")
    client.force_login(user)
    response = client.get(scope_url(migration))
    assert response["Location"] == reverse("wizard_connect", args=[migration.pk])


def test_connecting_another_target_account_forgets_the_channel(client, user, migration, edesk):
    client.force_login(user)
    channel_id = next(iter(channel_ids(edesk.account).values()))
    client.post(scope_url(migration), {"scope": channel_id})
    platform = sandbox_platform("edesk")
    other = platform.account_create(slug="other", name="Other", rate_limit_per_minute=0)
    services.migration_configure(
        migration=migration,
        target=services.connection_create(
            owner=user,
            platform="edesk",
            credentials=platform.credentials(account=other, site_url=edesk.site_url),
        ),
    )
    migration.refresh_from_db()
    assert migration.target_scope_id == ""
    response = client.get(reverse("wizard_select", args=[migration.pk]))
    assert response["Location"] == scope_url(migration)
