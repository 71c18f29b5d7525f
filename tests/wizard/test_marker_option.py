"""The marker written on migrated records: explained on the options step (what it is,
where the target keeps it, why it keeps runs idempotent, when removing it is safe), its
prefix configurable and validated, and fixed once a run wrote records."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from connectors.base import is_marker, source_marker
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import RecordMap
from tests.wizard.test_options import configured

pytestmark = pytest.mark.django_db


def options_url(migration) -> str:
    return reverse("wizard_options", args=[migration.pk])


@pytest.mark.parametrize(
    ("target", "place"),
    [
        ("freshdesk", "a tag on tickets, contacts and solution articles"),
        ("zendesk", "the external id of tickets, users and organizations"),
        ("teamwork_desk", "a tag on tickets and the external id of customers"),
    ],
)
def test_the_options_step_explains_the_marker(client, user, target, place):
    client.force_login(user)
    migration = configured(user, target=target)
    page = client.get(options_url(migration)).content.decode()
    section = page[page.index('id="marker"') :]
    example = source_marker(migration_id=migration.pk, entity=Entity.TICKETS, source_id="1234")
    assert example in section
    assert place in section
    assert "finds by its marker the record it created" in section
    assert "instead of creating a second one" in section
    assert "Removing the markers after the migration is safe once you plan no more runs" in section
    assert 'name="marker_prefix"' in section
    assert 'value="hdm"' in section


def test_a_chosen_prefix_is_saved_and_shown_in_the_example(client, user):
    client.force_login(user)
    migration = configured(user)
    response = client.post(options_url(migration), {"marker_prefix": " Acme "})
    assert response.status_code == 302
    migration.refresh_from_db()
    assert migration.configured_options().marker_prefix == "acme"
    page = client.get(options_url(migration)).content.decode()
    assert (
        source_marker(
            migration_id=migration.pk, entity=Entity.TICKETS, source_id="1234", prefix="acme"
        )
        in page
    )


@pytest.mark.parametrize("prefix", ["acme corp", "été", "a-b", "1abc", "toolong", "tag!"])
def test_a_prefix_no_platform_takes_is_a_form_error(client, user, prefix):
    client.force_login(user)
    migration = configured(user)
    response = client.post(options_url(migration), {"marker_prefix": prefix})
    assert response.status_code == 200
    errors = response.context["form"].errors["marker_prefix"]
    assert "cannot start a marker" in errors[0]
    assert "1 to 6 lower-case letters" in errors[0]
    migration.refresh_from_db()
    assert migration.configured_options().marker_prefix == "hdm"


def test_once_a_run_wrote_records_the_prefix_is_fixed_and_says_why(client, user):
    client.force_login(user)
    migration = configured(user)
    RecordMap.objects.create(
        migration=migration, namespace="main", entity="tickets", source_id="1", target_id="9"
    )
    page = client.get(options_url(migration)).content.decode()
    assert "data-marker-locked" in page
    assert "later runs find them by it" in page
    field = re.search(r"<input[^>]*name=\"marker_prefix\"[^>]*>", page).group(0)
    assert "disabled" in field
    # A forged POST changes nothing.
    response = client.post(options_url(migration), {"marker_prefix": "acme"})
    assert response.status_code == 302
    migration.refresh_from_db()
    assert migration.configured_options().marker_prefix == "hdm"
    # The service refuses it too.
    with pytest.raises(ValidationError) as refused:
        services.migration_configure(
            migration=migration, options=configuration.Options(marker_prefix="acme")
        )
    assert "records on the target already carry it" in refused.value.messages[0]


def test_markers_keep_within_what_every_platform_takes():
    default = source_marker(migration_id=7, entity=Entity.TICKETS, source_id="123456789012345")
    # The default marker is the one runs before the prefix became configurable wrote.
    assert default.startswith("hdm-") and default.endswith("-tkt-123456789012345")
    assert len(default) == 32
    for prefix in ("a", "acme", "abcdef"):
        for source_id in ("1", "123456789012345", "x" * 200, "Ünïcode id", "99999999999"):
            marker = source_marker(
                migration_id=7, entity=Entity.TICKETS, source_id=source_id, prefix=prefix
            )
            assert len(marker) <= 32, marker
            assert marker.startswith(f"{prefix}-")
            assert is_marker(marker), marker
    assert source_marker(
        migration_id=7, entity=Entity.TICKETS, source_id="x" * 200, prefix="abcdef"
    ) != source_marker(migration_id=7, entity=Entity.TICKETS, source_id="y" * 200, prefix="abcdef")
    with pytest.raises(ValueError):
        source_marker(migration_id=7, entity=Entity.TICKETS, source_id="1", prefix="Bad Prefix")
    assert not is_marker("billing")
    assert not is_marker("acme-1234")
