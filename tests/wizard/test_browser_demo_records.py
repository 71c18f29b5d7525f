"""In a real browser, against `run_site` (web, a Celery worker and beat) on the sandbox
help desks, Zendesk to Freshdesk: the demo's records are the migration's.

- demo, the demo again, the full run keeping the demo's records: the target's API lists
  exactly what the source has (tickets, comments, files, articles, translations), but
  for the files the report says were left out, by name;
- the same with "remove the demo's records first";
- the demo, then "Remove the demo's records from the target": the target's API lists what
  it did before the demo.

Screenshots of the demo results and the full-run page at 1280 and 390 px go under
test-output/."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest

from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Migration, Run, User
from tests.migrator.engine.holdings import Holdings, holdings, source_holdings
from tests.migrator.engine.stack import wait_for_run
from tests.wizard.browser import (
    check_widths,
    latest_run,
    log_in,
    verified_user,
    wait_for_results,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(1500),
    pytest.mark.usefixtures("orm_beside_playwright"),
]

EMAIL = "lou@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"
SOURCE_PLAN = SeedPlan(
    agents=5,
    contacts=12,
    organizations=3,
    groups=2,
    tickets=28,
    comments_per_ticket=(1, 3),
    attachment_ratio=0.3,
    large_attachment_bytes=11 * 1024 * 1024,
    inline_image_ratio=0.0,
    article_categories=1,
    article_sections=2,
    articles=24,
    seed=4242,
)
TARGET_PLAN = SeedPlan(agents=4, agents_offset=2, groups=1, seed=4243)


def migration_for(owner: User, *, site_url: str, name: str) -> Migration:
    slug = uuid.uuid4().hex[:6]
    zendesk, freshdesk = sandbox_platform("zendesk"), sandbox_platform("freshdesk")
    source = zendesk.account_create(slug=f"src-{slug}", name="Acme", rate_limit_per_minute=0)
    zendesk.seed(account=source, plan=SOURCE_PLAN)
    target = freshdesk.account_create(slug=f"dst-{slug}", name="Acme", rate_limit_per_minute=0)
    freshdesk.seed(account=target, plan=TARGET_PLAN)
    migration = services.migration_create(owner=owner, name=name)
    services.migration_configure(
        migration=migration,
        source=services.connection_create(
            owner=owner,
            platform="zendesk",
            credentials=zendesk.credentials(account=source, site_url=site_url),
            rate_limit_per_minute=0,
        ),
        target=services.connection_create(
            owner=owner,
            platform="freshdesk",
            credentials=freshdesk.credentials(account=target, site_url=site_url),
            rate_limit_per_minute=0,
        ),
        entities=list(Entity),
        filters=configuration.Filters(),
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        field_mappings=configuration.FieldMappings(),
        options=configuration.Options(),
    )
    migration.refresh_from_db()
    return migration


def demo_twice(page, base_url: str, migration: Migration, shots: Path | None) -> None:
    page.goto(f"{base_url}/migrations/{migration.pk}/demo/")
    page.click("text=Start demo")
    wait_for_results(page, latest_run(migration, Run.Kind.DEMO))
    page.click("button[data-action=restart]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    again = latest_run(migration, Run.Kind.DEMO)
    wait_for_results(page, again)
    again.refresh_from_db()
    assert again.status == Run.Status.COMPLETED, again.pause_reason
    assert page.locator("[data-demo-records]").count() == 1
    if shots is not None:
        check_widths(page, shots, "demo-results")


def full_run(page, base_url: str, migration: Migration, *, choice: str, shots: Path | None):
    page.goto(f"{base_url}/migrations/{migration.pk}/run/")
    choices = page.locator(".demo-records-choice")
    assert "Keep the demo's records" in choices.inner_text()
    assert page.locator("input[name=demo_records][value=keep]").is_checked()
    if shots is not None:
        check_widths(page, shots, "full-run-choice")
    page.check(f"input[name=demo_records][value={choice}]")
    page.click("button[data-action=start]")
    page.wait_for_url(f"{base_url}/migrations/{migration.pk}/run/")
    if choice == "remove":
        removal = latest_run(migration, Run.Kind.ROLLBACK)
        assert removal is not None and removal.follow_up
        page.locator(f"#run-{removal.pk}").wait_for()
        if shots is not None:
            check_widths(page, shots, "full-run-removing-first")
    page.wait_for_function(
        "() => document.querySelector('.run-live h2')"
        " && document.querySelector('.run-live h2').textContent.includes('Full')",
        timeout=300_000,
    )
    full = latest_run(migration, Run.Kind.FULL)
    wait_for_results(page, full)
    full.refresh_from_db()
    assert full.status == Run.Status.COMPLETED, full.pause_reason
    if shots is not None:
        check_widths(page, shots, "full-run-results")
    return full


def left_out_files(page, full: Run) -> list[str]:
    """The files the full run's report says were left out (skipped), by name."""
    with page.expect_download() as download_info:
        page.click(".downloads a:text-is('Skipped')")
    rows = csv.DictReader(io.StringIO(download_info.value.path().read_text()))
    return [row["reason"] for row in rows if row["entity"] == "attachments"]


