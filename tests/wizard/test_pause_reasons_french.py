"""A run's pause or failure reason is kept as a message id with its parameters and shown
in the reader's language; the platform's own words stay as the platform said them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from connectors.errors import ConnectorError
from connectors.messages import Message
from migrator.engine import failures, scheduling
from migrator.models import Run
from tests.wizard.test_runs import run_url, start_form

pytestmark = pytest.mark.django_db


def paused_run(client, sandbox, reason) -> Run:
    client.post(run_url(sandbox.migration), start_form())
    run = Run.objects.get(migration=sandbox.migration)
    assert scheduling.run_pause(run=run, paused_by=Run.PausedBy.SYSTEM, reason=reason)
    run.refresh_from_db()
    return run


def french_page(client, run: Run) -> str:
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    try:
        return client.get(run_url(run.migration)).content.decode()
    finally:
        client.post(reverse("set_language"), {"language": "en", "next": "/"})


def test_a_platform_failure_pauses_with_a_reason_shown_in_french(client, user, sandbox):
    client.force_login(user)
    error = ConnectorError("Freshdesk answered 503: Service Unavailable")
    run = paused_run(client, sandbox, failures.systemic_reason(error))
    assert run.pause_reason.startswith("The run paused: ")
    page = french_page(client, run)
    assert "L\u2019exécution s\u2019est mise en pause" in page
    assert "The run paused" not in page


def test_too_many_failed_records_say_so_in_french_with_their_figures(client, user, sandbox):
    client.force_login(user)
    from migrator.engine import reasons

    reason = Message(reasons.TOO_MANY_FAILED, {"failed": 12, "total": 20, "threshold": "50%"})
    run = paused_run(client, sandbox, reason)
    assert run.pause_reason.startswith("12 of the 20 records written so far failed")
    with translation.override("fr"):
        assert run.pause_reason_shown.startswith("12 des 20 enregistrements écrits")
    assert "12 des 20 enregistrements" in french_page(client, run)


def test_a_reason_a_person_typed_is_shown_as_typed(client, user, sandbox):
    client.force_login(user)
    run = paused_run(client, sandbox, "Waiting for the Monday backup")
    assert run.pause_reason_message == {}
    with translation.override("fr"):
        assert run.pause_reason_shown == "Waiting for the Monday backup"


def test_a_pause_outside_the_windows_names_the_day_in_french(client, user, sandbox):
    client.force_login(user)
    reason = scheduling.Message(
        "Outside the hours chosen for this interval migration. It continues at %(day)s %(time)s.",
        {"day": scheduling.Message("Tuesday"), "time": "22:00"},
    )
    run = paused_run(client, sandbox, reason)
    assert run.pause_reason.endswith("It continues at Tuesday 22:00.")
    with translation.override("fr"):
        assert run.pause_reason_shown.lower().endswith("elle reprend le mardi à 22:00.")
