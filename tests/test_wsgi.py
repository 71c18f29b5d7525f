"""The emulated help desks' entry point skips the site's per-request work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import RequestFactory

from migrator.wsgi import SandboxHandler


@pytest.fixture
def health_checks(db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Turns health checks on for the test's connection and records each one."""
    checked: list[bool] = []
    connection.ensure_connection()
    saved = (connection.health_check_enabled, connection.health_check_done)
    connection.health_check_enabled, connection.health_check_done = True, False

    def is_usable() -> bool:
        checked.append(True)
        return True

    monkeypatch.setattr(connection, "is_usable", is_usable)
    yield checked
    connection.health_check_enabled, connection.health_check_done = saved


def _emulated_call(monkeypatch: pytest.MonkeyPatch) -> int:
    """An emulated call, which looks its account up in the database."""
    asked: list[bool] = []
    ensure_connection = connection.ensure_connection

    def asking() -> None:
        asked.append(True)
        ensure_connection()

    monkeypatch.setattr(connection, "ensure_connection", asking)
    request = RequestFactory().get("/sandbox/zendesk/nobody/api/v2/users/me.json")
    status = SandboxHandler().get_response(request).status_code
    assert asked, "the call did not reach the database"
    return status


def test_an_emulated_call_on_a_sound_connection_runs_no_health_check(
    health_checks: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    connection.errors_occurred = False

    assert _emulated_call(monkeypatch) == 404  # no such account: its lookup did reach the database
    assert health_checks == []


def test_an_emulated_call_after_a_database_error_checks_the_connection_first(
    health_checks: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    connection.errors_occurred = True

    assert _emulated_call(monkeypatch) == 404
    assert health_checks == [True]
