"""In a real browser, on the sandbox help desks (Zendesk to Freshdesk) served by
`run_site` with its worker: a demo's results read by title, filtered, searched, and a
record's links followed to readable pages on the sandbox. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Run
from reports.models import RunRecord
from tests.wizard.browser import (
    WIDTHS,
    check_widths,
    latest_run,
    log_in,
    summary_count,
    verified_user,
    wait_for_results,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(600),
    pytest.mark.usefixtures("orm_beside_playwright"),
]

EMAIL = "reader@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"
SOURCE_PLAN = SeedPlan(
    agents=6,
    contacts=12,
    organizations=3,
    groups=2,
    tickets=30,
    comments_per_ticket=(1, 3),
    attachment_ratio=0.1,
    inline_image_ratio=0.0,
    article_categories=1,
    article_sections=2,
    articles=8,
    seed=2031,
)
TARGET_PLAN = SeedPlan(agents=4, agents_offset=2, groups=1, seed=2032)


def _migration(site_url: str, owner):
    slug = uuid.uuid4().hex[:6]
    zendesk, freshdesk = sandbox_platform("zendesk"), sandbox_platform("freshdesk")
    source = zendesk.account_create(slug=f"read-{slug}", name="Acme on Zendesk")
    zendesk.seed(account=source, plan=SOURCE_PLAN)
    target = freshdesk.account_create(slug=f"read-{slug}", name="Acme on Freshdesk")
    freshdesk.seed(account=target, plan=TARGET_PLAN)
    migration = services.migration_create(owner=owner, name="Readable reports")
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
    return migration


def test_results_filtered_searched_and_a_record_opened_on_the_sandbox(
    site_with_worker, browser, screenshots
):
    shots = Path(os.environ.get("SHOTS_DIR") or screenshots)
    shots.mkdir(parents=True, exist_ok=True)
    base_url = site_with_worker.url
    migration = _migration(base_url, verified_user(EMAIL, PASSWORD))
    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900})
    log_in(page, base_url, email=EMAIL, password=PASSWORD)
    page.goto(f"{base_url}/migrations/{migration.pk}/demo/")
    page.click("text=Start demo")
    page.locator(".run-live[data-run-status='running']").wait_for()
    demo = latest_run(migration, Run.Kind.DEMO)
    wait_for_results(page, demo)
    # Agents found on the target are matched, not migrated.
    assert summary_count(page, "agents", "matched") >= 1
    # The records list starts with the flow's first entity, titles shown.
    first = page.locator(".records-table tbody tr").first.get_attribute("data-record")
    assert first.split(":")[0] == demo.entities.order_by("position").first().entity
    check_widths(page, shots, "results-01-demo")

    ticket = (
        RunRecord.objects.filter(run=demo, entity="tickets", outcome="migrated")
        .exclude(title="")
        .order_by("id")
        .first()
    )
    page.select_option("#records-outcome", "migrated")
    page.select_option("#records-entity", "tickets")
    page.fill("#records-search", ticket.title)
    page.click(".records-filter button[type=submit]")
    page.wait_for_url("**q=**")
    rows = page.locator(".records-table tbody tr")
    assert rows.count() >= 1
    for index in range(rows.count()):
        assert ticket.title in rows.nth(index).locator(".record-title .title").inner_text()
        assert rows.nth(index).get_attribute("data-outcome") == "migrated"
    assert page.input_value("#records-search") == ticket.title
    check_widths(page, shots, "results-02-searched")

    row = page.locator(f".records-table tr[data-record='tickets:{ticket.source_id}']")
    for side in ("target", "source"):
        with page.context.expect_page() as opened:
            row.locator(f"a[data-side='{side}']").click()
        record_page = opened.value
        record_page.wait_for_load_state()
        assert record_page.locator("h1").inner_text().strip() == ticket.title
        assert record_page.locator(".sandbox-record-comments li").count() >= 1
        check_widths(record_page, shots, f"results-03-{side}-record")
        record_page.close()

    # A record gone from the sandbox: a plain page that says so.
    answer = page.goto(f"{base_url}/sandbox/freshdesk/nope/a/tickets/1")
    assert answer.status == 404
    assert "Not found on the sandbox" in page.inner_text("main")
    check_widths(page, shots, "results-04-missing-record")

    # In French, the outcomes agree with the records they count.
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base_url}])
    page.goto(f"{base_url}/runs/{demo.pk}/")
    headers = page.locator("#results .summary-table thead th").all_inner_texts()
    assert [text.strip().lower() for text in headers[2:6]] == [
        "migrés",
        "associés",
        "ignorés",
        "échoués",
    ]
    check_widths(page, shots, "results-05-french")
