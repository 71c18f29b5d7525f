"""In a real browser, against `run_site` (web, a real Celery worker and beat) on the
sandbox help desks, Zendesk to Freshdesk: the demo to its results and CSV report, checked
against the Freshdesk sandbox; the demo again; the full migration paused and resumed to
its results; then a delta. Screenshots of every page at 1280 and 390 px wide."""

from __future__ import annotations

import csv
import io
import os
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Migration, Run, User
from tests.support import REPO_ROOT, embedded_environment, free_port, running_process

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(1200),
]

EMAIL = "sam@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"
WIDTHS = (1280, 390)
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
RUN_TIMEOUT_MS = 300_000


@pytest.fixture(autouse=True, scope="module")
def orm_beside_playwright():
    """Playwright's sync API keeps an event loop in this thread, which makes Django refuse
    the ORM calls this test makes to prepare and check the data (no async code runs here)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def site_database_url() -> str:
    """The test database, for the site's processes to share with this test."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{database['NAME']}", parts.query, ""))


@pytest.fixture
def site(tmp_path):
    """run_site on the test database: the web server, a worker and beat. PostgreSQL and
    Redis when the environment names them, else SQLite and the embedded broker."""
    port = free_port()
    env = embedded_environment(
        data_dir=tmp_path,
        DATABASE_URL=site_database_url(),
        MIGRATOR_RECONCILE_SECONDS="5",
        CONNECTOR_ALLOW_PRIVATE_NETWORKS="true",
    )
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--port", str(port)]
    with running_process(command, env=env, ready_pattern=r"The site is up at") as output:
        yield f"http://127.0.0.1:{port}", output
        (tmp_path / "site.log").write_text(output.text())


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

    def freshdesk_ticket(self, number: str) -> httpx.Response:
        return httpx.get(
            f"{self.target_credentials['url']}/api/v2/tickets/{number}",
            auth=(self.target_credentials["api_key"], "X"),
            timeout=30,
        )

    def zendesk_ticket_create(self, subject: str) -> int:
        response = httpx.post(
            f"{self.source_credentials['url']}/api/v2/tickets.json",
            auth=(
                f"{self.source_credentials['email']}/token",
                self.source_credentials["api_token"],
            ),
            json={"ticket": {"subject": subject, "comment": {"body": "Arrived after the move."}}},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        return response.json()["ticket"]["id"]


def capture(page, screenshots, name: str) -> None:
    """A full-page screenshot at each width, and no horizontal scroll at either."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name}: horizontal scroll at {width}px ({scroll_width})"
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def summary_count(page, entity: str, column: str) -> int:
    cell = page.locator(
        f"#results .summary-table tr[data-entity='{entity}'] [data-count='{column}']"
    )
    return int(cell.inner_text().strip())


def wait_for_results(page, run: Run) -> None:
    """The page polls the run's progress and reloads itself once the run ended."""
    page.locator(f"#results[data-run-id='{run.pk}']").wait_for(timeout=RUN_TIMEOUT_MS)


def latest_run(migration: Migration, kind: str) -> Run:
    return migration.runs.filter(kind=kind).order_by("-created_at", "-id").first()


def test_demo_results_report_restart_full_run_pause_resume_and_delta(site, browser, screenshots):
    base_url, output = site
    sandbox = Sandbox(site_url=base_url)
    user = User.objects.create_user(EMAIL, PASSWORD)
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    migration = sandbox.migration_for(user)

    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900}, accept_downloads=True)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")

    # ---- Step 7: the demo.
    page.goto(f"{base_url}/migrations/{migration.pk}/demo/")
    assert "20 tickets and 20 knowledge base articles" in page.inner_text("main")
    capture(page, screenshots, "01-demo-before-start")
    page.click("text=Start demo")
    page.locator(".run-live[data-run-status='running']").wait_for()
    demo = latest_run(migration, Run.Kind.DEMO)
    page.locator(".run-progress[hx-get]").wait_for()
    capture(page, screenshots, "02-demo-progress")
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
    capture(page, screenshots, "03-demo-results")

    # The report of migrated records, downloaded, checked against the Freshdesk sandbox.
    with page.expect_download() as download_info:
        page.click(".downloads a:text-is('Migrated')")
    report = download_info.value
    rows = list(csv.DictReader(io.StringIO(report.path().read_text())))
    tickets = [row for row in rows if row["entity"] == "tickets"]
    assert len(tickets) == migrated_tickets
    for row in tickets:
        answer = sandbox.freshdesk_ticket(row["target_id"])
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
    capture(page, screenshots, "04-demo-records-filtered")

    # "I have fixed the errors": the demo again.
    page.click("button[data-action=restart]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    second_demo = latest_run(migration, Run.Kind.DEMO)
    assert second_demo.pk != demo.pk
    wait_for_results(page, second_demo)
    assert summary_count(page, "tickets", "available") == 20
    assert page.locator(f"tr[data-history-run='{demo.pk}']").count() == 1
    capture(page, screenshots, "05-demo-again")

    # ---- Step 8: the full migration.
    page.click(".step-nav a[rel=next]")
    page.wait_for_url(f"{base_url}/migrations/{migration.pk}/run/")
    tickets_row = page.locator(".estimate-table tr[data-entity='tickets'] [data-count='available']")
    assert int(tickets_row.inner_text()) == SOURCE_PLAN.tickets
    assert page.locator("[data-estimate]").inner_text().strip()
    capture(page, screenshots, "06-full-run-estimate")
    page.click("button[data-action=start]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    full = latest_run(migration, Run.Kind.FULL)
    # Some records written, then pause.
    page.wait_for_function(
        "() => { const d = document.querySelector('[data-fact=done]');"
        " return d && parseInt(d.textContent) > 0; }",
        timeout=RUN_TIMEOUT_MS,
    )
    capture(page, screenshots, "07-full-run-progress")
    page.click("button[data-action=pause]")
    page.locator(".run-live[data-run-status='paused']").wait_for()
    assert "You paused this run." in page.inner_text(".pause-notice")
    full.refresh_from_db()
    assert (full.status, full.paused_by) == (Run.Status.PAUSED, Run.PausedBy.USER)
    capture(page, screenshots, "08-full-run-paused")

    page.click("button[data-action=resume]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    # Cancel asks first; keep it going.
    page.click("a[data-action=cancel]")
    page.wait_for_url(f"**/runs/{full.pk}/cancel/")
    capture(page, screenshots, "09-cancel-confirmation")
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
    capture(page, screenshots, "10-full-run-results")

    # ---- A delta: only what changed since the full run started.
    new_ticket = sandbox.zendesk_ticket_create("Printer on fire again, after the move")
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
    assert sandbox.freshdesk_ticket(target_id).json()["subject"].startswith("Printer on fire")
    assert page.locator("tr[data-history-run]").count() == 4  # two demos, full, delta
    capture(page, screenshots, "11-delta-results")

    # ---- The dashboard: the pair, the status, the latest run's progress.
    page.goto(f"{base_url}/")
    row = page.locator(f"tr[data-migration-id='{migration.pk}']")
    assert "Zendesk" in row.inner_text() and "Freshdesk" in row.inner_text()
    assert row.locator(".progress-percent").inner_text() == "100%"
    capture(page, screenshots, "12-dashboard")
    page.close()
    assert "Traceback" not in output.text()
