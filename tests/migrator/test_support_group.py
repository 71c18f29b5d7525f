"""The Support group the README names exists after `migrate`, with its permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from migrator import policy
from migrator.groups import SUPPORT_PERMISSIONS, support_group_ensure

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_support_group_with_its_permissions():
    group = Group.objects.get(name=policy.SUPPORT_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == {codename for codename, _name in SUPPORT_PERMISSIONS}


def test_creating_it_again_changes_nothing(make_user):
    before = Group.objects.get(name=policy.SUPPORT_GROUP)
    support_group_ensure()
    support_group_ensure()
    assert Group.objects.filter(name=policy.SUPPORT_GROUP).count() == 1
    assert Group.objects.get(name=policy.SUPPORT_GROUP).permissions.count() == len(
        SUPPORT_PERMISSIONS
    )
    staff = make_user(is_staff=True)
    assert not policy.is_support_staff(staff)
    staff.groups.add(before)
    assert policy.is_support_staff(staff)
    assert staff.has_perm("migrator.resume_supported_run")
