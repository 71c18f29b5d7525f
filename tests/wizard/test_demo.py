"""Step 7, the demo: start it, follow it, read its results, pause and resume, restart."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Run
from tests.wizard.conftest import drain, sandbox_pair_create

pytestmark = pytest.mark.django_db


def demo_url(migration) -> str:
    return reverse("wizard_demo", args=[migration.pk])


def test_the_demo_page_explains_what_the_demo_moves_before_it_starts(client, user, sandbox):
    client.force_login(user)
    response = client.get(demo_url(sandbox.migration))
    assert response.status_code == 200
    content = response.content.decode()
    assert "20 tickets and 20 knowledge base articles" in content
    assert reverse("wizard_demo_start", args=[sandbox.migration.pk]) in content
    assert "Start demo" in content
    assert 'data-step="demo"' in content


def test_the_demo_page_lists_the_ids_chosen_in_the_options(
    client, user, db, in_process_emulators, enqueued
):
    options = configuration.Options(demo_ids={Entity.TICKETS: ["3", "5"]})
    pair = sandbox_pair_create(owner=user, options=options)
    client.force_login(user)
    content = client.get(demo_url(pair.migration)).content.decode()
    assert "the records you chose" in content
    assert "<strong>Tickets</strong>: 3, 5" in content
    assert "20 tickets and 20" not in content


def test_start_shows_live_progress_polled_by_htmx(client, user, sandbox):
    client.force_login(user)
    response = client.post(reverse("wizard_demo_start", args=[sandbox.migration.pk]))
    assert response.status_code == 302
    assert response["Location"] == demo_url(sandbox.migration)
    run = Run.objects.get(migration=sandbox.migration)
    assert (run.kind, run.status, run.created_by) == (Run.Kind.DEMO, Run.Status.RUNNING, user)

    page = client.get(demo_url(sandbox.migration))
    content = page.content.decode()
    assert "The demo has started." in content
    progress_url = reverse("wizard_run_progress", args=[run.pk])
    assert f'hx-get="{progress_url}?shown=running"' in content
    assert 'hx-trigger="every 2s"' in content
    assert reverse("wizard_run_pause", args=[run.pk]) in content
    assert "Start demo" not in content


def test_a_second_start_while_one_runs_is_refused_with_a_message(client, user, sandbox):
    client.force_login(user)
    client.post(reverse("wizard_demo_start", args=[sandbox.migration.pk]))
    response = client.post(reverse("wizard_demo_start", args=[sandbox.migration.pk]), follow=True)
    assert "A run of this migration is already under way." in response.content.decode()
    assert Run.objects.filter(migration=sandbox.migration).count() == 1


def test_a_finished_demo_shows_its_results_per_entity_and_the_restart(client, user, sandbox):
    client.force_login(user)
    client.post(reverse("wizard_demo_start", args=[sandbox.migration.pk]))
    run = drain(Run.objects.get(migration=sandbox.migration))
    assert run.status == Run.Status.COMPLETED

    response = client.get(demo_url(sandbox.migration))
    content = response.content.decode()
    assert "hx-trigger" not in content  # finished: nothing polls any more
    assert f"Results of the demo #{run.pk}" in content
    tickets = next(row for row in response.context["summary"] if row.entity == "tickets")
    assert (tickets.available, tickets.migrated + tickets.skipped + tickets.failed) == (20, 20)
    articles = next(row for row in response.context["summary"] if row.entity == "articles")
    assert articles.available == 20
    csv_url = reverse("wizard_run_csv", args=[run.pk])
    assert f'href="{csv_url}?outcome=migrated"' in content
    assert f'href="{csv_url}?outcome=failed"' in content
    assert reverse("wizard_demo_restart", args=[sandbox.migration.pk]) in content
    assert "I have fixed the errors" in content
    # Links to the record on both sides.
    assert f"/sandbox/zendesk/{sandbox.source.slug}/agent/tickets/" in content
    assert f"/sandbox/freshdesk/{sandbox.target.slug}/a/tickets/" in content


def test_i_have_fixed_the_errors_starts_a_new_demo(client, user, sandbox):
    client.force_login(user)
    client.post(reverse("wizard_demo_start", args=[sandbox.migration.pk]))
    first = drain(Run.objects.get(migration=sandbox.migration))
    response = client.post(reverse("wizard_demo_restart", args=[sandbox.migration.pk]))
    assert response.status_code == 302
    second = Run.objects.exclude(pk=first.pk).get(migration=sandbox.migration)
    assert (second.kind, second.status) == (Run.Kind.DEMO, Run.Status.RUNNING)
    content = client.get(demo_url(sandbox.migration)).content.decode()
    assert "The demo has started again." in content
    # The earlier demo stays in the history, with a link to its results.
    assert reverse("wizard_run_results", args=[first.pk]) in content


def test_restart_without_an_earlier_demo_says_so(client, user, sandbox):
    client.force_login(user)
    response = client.post(reverse("wizard_demo_restart", args=[sandbox.migration.pk]), follow=True)
    assert "Run a demo first." in response.content.decode()
    assert not Run.objects.filter(migration=sandbox.migration).exists()


def test_a_demo_that_paused_itself_shows_why_and_resumes(client, user, sandbox):
    # The target's API key is rotated after connecting: the platform refuses the run.
    secrets = sandbox.target.secrets
    sandbox.target.secrets = {**secrets, "api_key": "rotated-" + secrets["api_key"]}
    sandbox.target.save(update_fields=["secrets"])
    client.force_login(user)
    client.post(reverse("wizard_demo_start", args=[sandbox.migration.pk]))
    run = drain(Run.objects.get(migration=sandbox.migration))
    assert (run.status, run.paused_by) == (Run.Status.PAUSED, Run.PausedBy.SYSTEM)

    content = client.get(demo_url(sandbox.migration)).content.decode()
    assert "The run paused itself" in content
    assert run.pause_reason in content
    assert reverse("wizard_run_resume", args=[run.pk]) in content
    assert 'hx-trigger="every 10s"' in content

    # Fixed: the key is back; resume, and the demo finishes.
    sandbox.target.secrets = secrets
    sandbox.target.save(update_fields=["secrets"])
    response = client.post(reverse("wizard_run_resume", args=[run.pk]))
    assert response.status_code == 302
    assert response["Location"] == demo_url(sandbox.migration)
    run = drain(run)
    assert run.status == Run.Status.COMPLETED


def test_the_demo_waits_for_the_earlier_steps(client, user, db, in_process_emulators, enqueued):
    migration = services.migration_create(owner=user, name="Not set up")
    client.force_login(user)
    response = client.get(demo_url(migration))
    assert response.status_code == 302
    assert response["Location"] != demo_url(migration)
    response = client.post(reverse("wizard_demo_start", args=[migration.pk]))
    assert response.status_code == 302
    assert not Run.objects.exists()


def test_start_only_takes_a_post(client, user, sandbox):
    client.force_login(user)
    assert client.get(reverse("wizard_demo_start", args=[sandbox.migration.pk])).status_code == 405
    assert not Run.objects.exists()


@pytest.mark.parametrize("route", ["wizard_demo", "wizard_demo_start", "wizard_demo_restart"])
def test_other_users_get_404(client, make_user, sandbox, route):
    client.force_login(make_user())
    url = reverse(route, args=[sandbox.migration.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not Run.objects.exists()


def test_the_demo_page_in_french(client, user, sandbox):
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    content = client.get(demo_url(sandbox.migration)).content.decode()
    assert 'lang="fr"' in content
    assert "Lancer la démo" in content
    assert "20 tickets et 20 articles de la base de connaissances" in content
