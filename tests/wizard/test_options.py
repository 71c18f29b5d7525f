"""Step 6, the options, through the test client. The page reads only the platforms'
capabilities, so the connections are stored directly (no help desk is called)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors.schema import Entity
from migrator import configuration, services
from migrator.crypto import encrypt_credentials
from migrator.models import Connection
from wizard.configure_forms import parse_record_ids

pytestmark = pytest.mark.django_db


def connection(owner, platform: str) -> Connection:
    return Connection.objects.create(
        owner=owner,
        platform=platform,
        encrypted_credentials=encrypt_credentials(
            credentials={"url": f"https://acme.{platform}.example", "api_key": "k"}
        ),
        account_name=f"Acme on {platform}",
    )


def configured(owner, *, target: str = "freshdesk", entities=(Entity.TICKETS, Entity.ARTICLES)):
    migration = services.migration_create(owner=owner, name=f"Zendesk to {target}")
    services.migration_configure(
        migration=migration,
        source=connection(owner, "zendesk"),
        target=connection(owner, target),
        entities=list(entities),
        matches=configuration.Matches(),
        field_mappings=configuration.FieldMappings(),
    )
    if target == "teamwork_desk":
        from connectors.base import Scope

        services.migration_configure(
            migration=migration, target_scope=Scope(id="1", name="Support")
        )
    migration.refresh_from_db()
    return migration


def offered(response) -> list[str]:
    return [field.name for field in response.context["form"].option_fields()]


def test_the_options_are_those_the_pair_allows(client, user):
    client.force_login(user)
    to_freshdesk = client.get(reverse("wizard_options", args=[configured(user).pk]))
    assert to_freshdesk.status_code == 200
    assert offered(to_freshdesk) == [
        "skip_attachments",
        "tag_tickets",
        "side_conversations_as_notes",
        "call_recordings_as_notes",
        "translations",
        "verify_migrated",
    ]
    assert to_freshdesk.context["form"]["verify_migrated"].value() is True  # on by default
    page = to_freshdesk.content.decode()
    assert "data-warn-unsaved" in page
    assert "Tickets for the demo" in page and "Articles for the demo" in page
    # Each option explains itself in one line.
    assert "Move the translations of knowledge base articles along with them." in page

    to_teamwork = client.get(
        reverse("wizard_options", args=[configured(user, target="teamwork_desk").pk])
    )
    assert "inline_images_as_attachments" in offered(to_teamwork)
    assert "translations" not in offered(to_teamwork)


def test_saving_the_options_parses_the_demo_ids_and_goes_on(client, user):
    migration = configured(user)
    client.force_login(user)
    url = reverse("wizard_options", args=[migration.pk])
    response = client.post(
        url,
        {
            "skip_attachments": "on",
            "tag_tickets": "on",
            "migrated_tag": " from-zendesk ",
            "side_conversations_as_notes": "on",
            "demo_tickets": "101, 102 103\n104,101",
            "demo_articles": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard_demo", args=[migration.pk])
    migration.refresh_from_db()
    options = migration.configured_options()
    assert options.skip_attachments is True
    assert options.migrated_tag == "from-zendesk"
    assert options.side_conversations_as_notes is True
    assert options.call_recordings_as_notes is False
    assert options.translations is False  # unticked
    assert options.verify_migrated is False  # unticked: verification off, for speed
    assert options.demo_ids == {Entity.TICKETS: ["101", "102", "103", "104"]}

    again = client.get(url)
    form = again.context["form"]
    assert form["tag_tickets"].value() is True
    assert form["migrated_tag"].value() == "from-zendesk"
    assert form["demo_tickets"].value() == "101, 102, 103, 104"


def test_an_untagged_migration_saves_no_tag(client, user):
    migration = configured(user)
    client.force_login(user)
    url = reverse("wizard_options", args=[migration.pk])
    assert client.post(url, {"migrated_tag": "left over"}).status_code == 302
    migration.refresh_from_db()
    assert migration.configured_options().migrated_tag == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"demo_tickets": " ".join(str(n) for n in range(1, 22))},
            "A demo takes at most 20 tickets; you entered 21.",
        ),
        (
            {"demo_articles": ",".join(f"a{n}" for n in range(25))},
            "A demo takes at most 20 articles; you entered 25.",
        ),
        (
            {"demo_tickets": "12, <script>"},
            "“&lt;script&gt;”: not a ticket id on Zendesk, whose ticket ids are whole numbers",
        ),
        (
            {"demo_tickets": "abc 99999"},
            "“abc”: not a ticket id on Zendesk, whose ticket ids are whole numbers (such as 1234).",
        ),
        (
            {"demo_articles": "12 how-to"},
            "“how-to”: not an article id on Zendesk, whose article ids are whole numbers",
        ),
        ({"tag_tickets": "on", "migrated_tag": "two words"}, "is not a tag: use one word"),
        ({"tag_tickets": "on", "migrated_tag": ""}, "Enter the tag to add"),
    ],
)
def test_wrong_input_is_explained_and_kept(client, user, data, message):
    migration = configured(user)
    client.force_login(user)
    url = reverse("wizard_options", args=[migration.pk])
    response = client.post(url, {"skip_attachments": "on", **data})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    form = response.context["form"]
    for name, value in data.items():
        assert form[name].value() in (value, True)
    assert form["skip_attachments"].value() is True
    migration.refresh_from_db()
    assert migration.options == {}


def test_data_without_pair_options_offers_verification_only_and_saves(client, user):
    migration = configured(user, entities=(Entity.CONTACTS,))
    client.force_login(user)
    url = reverse("wizard_options", args=[migration.pk])
    response = client.get(url)
    assert offered(response) == ["verify_migrated"]
    assert client.post(url, {"verify_migrated": "on"}).status_code == 302
    migration.refresh_from_db()
    assert migration.configured_options().verify_migrated is True


def test_other_users_get_a_404(client, user, make_user):
    migration = configured(user)
    url = reverse("wizard_options", args=[migration.pk])
    assert client.get(url).status_code == 302  # to the log-in page
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    assert client.post(url, {"skip_attachments": "on"}).status_code == 404
    migration.refresh_from_db()
    assert migration.options == {}


def test_record_ids_are_split_on_commas_spaces_and_lines():
    assert parse_record_ids(" 1,2 ;3\n\n4\t1 ") == ["1", "2", "3", "4"]
    assert parse_record_ids("") == []
