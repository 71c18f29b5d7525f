"""In a real browser, against `run_site` (web, a real Celery worker and beat) on the
sandbox help desks, Zendesk to Freshdesk: the demo to its results and CSV report, checked
against the Freshdesk sandbox; the demo again; the full migration paused and resumed to
its results; then a delta. Screenshots of every page at 1280 and 390 px wide."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Migration, Run, User
from tests.wizard.browser import (
    RUN_TIMEOUT_MS,
    WIDTHS,
    check_widths,
    freshdesk_ticket,
    latest_run,
    log_in,
    summary_count,
    verified_user,
    wait_for_results,
    zendesk_ticket_create,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(1200),
    pytest.mark.usefixtures("orm_beside_playwright"),
]

EMAIL = "sam@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"
#: Both emulated help desks allow this many requests a minute, as real plans do: the
#: full run then lasts long enough to be paused and resumed.
RATE_LIMIT = 600
SOURCE_PLAN = SeedPlan(
    agents=8,
    deleted_agents=1,
    contacts=30,
    organizations=5,
    groups=3,
    tickets=60,
    comments_per_ticket=(1, 4),
    attachment_ratio=0.2,
    inline_image_ratio=0.05,
    article_categories=2,
    article_sections=3,
    articles=25,
    seed=2026,
)
TARGET_PLAN = SeedPlan(agents=6, agents_offset=3, groups=2, seed=2027)


class Sandbox:
    """Seeded sandbox accounts and a migration between them, configured through the
    services as steps 1-6 save it."""

    def __init__(self, *, site_url: str) -> None:
        self.site_url = site_url
        slug = uuid.uuid4().hex[:6]
        self.zendesk = sandbox_platform("zendesk")
        self.freshdesk = sandbox_platform("freshdesk")
        self.source = self.zendesk.account_create(
            slug=f"acme-{slug}", name="Acme on Zendesk", rate_limit_per_minute=RATE_LIMIT
        )
        self.zendesk.seed(account=self.source, plan=SOURCE_PLAN)
        self.target = self.freshdesk.account_create(
            slug=f"acme-{slug}", name="Acme on Freshdesk", rate_limit_per_minute=RATE_LIMIT
        )
        self.freshdesk.seed(account=self.target, plan=TARGET_PLAN)
        self.source_credentials = self.zendesk.credentials(account=self.source, site_url=site_url)
        self.target_credentials = self.freshdesk.credentials(account=self.target, site_url=site_url)

    def migration_for(self, owner: User) -> Migration:
        source = services.connection_create(
            owner=owner,
            platform="zendesk",
            credentials=self.source_credentials,
            rate_limit_per_minute=RATE_LIMIT,
        )
        target = services.connection_create(
            owner=owner,
            platform="freshdesk",
            credentials=self.target_credentials,
            rate_limit_per_minute=RATE_LIMIT,
        )
        migration = services.migration_create(owner=owner, name="Acme support desk")
        services.migration_configure(
            migration=migration,
            source=source,
            target=target,
            entities=list(Entity),
            filters=configuration.Filters(),
            matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
            field_mappings=configuration.FieldMappings(),
            options=configuration.Options(migrated_tag="migrated"),
        )
        return migration


def test_demo_results_report_restart_full_run_pause_resume_and_delta(
    site_with_worker, browser, screenshots
):
    base_url, output = site_with_worker.url, site_with_worker.output
    sandbox = Sandbox(site_url=base_url)
    migration = sandbox.migration_for(verified_user(EMAIL, PASSWORD))

    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900}, accept_downloads=True)
    log_in(page, base_url, email=EMAIL, password=PASSWORD)

    # ---- Step 7: the demo.
    page.goto(f"{base_url}/migrations/{migration.pk}/demo/")
    assert "20 tickets and 20 knowledge base articles" in page.inner_text("main")
    check_widths(page, screenshots, "01-demo-before-start")
    page.click("text=Start demo")
    page.locator(".run-live[data-run-status='running']").wait_for()
    demo = latest_run(migration, Run.Kind.DEMO)
    page.locator(".run-progress[hx-get]").wait_for()
    check_widths(page, screenshots, "02-demo-progress")
    wait_for_results(page, demo)
    demo.refresh_from_db()
    assert demo.status == Run.Status.COMPLETED, demo.pause_reason
    assert page.locator(".run-live .badge").inner_text() == "Completed"
    assert page.locator(".run-progress[hx-get]").count() == 0
    assert summary_count(page, "tickets", "available") == 20
    assert summary_count(page, "articles", "available") == 20
    migrated_tickets = summary_count(page, "tickets", "migrated")
    assert (
        migrated_tickets
        + summary_count(page, "tickets", "failed")
        + summary_count(page, "tickets", "skipped")
        == 20
    )
    assert migrated_tickets >= 18
    assert page.locator(".records-table a[data-side='target']").count() > 0
    check_widths(page, screenshots, "03-demo-results")

    # The report of migrated records, downloaded, checked against the Freshdesk sandbox.
    with page.expect_download() as download_info:
        page.click(".downloads a:text-is('Migrated')")
    report = download_info.value
    rows = list(csv.DictReader(io.StringIO(report.path().read_text())))
    tickets = [row for row in rows if row["entity"] == "tickets"]
    assert len(tickets) == migrated_tickets
    for row in tickets:
        answer = freshdesk_ticket(sandbox.target_credentials, row["target_id"])
        assert answer.status_code == 200, (row, answer.text)
        assert str(answer.json()["id"]) == row["target_id"]
        assert row["target_url"].endswith(f"/a/tickets/{row['target_id']}")
        assert row["source_url"].endswith(f"/agent/tickets/{row['source_id']}")

    # Records a page at a time, filtered.
    page.select_option("#records-outcome", "migrated")
    page.select_option("#records-entity", "tickets")
    page.click(".records-filter button")
    page.wait_for_url("**outcome=migrated**")
    assert page.locator(".records-table tbody tr").count() == migrated_tickets
    check_widths(page, screenshots, "04-demo-records-filtered")

    # "I have fixed the errors": the demo again.
    page.click("button[data-action=restart]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    second_demo = latest_run(migration, Run.Kind.DEMO)
    assert second_demo.pk != demo.pk
    wait_for_results(page, second_demo)
    assert summary_count(page, "tickets", "available") == 20
    assert page.locator(f"tr[data-history-run='{demo.pk}']").count() == 1
    check_widths(page, screenshots, "05-demo-again")

    # ---- Step 8: the full migration.
    page.click(".step-nav a[rel=next]")
    page.wait_for_url(f"{base_url}/migrations/{migration.pk}/run/")
    tickets_row = page.locator(".estimate-table tr[data-entity='tickets'] [data-count='available']")
    assert int(tickets_row.inner_text()) == SOURCE_PLAN.tickets
    assert page.locator("[data-estimate]").inner_text().strip()
    check_widths(page, screenshots, "06-full-run-estimate")
    page.click("button[data-action=start]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    full = latest_run(migration, Run.Kind.FULL)
    # Some records written, then pause.
    page.wait_for_function(
        "() => { const d = document.querySelector('[data-fact=done]');"
        " return d && parseInt(d.textContent) > 0; }",
        timeout=RUN_TIMEOUT_MS,
    )
    check_widths(page, screenshots, "07-full-run-progress")
    page.click("button[data-action=pause]")
    page.locator(".run-live[data-run-status='paused']").wait_for()
    assert "You paused this run." in page.inner_text(".pause-notice")
    full.refresh_from_db()
    assert (full.status, full.paused_by) == (Run.Status.PAUSED, Run.PausedBy.USER)
    check_widths(page, screenshots, "08-full-run-paused")

    page.click("button[data-action=resume]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    # Cancel asks first; keep it going.
    page.click("a[data-action=cancel]")
    page.wait_for_url(f"**/runs/{full.pk}/cancel/")
    check_widths(page, screenshots, "09-cancel-confirmation")
    page.click("text=No, keep it going")
    page.wait_for_url(f"{base_url}/migrations/{migration.pk}/run/")
    wait_for_results(page, full)
    full.refresh_from_db()
    assert full.status == Run.Status.COMPLETED, full.pause_reason
    assert summary_count(page, "tickets", "available") == SOURCE_PLAN.tickets
    done = sum(
        summary_count(page, "tickets", column) for column in ("migrated", "skipped", "failed")
    )
    assert done == SOURCE_PLAN.tickets
    check_widths(page, screenshots, "10-full-run-results")

    # ---- A delta: only what changed since the full run started.
    new_ticket = zendesk_ticket_create(
        sandbox.source_credentials, subject="Printer on fire again, after the move"
    )
    page.click("button[data-action=delta]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    delta = latest_run(migration, Run.Kind.DELTA)
    wait_for_results(page, delta)
    delta.refresh_from_db()
    assert delta.status == Run.Status.COMPLETED, delta.pause_reason
    assert summary_count(page, "tickets", "available") == 1
    assert summary_count(page, "tickets", "migrated") == 1
    record = page.locator(f".records-table tr[data-record='tickets:{new_ticket}']")
    target_id = record.locator("a[data-side='target']").inner_text()
    subject = freshdesk_ticket(sandbox.target_credentials, target_id).json()["subject"]
    assert subject.startswith("Printer on fire")
    assert page.locator("tr[data-history-run]").count() == 4  # two demos, full, delta
    check_widths(page, screenshots, "11-delta-results")

    # ---- The dashboard: the pair, the status, the latest run's progress.
    page.goto(f"{base_url}/")
    row = page.locator(f"tr[data-migration-id='{migration.pk}']")
    assert "Zendesk" in row.inner_text() and "Freshdesk" in row.inner_text()
    assert row.locator(".progress-percent").inner_text() == "100%"
    check_widths(page, screenshots, "12-dashboard")
    page.close()
    assert "Traceback" not in output.text()