def full_run_alone(owner: User, *, site_url: str) -> Holdings:
    """A full run alone on fresh accounts: each source record once, with the notes the
    target adds of its own (Freshdesk's original-dates note, for example)."""
    migration = migration_for(owner, site_url=site_url, name="Full run alone")
    run = wait_for_run(services.run_start(migration=migration, kind=Run.Kind.FULL), timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    return holdings(migration, files=False)


def assert_target_equals_source(
    migration: Migration, left_out: list[str], reference: Holdings
) -> None:
    source = source_holdings(migration)
    target = holdings(migration, files=False)
    # Comments: the source's, each once; the migration's own notes (original dates,
    # unmapped fields) are counted apart.
    for name in ("tickets", "comments", "articles", "translations"):
        assert target.counts[name] == source.counts[name], (name, target.counts, source.counts)
    assert target.tickets == source.tickets
    assert target.counts["files"] == source.counts["files"] - len(left_out), left_out
    assert target.articles == source.articles
    # And what a full run alone writes on a fresh account, notes included.
    assert target.counts == reference.counts
    assert target.tickets == reference.tickets


def test_demo_twice_then_the_full_run_keep_or_remove_and_the_removal_alone(
    site_with_worker, browser, screenshots
):
    base_url = site_with_worker.url
    owner = verified_user(EMAIL, PASSWORD)
    shots = screenshots
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    log_in(page, base_url, email=EMAIL, password=PASSWORD)

    reference = full_run_alone(owner, site_url=base_url)

    # ---- Keep the demo's records: the full run updates them.
    kept = migration_for(owner, site_url=base_url, name="Keep the demo")
    demo_twice(page, base_url, kept, shots)
    full = full_run(page, base_url, kept, choice="keep", shots=shots)
    left_out = left_out_files(page, full)
    assert_target_equals_source(kept, left_out, reference)

    # ---- Remove them first: the full run creates them again, once.
    removed = migration_for(owner, site_url=base_url, name="Remove the demo first")
    demo_twice(page, base_url, removed, None)
    full = full_run(page, base_url, removed, choice="remove", shots=shots)
    assert_target_equals_source(removed, left_out_files(page, full), reference)

    # ---- The removal alone: the target as it was before the demo.
    alone = migration_for(owner, site_url=base_url, name="Demo then removal")
    before = holdings(alone, files=False).counts
    page.goto(f"{base_url}/migrations/{alone.pk}/demo/")
    page.click("text=Start demo")
    wait_for_results(page, latest_run(alone, Run.Kind.DEMO))
    assert holdings(alone, files=False).counts != before
    page.click("a[data-action=demo-rollback]")
    page.wait_for_url(f"**/migrations/{alone.pk}/demo/remove/")
    check_widths(page, shots, "demo-removal-confirmation")
    page.click("button[data-action=remove-demo-records]")
    page.wait_for_url(f"{base_url}/migrations/{alone.pk}/demo/")
    removal = latest_run(alone, Run.Kind.ROLLBACK)
    wait_for_results(page, removal)
    removal.refresh_from_db()
    assert removal.status == Run.Status.COMPLETED, removal.pause_reason
    assert page.locator("[data-demo-records]").count() == 0
    check_widths(page, shots, "demo-removal-results")
    assert holdings(alone, files=False).counts == before
    page.close()
    # A worker may be refused a database connection when the machine's PostgreSQL is full
    # (the batch is sent again and nothing fails); any other traceback is a defect.
    tracebacks = site_with_worker.output.text().split("Traceback (most recent call last)")[1:]
    defects = [text for text in tracebacks if "too many clients already" not in text]
    assert not defects, defects[0][:4000]
