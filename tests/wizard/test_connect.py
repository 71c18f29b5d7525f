"""Step 1, connect: against the sandbox help desks served by the live test server."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from migrator import services
from migrator.crypto import decrypt_credentials
from migrator.models import AuditEvent, Connection, Membership
from tests.wizard.conftest import SOURCE_PLAN, TARGET_PLAN

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def migration(user):
    return services.migration_create(owner=user, name="Zendesk to Freshdesk")


@pytest.fixture
def zendesk(seed_sandbox_account):
    return seed_sandbox_account("zendesk", SOURCE_PLAN)


@pytest.fixture
def freshdesk(seed_sandbox_account):
    return seed_sandbox_account("freshdesk", TARGET_PLAN)


def connect_url(migration, query: str = "") -> str:
    return reverse("wizard_connect", args=[migration.pk]) + (f"?{query}" if query else "")


def side_url(migration, side: str) -> str:
    return reverse("wizard_connect_side", args=[migration.pk, side])


def test_the_page_needs_sign_in_and_is_not_shown_to_others(client, migration, make_user):
    response = client.get(connect_url(migration))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(make_user())
    assert client.get(connect_url(migration)).status_code == 404
    assert client.post(side_url(migration, "source"), {"platform": "zendesk"}).status_code == 404
    reuse = reverse("wizard_connect_reuse", args=[migration.pk, "source"])
    assert client.post(reuse, {"connection": 1}).status_code == 404


def test_each_side_offers_the_platforms_of_its_role(client, user, migration):
    client.force_login(user)
    response = client.get(connect_url(migration))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="source_platform"' in page
    assert 'name="target_platform"' in page
    assert '<option value="zendesk">Zendesk</option>' in page
    assert '<option value="freshdesk">Freshdesk</option>' in page
    # No credentials form before a platform is chosen, and no "Next" before both connect.
    assert "credentials-form" not in page
    assert 'rel="next"' not in page


def test_a_chosen_platform_shows_its_form_hints_and_checklist(client, user, migration):
    client.force_login(user)
    page = client.get(connect_url(migration, "source_platform=zendesk")).content.decode()
    assert "Zendesk address" in page
    assert "Admin Center &gt; Apps and integrations &gt; APIs &gt; Zendesk API" in page
    assert 'type="password" name="source-api_token"' in page
    assert 'placeholder="https://yourcompany.zendesk.com"' in page
    # The common checklist, then Zendesk's own steps as a source (not those of a target).
    assert "Do not rotate or delete the API keys or tokens while a migration runs." in page
    assert "Deactivate triggers and automations that send e-mails" not in page
    target = client.get(connect_url(migration, "target_platform=zendesk")).content.decode()
    assert "Deactivate triggers and automations that send e-mails" in target
    assert "Connect to Zendesk" in page


def test_the_form_hints_and_checklist_are_translated(client, user, migration):
    client.force_login(user)
    client.cookies["django_language"] = "fr"
    page = client.get(connect_url(migration, "target_platform=freshdesk")).content.decode()
    assert "Utilisez un compte administrateur sur les deux plateformes." in page
    assert "Clé d\u2019API" in page
    assert "Afficher la clé d\u2019API" in page
    assert "Use an administrator account on both platforms." not in page


def test_connecting_stores_the_connection_and_shows_the_account_not_the_token(
    client, user, migration, zendesk
):
    client.force_login(user)
    response = client.post(side_url(migration, "source"), zendesk.form_data("source"))
    assert response.status_code == 302
    assert response["Location"] == connect_url(migration)
    migration.refresh_from_db()
    connection = migration.source
    assert connection.platform == "zendesk"
    assert connection.account_url == zendesk.credentials()["url"]
    token = zendesk.credentials()["api_token"]
    assert token not in connection.encrypted_credentials
    assert decrypt_credentials(token=connection.encrypted_credentials)["api_token"] == token

    page = client.get(connect_url(migration)).content.decode()
    assert 'data-connected="zendesk"' in page
    assert connection.account_name in page
    assert zendesk.credentials()["url"] in page
    assert "admin@acme.example" in page
    assert token not in page
    assert "Change" in page


def test_a_wrong_token_shows_the_platforms_message_and_keeps_what_was_typed(
    client, user, migration, zendesk
):
    client.force_login(user)
    data = zendesk.form_data("source", api_token="not-the-right-token")
    response = client.post(side_url(migration, "source"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Could not connect to Zendesk." in page
    assert "Zendesk refused the e-mail and API token" in page
    # What was typed is kept, except the secret.
    assert f'value="{zendesk.credentials()["url"]}"' in page
    assert 'value="admin@acme.example"' in page
    assert "not-the-right-token" not in page
    assert not Connection.objects.exists()
    migration.refresh_from_db()
    assert migration.source is None


def test_an_unreachable_address_says_it_cannot_be_reached(client, user, migration, zendesk):
    client.force_login(user)
    data = zendesk.form_data("source", url="https://acme-helpdesk.invalid")
    page = client.post(side_url(migration, "source"), data).content.decode()
    assert "Could not reach Zendesk (acme-helpdesk.invalid): its address does not resolve." in page
    assert 'value="https://acme-helpdesk.invalid"' in page
    assert not Connection.objects.exists()


def test_an_unreachable_address_says_so_in_french(client, user, migration, zendesk):
    client.force_login(user)
    client.cookies["django_language"] = "fr"
    data = zendesk.form_data("source", url="https://acme-helpdesk.invalid")
    try:
        page = client.post(side_url(migration, "source"), data).content.decode()
    finally:
        translation.deactivate()  # the page activated French in this thread
    assert (
        "Impossible de joindre Zendesk (acme-helpdesk.invalid) : son adresse ne se résout pas."
        in page
    )


def test_malformed_values_are_refused_on_their_fields(client, user, migration, zendesk):
    client.force_login(user)
    missing_url = {"platform": "zendesk", "source-email": "admin@acme.example"}
    page = client.post(side_url(migration, "source"), missing_url).content.decode()
    assert "This field is required." in page
    # The model's own rule: an e-mail and API token, or an OAuth token.
    no_token = {"platform": "zendesk", "source-url": zendesk.credentials()["url"]}
    page = client.post(side_url(migration, "source"), no_token).content.decode()
    assert "Enter the administrator&#x27;s e-mail and API token, or an OAuth token." in page
    bad_email = zendesk.form_data("source", email="nobody")
    page = client.post(side_url(migration, "source"), bad_email).content.decode()
    assert "Enter the administrator&#x27;s e-mail address." in page
    assert not Connection.objects.exists()


def test_a_platform_not_of_the_role_is_refused(client, user, migration):
    client.force_login(user)
    response = client.post(side_url(migration, "source"), {"platform": "nowhere"})
    assert response.status_code == 302
    assert client.get(response["Location"]).content.decode().count("Choose the platform first.")
    assert client.post(side_url(migration, "sideways"), {"platform": "zendesk"}).status_code == 404


def test_both_sides_connected_lead_on_to_the_next_step(client, user, migration, zendesk, freshdesk):
    client.force_login(user)
    client.post(side_url(migration, "source"), zendesk.form_data("source"))
    response = client.post(side_url(migration, "target"), freshdesk.form_data("target"))
    assert response.status_code == 302
    migration.refresh_from_db()
    assert (migration.source.platform, migration.target.platform) == ("zendesk", "freshdesk")
    page = client.get(connect_url(migration)).content.decode()
    assert 'rel="next"' in page
    assert reverse("wizard_select", args=[migration.pk]) in page
    assert freshdesk.credentials()["api_key"] not in page


def test_the_other_sides_choice_is_kept_while_one_side_connects(client, user, migration, zendesk):
    client.force_login(user)
    data = {**zendesk.form_data("source"), "target_platform": "freshdesk"}
    response = client.post(side_url(migration, "source"), data)
    assert response["Location"] == connect_url(migration, "target_platform=freshdesk")
    page = client.get(response["Location"]).content.decode()
    assert "Connect to Freshdesk" in page
    assert 'data-connected="zendesk"' in page


def test_change_reopens_the_form_and_a_new_connection_replaces_the_old(
    client, user, migration, zendesk, seed_sandbox_account
):
    client.force_login(user)
    client.post(side_url(migration, "source"), zendesk.form_data("source"))
    page = client.get(connect_url(migration, "change=source")).content.decode()
    assert 'value="zendesk" selected' in page
    assert "Connect to Zendesk" in page
    assert "Cancel" in page
    assert zendesk.credentials()["api_token"] not in page

    freshdesk_source = seed_sandbox_account("freshdesk", TARGET_PLAN)
    client.post(side_url(migration, "source"), freshdesk_source.form_data("source"))
    migration.refresh_from_db()
    assert migration.source.platform == "freshdesk"


def test_an_earlier_connection_of_the_platform_can_be_reused(
    client, user, migration, zendesk, make_user
):
    client.force_login(user)
    client.post(side_url(migration, "source"), zendesk.form_data("source"))
    earlier = Connection.objects.get()
    second = services.migration_create(owner=user, name="Second try")
    page = client.get(connect_url(second, "source_platform=zendesk")).content.decode()
    assert "Use an earlier connection" in page
    assert f'name="connection" value="{earlier.pk}"' in page

    reuse = reverse("wizard_connect_reuse", args=[second.pk, "source"])
    response = client.post(reuse, {"connection": earlier.pk})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.source == earlier
    assert Connection.objects.count() == 1

    # Someone else's connection cannot be taken.
    stranger = make_user()
    theirs = Connection.objects.create(
        owner=stranger, platform="zendesk", encrypted_credentials="x", account_name="Theirs"
    )
    assert client.post(reuse, {"connection": theirs.pk}).status_code == 404


def test_a_reused_connection_whose_token_was_revoked_says_so(client, user, migration, zendesk):
    client.force_login(user)
    client.post(side_url(migration, "source"), zendesk.form_data("source"))
    earlier = Connection.objects.get()
    zendesk.account.secrets = {**zendesk.account.secrets, "api_token": "rotated"}
    zendesk.account.save(update_fields=["secrets"])
    second = services.migration_create(owner=user, name="Second try")
    reuse = reverse("wizard_connect_reuse", args=[second.pk, "source"])
    response = client.post(reuse, {"connection": earlier.pk})
    assert response.status_code == 200
    assert "Zendesk refused the e-mail and API token" in response.content.decode()
    second.refresh_from_db()
    assert second.source is None


def test_the_sandbox_helper_fills_the_form_with_the_sandbox_account(
    client, user, migration, zendesk, settings
):
    client.force_login(user)
    host = zendesk.site_url.removeprefix("http://")
    page = client.get(connect_url(migration, "source_platform=zendesk"), HTTP_HOST=host)
    assert "Use the sandbox" in page.content.decode()
    filled = client.get(
        connect_url(migration, "source_platform=zendesk&sandbox=source"), HTTP_HOST=host
    ).content.decode()
    expected = zendesk.credentials()
    assert f'value="{expected["url"]}"' in filled
    assert f'value="{expected["email"]}"' in filled
    assert f'value="{expected["api_token"]}"' in filled

    settings.SANDBOX_ENABLED = False
    page = client.get(connect_url(migration, "source_platform=zendesk&sandbox=source"))
    assert "Use the sandbox" not in page.content.decode()
    assert expected["api_token"] not in page.content.decode()


def test_no_sandbox_helper_for_a_platform_without_a_seeded_account(client, user, migration):
    client.force_login(user)
    page = client.get(connect_url(migration, "target_platform=freshdesk")).content.decode()
    assert "Connect to Freshdesk" in page
    assert "Use the sandbox" not in page


def test_a_full_teammate_connects_for_the_owner_a_restricted_one_cannot(
    client, user, migration, zendesk, make_user
):
    full, restricted = make_user(), make_user()
    Membership.objects.create(migration=migration, user=full, role=Membership.Role.FULL)
    Membership.objects.create(migration=migration, user=restricted, role=Membership.Role.RESTRICTED)
    client.force_login(restricted)
    assert client.get(connect_url(migration)).status_code == 404
    assert (
        client.post(side_url(migration, "source"), zendesk.form_data("source")).status_code == 404
    )

    client.force_login(full)
    response = client.post(side_url(migration, "source"), zendesk.form_data("source"))
    assert response.status_code == 302
    migration.refresh_from_db()
    # The connection is the migration owner's, so the owner can reuse it elsewhere.
    assert migration.source.owner == user
    assert AuditEvent.objects.filter(
        migration=migration, actor=full, action=AuditEvent.Action.CONNECTED
    ).exists()
