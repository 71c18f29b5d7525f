"""Who may do what to a migration: the one place every view, download, partial and task
trigger asks.

Roles: the owner; teammates with full access (everything but deleting the migration
and managing its members) or restricted access (follow progress, read reports, edit
matching and mapping); support staff, only while the owner's grant lasts, who inspect
runs and resume them. An archived migration can be read, never changed. Whoever may not
do a thing is answered 404, as if the migration did not exist.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from migrator.models import Membership, Migration, SupportGrant, User

#: The staff group whose members see the support console.
SUPPORT_GROUP = "Support"


class Role(StrEnum):
    OWNER = "owner"
    FULL = "full"
    RESTRICTED = "restricted"
    SUPPORT = "support"


class Action(StrEnum):
    #: Follow progress, read results and reports, download CSVs.
    VIEW = "view"
    #: Agent and group matching, field mapping.
    EDIT_MAPPING = "edit_mapping"
    #: Choose the data, filters and options.
    CONFIGURE = "configure"
    #: Connect help desks and choose the target's scope: the credentials.
    MANAGE_CONNECTIONS = "manage_connections"
    #: Start, pause, resume, cancel and schedule runs (the demo included).
    RUN = "run"
    PAY = "pay"
    #: Read the orders' receipts (kept once the migration is archived).
    VIEW_BILLING = "view_billing"
    #: Invite and revoke teammates; grant or revoke support access.
    MANAGE_MEMBERS = "manage_members"
    DELETE = "delete"
    #: Read the audit log.
    VIEW_ACTIVITY = "view_activity"
    #: Support staff: read a run's log and failed records, leave a note.
    INSPECT = "inspect"
    #: Support staff: resume a paused run.
    SUPPORT_RESUME = "support_resume"


_EVERYTHING = frozenset(Action) - {Action.INSPECT, Action.SUPPORT_RESUME}
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: _EVERYTHING,
    Role.FULL: _EVERYTHING - {Action.DELETE, Action.MANAGE_MEMBERS},
    Role.RESTRICTED: frozenset({Action.VIEW, Action.EDIT_MAPPING}),
    Role.SUPPORT: frozenset({Action.INSPECT, Action.SUPPORT_RESUME}),
}
#: What an archived migration still allows.
READ_ONLY_ACTIONS = frozenset(
    {Action.VIEW, Action.VIEW_ACTIVITY, Action.VIEW_BILLING, Action.INSPECT}
)


def is_support_staff(user: User | AnonymousUser) -> bool:
    return bool(
        user.is_authenticated
        and user.is_staff
        and user.is_active
        and user.groups.filter(name=SUPPORT_GROUP).exists()
    )


def support_granted(migration: Migration) -> bool:
    return SupportGrant.objects.filter(
        migration=migration, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def role_of(user: User | AnonymousUser, migration: Migration) -> Role | None:
    """The user's role on the migration, or None when they have none."""
    if not user.is_authenticated or not user.is_active:
        return None
    if migration.owner_id == user.pk:
        return Role.OWNER
    membership_role = (
        Membership.objects.filter(migration=migration, user=user)
        .values_list("role", flat=True)
        .first()
    )
    if membership_role:
        return Role(membership_role)
    if is_support_staff(user) and support_granted(migration):
        return Role.SUPPORT
    return None


def allows(role: Role | None, action: Action, *, archived: bool = False) -> bool:
    if role is None or action not in ROLE_ACTIONS[role]:
        return False
    return not archived or action in READ_ONLY_ACTIONS


def can(user: User | AnonymousUser, migration: Migration, action: Action) -> bool:
    return allows(role_of(user, migration), action, archived=migration.archived_at is not None)


def require(user: User | AnonymousUser, migration: Migration, action: Action) -> Role:
    """The user's role when it allows ``action``; a 404 otherwise."""
    role = role_of(user, migration)
    if not allows(role, action, archived=migration.archived_at is not None):
        raise Http404("No such migration.")
    assert role is not None
    return role


def allowed_actions(user: User | AnonymousUser, migration: Migration) -> frozenset[Action]:
    """Everything the user may do, for pages that show or hide their buttons."""
    role = role_of(user, migration)
    archived = migration.archived_at is not None
    return frozenset(action for action in Action if allows(role, action, archived=archived))
