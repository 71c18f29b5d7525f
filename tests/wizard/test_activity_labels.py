"""The activity log names configuration fields and help desks as people read them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_activity_log_shows_labels_not_field_names(client, user, sandbox):
    migration = sandbox.migration
    AuditEvent.objects.filter(migration=migration).delete()
    services.migration_configure(
        migration=migration,
        entities=[Entity.TICKETS],
        filters=configuration.Filters(),
        by=user,
    )
    AuditEvent.objects.create(
        migration=migration,
        actor=user,
        action=AuditEvent.Action.CONFIGURED,
        detail="target_scope_id, target_scope_name",
    )
    services.migration_configure(migration=migration, source=migration.source, by=user)
    client.force_login(user)
    page = client.get(reverse("migration_activity", args=[migration.pk])).content.decode()
    for raw in ("target_scope_id", "target_scope_name", ": entities, filters", "zendesk:"):
        assert raw not in page, raw
    assert "saved a step: the data to migrate, the filters" in page
    assert "saved a step: where the tickets go on the target<" in page
    assert "connected a help desk: Acme on Zendesk" in page

    french = client.get(
        reverse("migration_activity", args=[migration.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "les données à migrer, les filtres" in french
    assert "la destination des tickets sur la cible" in french
