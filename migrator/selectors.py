"""Reads of the core domain. Every read of a migration goes through who may see it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from migrator.models import Migration, User


def migrations_visible_to(*, user: User) -> QuerySet[Migration]:
    """The migrations a user may see, newest first."""
    if not user.is_authenticated:
        return Migration.objects.none()
    return Migration.objects.filter(owner=user).select_related("owner")


def migration_for_user(*, user: User, migration_id: int) -> Migration:
    """One migration the user may see; anyone else gets a 404, never a 403."""
    try:
        return migrations_visible_to(user=user).get(pk=migration_id)
    except Migration.DoesNotExist:
        raise Http404("No such migration.") from None
