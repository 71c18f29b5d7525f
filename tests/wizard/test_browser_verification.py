"""In a real browser, against `run_site` (web, a Celery worker and beat) on the sandbox
help desks, Zendesk to Freshdesk: a full run's results show every migrated record
verified, per entity, and the API calls verification spent; a comment deleted on the
target afterwards is found and written again by "Verify again", once; the CSV report
has the verification column."""

from __future__ import annotations

import csv
import io
import time
import uuid

import pytest

from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Run
from reports.models import RunRecord
from tests.wizard.browser import (
    WIDTHS,
    check_widths,
    log_in,
    summary_count,
    verified_user,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(600),
    pytest.mark.usefixtures("orm_beside_playwright"),
]

EMAIL = "vera@acme.example"
PASSWORD = "Tr0ub4dor&3-verify"
SOURCE_PLAN = SeedPlan(
    agents=4,
    contacts=6,
    organizations=2,
    groups=2,
    tickets=8,
    comments_per_ticket=(2, 4),
    attachment_ratio=0.5,
    seed=21,
)
TARGET_PLAN = SeedPlan(agents=4, groups=1, seed=22)


def wait_until(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_results_show_verification_and_verify_again_repairs(site_with_worker, browser, screenshots):
    base_url = site_with_worker.url
    owner = verified_user(EMAIL, PASSWORD)
    zendesk, freshdesk = sandbox_platform("zendesk"), sandbox_platform("freshdesk")
    slug = uuid.uuid4().hex[:6]
    source = zendesk.account_create(slug=f"v-{slug}", name="Acme on Zendesk")
    zendesk.seed(account=source, plan=SOURCE_PLAN)
    target = freshdesk.account_create(slug=f"v-{slug}", name="Acme on Freshdesk")
    freshdesk.seed(account=target, plan=TARGET_PLAN)
    migration = services.migration_create(owner=owner, name="Verified desk")
    services.migration_configure(
        migration=migration,
        source=services.connection_create(
            owner=owner,
            platform="zendesk",
            credentials=zendesk.credentials(account=source, site_url=base_url),
        ),
        target=services.connection_create(
            owner=owner,
            platform="freshdesk",
            credentials=freshdesk.credentials(account=target, site_url=base_url),
        ),
        entities=[
            Entity.ORGANIZATIONS,
            Entity.GROUPS,
            Entity.AGENTS,
            Entity.CONTACTS,
            Entity.TICKETS,
        ],
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
    )
    run = services.run_start(migration=migration, kind=Run.Kind.FULL, created_by=owner)

    def finished() -> bool:
        run.refresh_from_db()
        return run.is_finished

    wait_until(finished, timeout=300, what="the full run")
    assert run.status == Run.Status.COMPLETED, run.pause_reason

    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900}, accept_downloads=True)
    log_in(page, base_url, email=EMAIL, password=PASSWORD)
    page.goto(f"{base_url}/runs/{run.pk}/")
    migrated = summary_count(page, "tickets", "migrated")
    assert migrated == SOURCE_PLAN.tickets
    assert summary_count(page, "tickets", "verified") == migrated
    assert summary_count(page, "contacts", "verified") == summary_count(
        page, "contacts", "migrated"
    )
    assert (
        page.locator("#results tr[data-entity='agents'] [data-count='verified']").inner_text()
        == "—"
    )
    calls = page.inner_text("#verification .hint")
    assert "API calls spent on it" in calls
    assert int(calls.rsplit(": ", 1)[1].split()[0]) >= migrated
    check_widths(page, screenshots, "01-results-verified")

    # The CSV report says it too.
    with page.expect_download() as download_info:
        page.click(".downloads a:text-is('All records')")
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text())))
    assert {row["verification"] for row in rows if row["entity"] == "tickets"} == {"verified"}

    # A comment deleted on the target after the run.
    row = RunRecord.objects.filter(run=run, entity="tickets").order_by("source_id").first()
    conversations = EmulatedRecord.objects.filter(
        account=target, collection="conversations", parent_number=int(row.target_id)
    )
    bodies_before = sorted(c.data["body"] for c in conversations)
    [c for c in conversations.order_by("number") if "wrote:" in c.data["body"]][-1].delete()

    page.click("button[data-action=verify-again]")
    page.wait_for_url(f"{base_url}/runs/{run.pk}/#verification")
    # In progress (polled), then the page reloads itself with the new figures.
    page.locator("#verification[data-reverify='done']").wait_for(timeout=120_000)
    assert "1 repaired" in page.inner_text("#verification .reverify-done")
    assert summary_count(page, "tickets", "verified") == migrated
    check_widths(page, screenshots, "02-verified-again")
    assert sorted(c.data["body"] for c in conversations.all()) == bodies_before
    row.refresh_from_db()
    assert (row.outcome, row.verification) == ("migrated", "verified")
