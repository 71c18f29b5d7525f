import re

import pytest
from django.urls import reverse

from migrator.models import Migration
from migrator.services import migration_create

pytestmark = pytest.mark.django_db


def test_dashboard_requires_sign_in(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_lists_only_the_users_migrations(client, user, make_user):
    migration_create(owner=user, name="Zendesk to Freshdesk")
    migration_create(owner=make_user(), name="Someone else's move")
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert b"Zendesk to Freshdesk" in response.content
    assert b"Someone else" not in response.content


def test_new_migration_is_created_with_a_clean_name(client, user):
    client.force_login(user)
    response = client.post(reverse("migration_create"), {"name": "  Support   desk move "})
    assert response.status_code == 302
    migration = Migration.objects.get(owner=user)
    # A new migration opens the wizard at its first step, not the dashboard.
    assert response["Location"] == reverse("wizard_connect", args=[migration.pk])
    assert migration.name == "Support desk move"
    assert migration.status == Migration.Status.DRAFT


def test_blank_name_is_refused_with_a_message(client, user):
    client.force_login(user)
    response = client.post(reverse("migration_create"), {"name": "   "})
    assert response.status_code == 200
    assert Migration.objects.count() == 0
    assert "This field is required." in response.content.decode()


def test_rename_through_htmx_returns_the_updated_row(client, user):
    migration = migration_create(owner=user, name="Old name")
    client.force_login(user)
    url = reverse("migration_rename", args=[migration.pk])
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert b'name="name"' in form.content
    assert b"<html" not in form.content

    row = client.post(url, {"name": "New name"}, headers={"HX-Request": "true"})
    assert row.status_code == 200
    assert b"New name" in row.content
    migration.refresh_from_db()
    assert migration.name == "New name"


def test_rename_without_javascript_redirects(client, user):
    migration = migration_create(owner=user, name="Old name")
    client.force_login(user)
    response = client.post(reverse("migration_rename", args=[migration.pk]), {"name": "Plain"})
    assert response.status_code == 302
    migration.refresh_from_db()
    assert migration.name == "Plain"


@pytest.mark.parametrize("route", ["migration_rename", "migration_row"])
def test_other_users_get_404(client, user, make_user, route):
    migration = migration_create(owner=user, name="Private")
    client.force_login(make_user())
    assert client.get(reverse(route, args=[migration.pk])).status_code == 404
    response = client.post(reverse("migration_rename", args=[migration.pk]), {"name": "Hijack"})
    assert response.status_code == 404
    migration.refresh_from_db()
    assert migration.name == "Private"


def test_healthz_reports_the_database_and_the_broker(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"] == "ok"


def test_french_interface(client, user):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    response = client.get(reverse("dashboard"))
    content = response.content.decode()
    assert 'lang="fr"' in content
    assert "Vos migrations" in content
    assert "Nouvelle migration" in content


def test_a_row_links_into_the_wizard_and_shows_the_pair(client, user):
    from migrator.models import Connection

    migration = migration_create(owner=user, name="Support desk move")
    client.force_login(user)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("migration_continue", args=[migration.pk])}"' in page
    assert "Not connected yet" in page

    def connection(platform: str) -> Connection:
        return Connection.objects.create(
            owner=user, platform=platform, encrypted_credentials="x", account_name=platform
        )

    migration.source, migration.target = connection("zendesk"), connection("freshdesk")
    migration.save()
    page = client.get(reverse("dashboard")).content.decode()
    pair = re.search(r'class="migration-pair">(.*?)</td>', page, re.S).group(1)
    assert re.sub(r"<[^>]+>|\s+", " ", pair).split() == ["Zendesk", "→", "to", "Freshdesk"]
