"""The `Support` group the README names, created by `migrate` (idempotent).

Its members, when they are staff, use the support console: they read the log and failed
records of runs whose owner granted support access, leave notes and resume those runs.
`migrator/policy.py` decides, per migration and grant; the group's permissions name
what it is for, in the admin too.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from migrator.policy import SUPPORT_GROUP

#: (codename, name) of the permissions the Support group carries, on the Run model.
SUPPORT_PERMISSIONS = (
    (
        "inspect_supported_run",
        "Can read the log and failed records of runs whose owner granted support access",
    ),
    ("note_supported_run", "Can leave a note on runs whose owner granted support access"),
    ("resume_supported_run", "Can resume runs whose owner granted support access"),
)


def support_group_ensure() -> Group:
    """Create the Support group and its permissions, or complete them; never duplicates."""
    from migrator.models import Run

    group, _created = Group.objects.get_or_create(name=SUPPORT_GROUP)
    content_type = ContentType.objects.get_for_model(Run)
    permissions = []
    for codename, name in SUPPORT_PERMISSIONS:
        permission, _new = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions.append(permission)
    group.permissions.add(*permissions)
    return group


def support_group_after_migrate(sender, **kwargs) -> None:
    support_group_ensure()
