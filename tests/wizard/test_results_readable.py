"""Reports people can read: titles, outcomes and reasons in every CSV and in the records
list, matched agents apart from migrated ones, the flow's order, filters and search, and
the sandbox's page of each record the reports link to."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from connectors.models import EmulatedRecord
from connectors.schema import Entity
from migrator import selectors, services
from migrator.engine.progress import run_progress
from migrator.models import Run, RunEntity
from reports import selectors as report_selectors
from reports.models import RunRecord
from tests.wizard.conftest import drain, recorded_run

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def demo(sandbox) -> Run:
    return drain(services.run_start(migration=sandbox.migration, kind=Run.Kind.DEMO))


def _source(sandbox, collection: str) -> dict[str, dict]:
    return {
        str(row.number): row.data
        for row in EmulatedRecord.objects.filter(account=sandbox.source, collection=collection)
    }


def test_every_csv_carries_titles_outcomes_and_reasons_of_a_real_run(client, user, sandbox, demo):
    client.force_login(user)
    url = reverse("wizard_run_csv", args=[demo.pk])
    rows = csv_rows(client.get(url))
    assert {"title", "outcome", "reason", "source_url", "target_url"} <= set(rows[0])
    assert len(rows) == RunRecord.objects.filter(run=demo).count()
    tickets = _source(sandbox, "tickets")
    users = _source(sandbox, "users")
    articles = _source(sandbox, "hc_articles")
    seen = {"tickets": 0, "contacts": 0, "articles": 0}
    for row in rows:
        entity, source_id = row["entity"], row["source_id"]
        if entity == "tickets" and source_id in tickets:
            assert row["title"] == " ".join(tickets[source_id]["subject"].split()), row
        elif entity in ("contacts", "agents") and source_id in users:
            assert row["title"] == users[source_id]["name"], row
        elif entity == "articles" and source_id in articles:
            assert row["title"] == articles[source_id]["title"], row
        else:
            continue
        seen[entity] = seen.get(entity, 0) + 1
        assert row["outcome"] in RunRecord.Outcome.values
    assert seen["tickets"] and seen["contacts"] and seen["articles"]
    stored = {
        (r.entity, r.source_id): (r.outcome, r.reason) for r in RunRecord.objects.filter(run=demo)
    }
    assert {(r["entity"], r["source_id"]): (r["outcome"], r["reason"]) for r in rows} == stored
    # The matched agents say so, with the reason the engine gave.
    agents = [row for row in rows if row["entity"] == "agents"]
    matched = [row for row in agents if row["outcome"] == "matched"]
    assert matched, agents
    assert all("Matched to the agent" in row["reason"] for row in matched)
    assert all(row["target_url"] for row in matched)
    # Each outcome's CSV holds that outcome's rows only, with the same columns.
    for outcome in RunRecord.Outcome.values:
        some = csv_rows(client.get(url, {"outcome": outcome}))
        assert {row["outcome"] for row in some} <= {outcome}
        assert len(some) == sum(1 for row in rows if row["outcome"] == outcome)
    # The records list's own CSV (its filters applied).
    found = csv_rows(client.get(url, {"entity": "agents", "outcome": "matched"}))
    assert [row["source_id"] for row in found] == [row["source_id"] for row in matched]


def test_matched_agents_are_counted_apart_from_migrated_ones(client, user, sandbox, demo):
    records = RunRecord.objects.filter(run=demo, entity="agents")
    matched = records.filter(outcome=RunRecord.Outcome.MATCHED).count()
    assert matched
    # Matched agents are found on the target with the same e-mail address, not written.
    target_emails = {
        row.data["contact"]["email"]
        for row in EmulatedRecord.objects.filter(account=sandbox.target, collection="agents")
    }
    users = _source(sandbox, "users")
    for record in records.filter(outcome=RunRecord.Outcome.MATCHED):
        assert users[record.source_id]["email"] in target_emails
    [agents] = [row for row in report_selectors.run_summary(run=demo) if row.entity == "agents"]
    assert agents.matched == matched
    assert agents.migrated == records.filter(outcome=RunRecord.Outcome.MIGRATED).count()
    # Every figure that sums outcomes still adds up.
    for entity in run_progress(run=demo).entities:
        assert entity.done == RunRecord.objects.filter(run=demo, entity=entity.entity).count()
    [past] = [run for run in selectors.run_history(migration=sandbox.migration) if run == demo]
    assert past.matched_count == RunRecord.objects.filter(run=demo, outcome="matched").count()
    client.force_login(user)
    response = client.get(reverse("wizard_run_results", args=[demo.pk]))
    totals = response.context["totals"]
    assert totals.matched == past.matched_count
    assert totals.migrated == past.migrated_count
    page = response.content.decode()
    assert f'<a href="?outcome=matched&amp;entity=agents#records">{matched}</a>' in page
    overview = selectors.migration_overviews(
        migrations=selectors.migrations_visible_to(user=user), viewer=user
    )
    assert overview  # the dashboard's figures count matched records as done


def test_the_records_list_shows_titles_in_the_flows_order(client, user, sandbox, demo):
    client.force_login(user)
    url = reverse("wizard_run_results", args=[demo.pk])
    response = client.get(url)
    rows = response.context["records"]
    order = list(
        RunEntity.objects.filter(run=demo).order_by("position").values_list("entity", flat=True)
    )
    keys = [(order.index(row.entity), len(row.source_id), row.source_id) for row in rows]
    assert keys == sorted(keys)
    assert rows[0].entity == order[0]
    content = response.content.decode()
    ticket = RunRecord.objects.filter(run=demo, entity="tickets").exclude(title="").first()
    assert ticket is not None
    tickets_page = client.get(url, {"entity": "tickets"}).content.decode()
    assert f'<span class="title">{ticket.title}</span>' in tickets_page.replace("&#x27;", "'")
    assert 'name="q"' in content and 'for="records-search"' in content


def test_numeric_ids_sort_numerically_and_entities_follow_the_flow(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=0)
    RunEntity.objects.filter(run=run).update(position=1)
    RunEntity.objects.create(run=run, entity=Entity.AGENTS, position=0, available=1)
    for source_id in ("100", "9", "20"):
        RunRecord.objects.create(
            run=run,
            entity="tickets",
            source_id=source_id,
            outcome="migrated",
            title=f"T{source_id}",
        )
    RunRecord.objects.create(run=run, entity="agents", source_id="5", outcome="matched")
    records = list(report_selectors.run_records(run=run))
    assert [(r.entity, r.source_id) for r in records] == [
        ("agents", "5"),
        ("tickets", "9"),
        ("tickets", "20"),
        ("tickets", "100"),
    ]
    client.force_login(user)
    content = client.get(reverse("wizard_run_results", args=[run.pk])).content.decode()
    # A row without a title (an older run's) shows its entity and id only.
    assert 'data-record="agents:5"' in content


def test_the_records_list_filters_and_searches_across_pages(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=150)
    for record in RunRecord.objects.filter(run=run):
        record.title = f"Printer on fire {record.source_id}" if int(record.source_id) % 2 else ""
        record.save(update_fields=["title"])
    client.force_login(user)
    url = reverse("wizard_run_results", args=[run.pk])
    response = client.get(url, {"q": "printer", "outcome": "migrated"})
    rows = response.context["records"]
    assert rows and all(row.title.startswith("Printer on fire") for row in rows)
    assert all(row.outcome == "migrated" for row in rows)
    content = response.content.decode()
    assert 'href="?outcome=migrated&amp;q=printer&amp;page=2#records"' in content
    assert 'value="printer"' in content
    second = client.get(url, {"q": "printer", "outcome": "migrated", "page": 2})
    assert all(row.title.startswith("Printer on fire") for row in second.context["records"])
    # By id: the source's, exactly.
    [row] = client.get(url, {"q": "42"}).context["records"]
    assert row.source_id == "42"
    # By the target's id too.
    [row] = client.get(url, {"q": "1041"}).context["records"]
    assert row.source_id == "41"
    # Filter by entity; nonsense filters are ignored, never an error.
    assert client.get(url, {"entity": "agents"}).context["records"] == []
    odd = client.get(url, {"entity": "nope", "outcome": "x", "q": "\x00" * 500, "page": "z"})
    assert odd.status_code == 200
    csv_url = reverse("wizard_run_csv", args=[run.pk])
    found = csv_rows(client.get(csv_url, {"q": "Printer on fire 149"}))
    assert [row["source_id"] for row in found] == ["149"]
    assert found[0]["title"] == "Printer on fire 149"


# --------------------------------------------------------------------------- sandbox pages


def _path(url: str) -> str:
    return urlsplit(url).path


def test_links_to_records_open_a_readable_page_on_the_sandbox(client, user, sandbox, demo):
    client.force_login(user)
    record = (
        RunRecord.objects.filter(run=demo, entity="tickets", outcome="migrated")
        .exclude(title="")
        .first()
    )
    source_url, target_url = report_selectors.record_links(
        source=sandbox.migration.source,
        target=sandbox.migration.target,
        entity=record.entity,
        source_id=record.source_id,
        target_id=record.target_id,
    )
    for url in (source_url, target_url):
        response = client.get(_path(url))
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert record.title.replace("'", "&#x27;") in page
        assert "data-sandbox-record=" in page
    # The target's page shows what the target holds: the ticket's conversations.
    ticket = EmulatedRecord.objects.get(
        account=sandbox.target, collection="tickets", number=int(record.target_id)
    )
    assert ticket.data["subject"] == record.title
    # A contact's page says it is a contact (Zendesk keeps agents and end users together).
    contact = RunRecord.objects.filter(run=demo, entity="contacts").first()
    page = client.get(f"/sandbox/zendesk/{sandbox.source.slug}/agent/users/{contact.source_id}")
    assert "· Contacts #" in page.content.decode()
    # Every entity's link opens too (agents, contacts, articles, …).
    for other in RunRecord.objects.filter(run=demo).exclude(target_id=""):
        links = report_selectors.record_links(
            source=sandbox.migration.source,
            target=sandbox.migration.target,
            entity=other.entity,
            source_id=other.source_id,
            target_id=other.target_id,
            parent_source_id=other.parent_source_id,
        )
        for url in links:
            if url:
                assert client.get(_path(url)).status_code == 200, (other, url)


def test_a_missing_record_or_a_stranger_gets_a_plain_not_found_page(
    client, user, make_user, sandbox, demo
):
    client.force_login(user)
    missing = f"/sandbox/freshdesk/{sandbox.target.slug}/a/tickets/987654"
    for path in (missing, f"/sandbox/zendesk/{sandbox.source.slug}/agent/tickets/abc"):
        response = client.get(path)
        assert response.status_code == 404
        page = response.content.decode()
        assert "Not found on the sandbox" in page
        assert "Traceback" not in page and "URLconf" not in page
    ticket = RunRecord.objects.filter(run=demo, entity="tickets").exclude(target_id="").first()
    path = f"/sandbox/freshdesk/{sandbox.target.slug}/a/tickets/{ticket.target_id}"
    client.force_login(make_user())
    assert client.get(path).status_code == 404
    client.logout()
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # The emulators' APIs answer as before.
    api = client.get(f"/sandbox/zendesk/{sandbox.source.slug}/api/v2/tickets.json")
    assert api.status_code == 401


def test_french_outcomes_agree_with_their_noun(client, user, sandbox):
    run = recorded_run(sandbox.migration, tickets=20)
    RunRecord.objects.filter(run=run, source_id="1").update(outcome="matched")
    client.force_login(user)
    client.cookies["django_language"] = "fr"
    page = client.get(
        reverse("wizard_run_results", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    # Counts of records (un enregistrement: masculine, plural) and one record's outcome.
    for header in ("Migrés", "Associés", "Ignorés", "Échoués", "Vérifiés"):
        assert f'<th scope="col">{header}</th>' in page, header
    for badge in ("Migré", "Associé", "Ignoré", "Échoué"):
        assert f'">{badge}</span>' in page, badge
    assert "Échouée" not in page
    # The CSV downloads are records of an outcome: plural.
    assert ">Associés</a>" in page and ">Échoués</a>" in page
    assert "Titre ou identifiant" in page


def test_record_pages_go_through_the_site_and_api_calls_stay_on_the_emulators():
    from reports.sandbox_records import is_sandbox_record_path

    assert is_sandbox_record_path("/sandbox/zendesk/acme/agent/tickets/12")
    assert is_sandbox_record_path("/sandbox/freshdesk/acme/a/solutions/articles/3")
    assert not is_sandbox_record_path("/sandbox/zendesk/acme/api/v2/tickets/12.json")
    assert not is_sandbox_record_path("/sandbox/freshdesk/acme/api/v2/tickets/1")


def test_teamwork_desk_records_have_links_that_open_on_the_sandbox(client, user, sandbox):
    from connectors.sandbox import sandbox_platform
    from tests.wizard.conftest import SITE_URL, SMALL_SOURCE

    platform = sandbox_platform("teamwork_desk")
    account = platform.account_create(slug=f"tw-{sandbox.target.slug}", name="Acme on Teamwork")
    platform.seed(account=account, plan=SMALL_SOURCE)
    connection = services.connection_create(
        owner=user,
        platform="teamwork_desk",
        credentials=platform.credentials(account=account, site_url=SITE_URL),
        rate_limit_per_minute=0,
    )
    sandbox.migration.target = connection
    sandbox.migration.save(update_fields=["target"])
    ticket = EmulatedRecord.objects.filter(account=account, collection="tickets").first()
    _source, target_url = report_selectors.record_links(
        source=sandbox.migration.source,
        target=connection,
        entity="tickets",
        source_id="1",
        target_id=str(ticket.number),
    )
    assert target_url.endswith(
        f"/sandbox/teamwork_desk/{account.slug}/desk/tickets/{ticket.number}/messages"
    )
    client.force_login(user)
    page = client.get(_path(target_url))
    assert page.status_code == 200
    assert ticket.data["subject"].replace("'", "&#x27;") in page.content.decode()
    customer = EmulatedRecord.objects.filter(account=account, collection="customers").first()
    page = client.get(f"/sandbox/teamwork_desk/{account.slug}/desk/customers/{customer.number}")
    assert customer.data["firstName"] in page.content.decode()
