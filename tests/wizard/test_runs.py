"""Step 8, the full migration: estimate, start now or on a schedule, pause, resume,
cancel, results, then a delta."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from migrator.models import Run
from tests.wizard.conftest import SMALL_SOURCE, drain

pytestmark = pytest.mark.django_db


def run_url(migration) -> str:
    return reverse("wizard_run", args=[migration.pk])


def start_form(**fields) -> dict[str, str]:
    data = {
        "start": "now",
        "scheduled_for": "",
        "window-TOTAL_FORMS": "2",
        "window-INITIAL_FORMS": "0",
        "window-MIN_NUM_FORMS": "0",
        "window-MAX_NUM_FORMS": "2",
    }
    data.update(fields)
    return data


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_before_the_start_the_page_shows_counts_and_the_estimated_duration(client, user, sandbox):
    client.force_login(user)
    response = client.get(run_url(sandbox.migration))
    assert response.status_code == 200
    counts = {row.entity: row.count for row in response.context["estimate_rows"]}
    assert counts["tickets"] == SMALL_SOURCE.tickets
    assert counts["articles"] == SMALL_SOURCE.articles
    assert counts["contacts"] >= SMALL_SOURCE.contacts
    assert response.context["estimate_total"] == sum(counts.values())
    content = response.content.decode()
    assert "Estimated duration:" in content
    assert response.context["estimate_text"]
    assert 'name="scheduled_for"' in content and 'name="window-0-days"' in content
    assert "Run delta" not in content


def test_an_unreadable_source_is_said_in_plain_words(client, user, sandbox):
    sandbox.source.secrets = {**sandbox.source.secrets, "api_token": "rotated"}
    sandbox.source.save(update_fields=["secrets"])
    client.force_login(user)
    response = client.get(run_url(sandbox.migration))
    assert response.status_code == 200
    assert "The records on the source could not be counted:" in response.content.decode()
    assert response.context["estimate_error"]


def test_start_now(client, user, sandbox):
    client.force_login(user)
    response = client.post(run_url(sandbox.migration), start_form())
    assert response.status_code == 302
    run = Run.objects.get(migration=sandbox.migration)
    assert (run.kind, run.status, run.scheduled_for) == (Run.Kind.FULL, Run.Status.RUNNING, None)
    content = client.get(run_url(sandbox.migration)).content.decode()
    assert "The full migration has started." in content
    assert reverse("wizard_run_progress", args=[run.pk]) + "?shown=running" in content
    assert reverse("wizard_run_pause", args=[run.pk]) in content
    assert reverse("wizard_run_cancel", args=[run.pk]) in content
    assert "Start the full migration" not in content


def test_schedule_for_later_with_interval_windows(client, user, sandbox):
    client.force_login(user)
    when = timezone.now() + timedelta(days=2)
    response = client.post(
        run_url(sandbox.migration),
        start_form(
            start="later",
            scheduled_for=local_input(when),
            **{
                "window-0-days": ["6", "7"],
                "window-0-start": "08:00",
                "window-0-end": "18:00",
                "window-1-days": ["1", "2", "3", "4", "5"],
                "window-1-start": "20:00",
                "window-1-end": "06:00",
            },
        ),
    )
    assert response.status_code == 302
    run = Run.objects.get(migration=sandbox.migration)
    assert run.status == Run.Status.QUEUED
    assert abs(run.scheduled_for - when) < timedelta(minutes=1)
    windows = run.configured_windows()
    assert [(w.days, w.start, w.end) for w in windows] == [
        ([6, 7], time(8), time(18)),
        ([1, 2, 3, 4, 5], time(20), time(6)),
    ]
    content = client.get(run_url(sandbox.migration)).content.decode()
    assert "The full migration is scheduled for" in content
    assert "Starts on" in content
    assert "Not started yet" in content
    # It polls, so the page follows the run when it starts.
    assert reverse("wizard_run_progress", args=[run.pk]) + "?shown=queued" in content
    assert "Saturday, Sunday: 08:00 to 18:00" in content


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start": "later", "scheduled_for": ""}, "Choose the date and time to start at."),
        ({"start": "later", "scheduled_for": "2020-01-01T10:00"}, "Choose a moment in the future."),
        ({"start": "later", "scheduled_for": "next tuesday"}, "Enter a valid date/time."),
        ({"window-0-days": ["6"]}, "Give the hours of this window: from and to."),
        ({"window-0-start": "08:00", "window-0-end": "18:00"}, "Choose the days of this window."),
        (
            {"window-0-days": ["6"], "window-0-start": "08:00", "window-0-end": "08:00"},
            "The window ends when it starts",
        ),
        ({"window-TOTAL_FORMS": "40"}, "Please submit at most 2 forms."),
    ],
)
def test_a_refused_start_form_says_why_and_keeps_what_was_typed(
    client, user, sandbox, fields, message
):
    client.force_login(user)
    response = client.post(run_url(sandbox.migration), start_form(**fields))
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert not Run.objects.exists()
    if fields.get("scheduled_for"):
        assert f'value="{fields["scheduled_for"]}"' in content
    if "window-0-start" in fields:
        assert f'value="{fields["window-0-start"]}"' in content


def test_pause_resume_and_cancel_go_through_the_services(client, user, sandbox):
    client.force_login(user)
    client.post(run_url(sandbox.migration), start_form())
    run = Run.objects.get(migration=sandbox.migration)

    response = client.post(reverse("wizard_run_pause", args=[run.pk]))
    assert response.status_code == 302 and response["Location"] == run_url(sandbox.migration)
    run.refresh_from_db()
    assert (run.status, run.paused_by) == (Run.Status.PAUSED, Run.PausedBy.USER)
    content = client.get(run_url(sandbox.migration)).content.decode()
    assert "You paused this run." in content
    assert reverse("wizard_run_resume", args=[run.pk]) in content
    assert reverse("wizard_run_pause", args=[run.pk]) not in content

    client.post(reverse("wizard_run_resume", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
    assert "Resumed" in client.get(run_url(sandbox.migration)).content.decode()

    # Cancel asks first.
    confirm = client.get(reverse("wizard_run_cancel", args=[run.pk]))
    assert confirm.status_code == 200
    assert "Yes, cancel the run" in confirm.content.decode()
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
    response = client.post(reverse("wizard_run_cancel", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == Run.Status.CANCELLED
    # A cancelled full run can be started again.
    content = client.get(run_url(sandbox.migration)).content.decode()
    assert "The run is cancelled." in content
    assert "Start the full migration" in content


def test_controls_on_a_finished_run_are_refused_with_a_message(client, user, sandbox):
    client.force_login(user)
    client.post(run_url(sandbox.migration), start_form())
    run = drain(Run.objects.get(migration=sandbox.migration))
    assert run.status == Run.Status.COMPLETED
    for route, message in [
        ("wizard_run_pause", "Only a queued or running run can be paused."),
        ("wizard_run_resume", "Only a paused run can be resumed."),
        ("wizard_run_cancel", "This run has already ended."),
    ]:
        response = client.post(reverse(route, args=[run.pk]), follow=True)
        assert message in response.content.decode(), route
    run.refresh_from_db()
    assert run.status == Run.Status.COMPLETED


def test_pause_and_resume_take_only_a_post(client, user, sandbox):
    client.force_login(user)
    client.post(run_url(sandbox.migration), start_form())
    run = Run.objects.get(migration=sandbox.migration)
    assert client.get(reverse("wizard_run_pause", args=[run.pk])).status_code == 405
    assert client.get(reverse("wizard_run_resume", args=[run.pk])).status_code == 405
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING


def test_when_done_the_results_and_a_delta_whose_results_show_likewise(client, user, sandbox):
    client.force_login(user)
    client.post(run_url(sandbox.migration), start_form())
    full = drain(Run.objects.get(migration=sandbox.migration))
    assert full.status == Run.Status.COMPLETED

    response = client.get(run_url(sandbox.migration))
    content = response.content.decode()
    assert f"Results of the full migration #{full.pk}" in content
    tickets = next(row for row in response.context["summary"] if row.entity == "tickets")
    assert tickets.available == SMALL_SOURCE.tickets
    assert tickets.migrated + tickets.skipped + tickets.failed == SMALL_SOURCE.tickets
    assert "Run delta" in content
    assert "Start the full migration" not in content

    response = client.post(reverse("wizard_run_delta", args=[sandbox.migration.pk]))
    assert response.status_code == 302
    delta = Run.objects.get(migration=sandbox.migration, kind=Run.Kind.DELTA)
    assert delta.updated_since is not None and delta.updated_since < full.started_at
    content = client.get(run_url(sandbox.migration)).content.decode()
    assert "The delta migration has started." in content
    drain(delta)

    response = client.get(run_url(sandbox.migration))
    content = response.content.decode()
    assert f"Results of the delta migration #{delta.pk}" in content
    assert response.context["results_run"] == delta
    # The history lists both runs, each with a link to its results.
    assert [run.pk for run in response.context["history"]] == [delta.pk, full.pk]
    assert reverse("wizard_run_results", args=[full.pk]) in content
    assert reverse("wizard_run_results", args=[delta.pk]) in content


def test_a_delta_before_the_full_run_is_refused_with_a_message(client, user, sandbox):
    client.force_login(user)
    response = client.post(reverse("wizard_run_delta", args=[sandbox.migration.pk]), follow=True)
    assert "Run the full migration before a delta" in response.content.decode()
    assert not Run.objects.exists()


def test_a_full_run_cannot_start_while_a_demo_runs(client, user, sandbox):
    client.force_login(user)
    client.post(reverse("wizard_demo_start", args=[sandbox.migration.pk]))
    response = client.post(run_url(sandbox.migration), start_form(), follow=True)
    assert "A run of this migration is already under way." in response.content.decode()
    assert not Run.objects.filter(kind=Run.Kind.FULL).exists()


def test_other_users_get_404(client, user, make_user, sandbox):
    client.force_login(user)
    client.post(run_url(sandbox.migration), start_form())
    run = Run.objects.get(migration=sandbox.migration)
    client.force_login(make_user())
    assert client.get(run_url(sandbox.migration)).status_code == 404
    assert client.post(run_url(sandbox.migration), start_form()).status_code == 404
    delta = reverse("wizard_run_delta", args=[sandbox.migration.pk])
    assert client.post(delta).status_code == 404
    for route in ("wizard_run_pause", "wizard_run_resume", "wizard_run_cancel"):
        assert client.post(reverse(route, args=[run.pk])).status_code == 404, route
    assert client.get(reverse("wizard_run_cancel", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
    assert Run.objects.count() == 1
