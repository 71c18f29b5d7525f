from __future__ import annotations

import itertools

import pytest

from migrator.models import User

_emails = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_user(db):
    def make(*, email: str | None = None, **fields) -> User:
        return User.objects.create_user(
            email or f"person{next(_emails)}@example.com", PASSWORD, **fields
        )

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user(email="owner@example.com")
