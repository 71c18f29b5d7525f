"""A run's results page, its records a page at a time, its CSV reports, and the progress
partial the pages poll."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from connectors.models import EmulatedRecord
from migrator import services
from migrator.models import Run, RunEntity
from reports.models import RunRecord
from tests.wizard.conftest import drain, recorded_run

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict[str, str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_of_migrated_tickets_names_records_that_exist_on_the_target(client, user, sandbox):
    run = drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO))
    client.force_login(user)
    url = reverse("wizard_run_csv", args=[run.pk])
    response = client.get(url, {"outcome": "migrated"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="run-{run.pk}-demo-migrated.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    tickets = [row for row in rows if row["entity"] == "tickets"]
    assert (
        len(tickets)
        == RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated").count()
    )
    assert len(tickets) == 20
    on_target = set(
        EmulatedRecord.objects.filter(account=sandbox.target, collection="tickets").values_list(
            "number", flat=True
        )
    )
    for row in tickets:
        assert int(row["target_id"]) in on_target, row
        assert row["source_url"].endswith(f"/agent/tickets/{row['source_id']}")
        assert row["target_url"].endswith(f"/a/tickets/{row['target_id']}")
    assert {row["entity"] for row in rows} >= {"tickets", "articles", "contacts"}


def test_csv_per_outcome_and_of_all_records(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=120)
    client.force_login(user)
    url = reverse("wizard_run_csv", args=[run.pk])
    failed = csv_rows(client.get(url, {"outcome": "failed"}))
    assert [row["source_id"] for row in failed] == [str(n) for n in range(10, 121, 10)]
    assert failed[0]["reason"] == "Ticket 10 refused"
    assert failed[0]["target_id"] == "" and failed[0]["target_url"] == ""
    everything = csv_rows(client.get(url))
    assert len(everything) == 120
    assert list(everything[0]) == [
        "entity",
        "source_id",
        "title",
        "source_url",
        "target_id",
        "target_url",
        "outcome",
        "reason",
        "verification",
    ]
    assert {row["verification"] for row in everything} == {""}  # never read back
    # An unknown outcome is the whole report, not an error.
    assert len(csv_rows(client.get(url, {"outcome": "everything"}))) == 120


def test_csv_and_results_page_say_what_verification_found(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=20)
    rows = RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.MIGRATED)
    rows.update(verification=RunRecord.Verification.VERIFIED)
    differs = rows.get(source_id="1")
    differs.outcome = RunRecord.Outcome.FAILED
    differs.verification = RunRecord.Verification.DIFFERS
    differs.differences = "1 of 3 comments missing on the target: “Hello”"
    differs.save()
    client.force_login(user)
    lines = csv_rows(client.get(reverse("wizard_run_csv", args=[run.pk])))
    found = {row["source_id"]: row["verification"] for row in lines}
    assert found[differs.source_id] == "differs: 1 of 3 comments missing on the target: “Hello”"
    assert found["2"] == "verified"
    assert found["10"] == ""  # failed when written: nothing to read back
    page = client.get(reverse("wizard_run_results", args=[run.pk])).content.decode()
    verified = rows.filter(verification=RunRecord.Verification.VERIFIED).count()
    assert f'data-count="verified">{verified} <span class="failed">(1 differs)</span>' in page
    assert "Verify again" in page


def test_the_results_page_shows_the_summary_and_pages_of_records(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=120)
    client.force_login(user)
    url = reverse("wizard_run_results", args=[run.pk])
    response = client.get(url)
    assert response.status_code == 200
    [tickets] = [row for row in response.context["summary"] if row.entity == "tickets"]
    # Every 10th failed (12), every other 7th skipped (16), the rest migrated.
    assert (tickets.available, tickets.migrated, tickets.skipped, tickets.failed) == (
        120,
        92,
        16,
        12,
    )
    content = response.content.decode()
    assert content.count("data-record=") == 50
    assert 'data-record="tickets:1"' in content
    assert "Records 1 to 50 of 120" in content
    assert 'href="?page=2#records"' in content and 'href="?page=3#records"' in content
    assert f"/sandbox/freshdesk/{sandbox.target.slug}/a/tickets/1001" in content
    assert f"/sandbox/zendesk/{sandbox.source.slug}/agent/tickets/1" in content

    last = client.get(url, {"page": 3}).content.decode()
    assert last.count("data-record=") == 20
    assert 'data-record="tickets:120"' in last
    # A page number out of range shows the last page; nonsense shows the first.
    assert client.get(url, {"page": 99}).context["records_page"].number == 3
    assert client.get(url, {"page": "x"}).context["records_page"].number == 1


def test_the_results_say_how_many_records_the_filters_left_out(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=30)
    RunEntity.objects.filter(run=run, entity="tickets").update(available=42, filtered_out=12)
    client.force_login(user)
    response = client.get(reverse("wizard_run_results", args=[run.pk]))
    [tickets] = response.context["filtered_out"]
    assert (tickets.available, tickets.filtered_out) == (42, 12)
    assert tickets.migrated + tickets.skipped + tickets.failed + tickets.filtered_out == 42
    content = response.content.decode()
    assert "Left out by the filters you chose" in content
    assert 'data-filtered-out="tickets">Tickets: <span class="count">12</span>' in content

    RunEntity.objects.filter(run=run).update(filtered_out=0)
    response = client.get(reverse("wizard_run_results", args=[run.pk]))
    assert response.context["filtered_out"] == []
    assert "Left out by the filters" not in response.content.decode()


def test_records_filtered_by_outcome_keep_the_filter_across_pages(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=700)
    client.force_login(user)
    url = reverse("wizard_run_results", args=[run.pk])
    response = client.get(url, {"outcome": "failed", "entity": "tickets"})
    content = response.content.decode()
    assert content.count('data-outcome="failed"') == 50
    assert 'data-outcome="migrated"' not in content
    assert response.context["records_page"].paginator.count == 70
    assert 'href="?outcome=failed&amp;entity=tickets&amp;page=2#records"' in content
    # Unknown filters are ignored.
    response = client.get(url, {"outcome": "lost", "entity": "spaceships"})
    assert response.context["records_page"].paginator.count == 700


def test_the_progress_partial_polls_while_the_run_goes_on(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=30, status=Run.Status.RUNNING)
    client.force_login(user)
    url = reverse("wizard_run_progress", args=[run.pk])
    response = client.get(url, {"shown": "running"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert f'hx-get="{url}?shown=running"' in content
    assert 'hx-trigger="every 2s"' in content
    assert "30 / 30" in content
    assert "HX-Refresh" not in response
    progress = response.context["progress"]
    assert progress.records_per_minute > 0
    assert response.context["eta_text"]


def test_the_progress_partial_reloads_the_page_when_the_status_changed(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=30, status=Run.Status.RUNNING)
    services.run_pause(run=run)
    client.force_login(user)
    url = reverse("wizard_run_progress", args=[run.pk])
    response = client.get(url, {"shown": "running"}, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert 'hx-trigger="every 10s"' in response.content.decode()

    Run.objects.filter(pk=run.pk).update(status=Run.Status.COMPLETED)
    response = client.get(url, {"shown": "paused"}, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    # Ended: the partial no longer polls.
    assert "hx-trigger" not in response.content.decode()
    # Without htmx (or without the status shown), no reload is asked for.
    assert "HX-Refresh" not in client.get(url, {"shown": "paused"})


@pytest.mark.parametrize("route", ["wizard_run_results", "wizard_run_progress", "wizard_run_csv"])
def test_other_users_get_404(client, make_user, sandbox, route):
    run = recorded_run(sandbox.migration, tickets=5)
    client.force_login(make_user())
    assert client.get(reverse(route, args=[run.pk])).status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(client, sandbox):
    run = recorded_run(sandbox.migration, tickets=5)
    response = client.get(reverse("wizard_run_csv", args=[run.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
