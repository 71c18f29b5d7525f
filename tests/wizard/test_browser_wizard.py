"""The whole wizard in a real browser, against `run_site` (web, a real Celery worker and
beat) and the sandbox help desks, Zendesk to Freshdesk, as a new user would go through it:
sign in, create a migration, connect both sandboxes with "Use the sandbox", select the
data with a date filter, match agents, map fields, set the options, run the demo and
check its downloaded report against Freshdesk, run the demo again, run the full
migration, then a delta that brings exactly the one ticket created since. A screenshot of
every step at 1280 and 390 px wide, none of which scrolls sideways.

The error paths of the connect and mapping steps (a wrong token, an unreachable address,
leaving the mapping with an unsaved change) are in test_browser_setup.py and
test_browser_configure.py.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.sandbox import SANDBOX_ACCOUNT_SLUG, SeedPlan, sandbox_platform
from migrator.models import Migration, Run
from tests.wizard.browser import (
    RUN_TIMEOUT_MS,
    WIDTHS,
    check_widths,
    choose_platform,
    freshdesk_ticket,
    latest_run,
    log_in,
    summary_count,
    use_sandbox,
    verified_user,
    wait_for_results,
    zendesk_ticket_create,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(900),
    pytest.mark.usefixtures("orm_beside_playwright"),
]

EMAIL = "robin@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"
MIGRATED_TAG = "from-zendesk"
#: Smaller than `make run`'s sandbox (500 tickets): the whole test takes a few minutes.
SOURCE_PLAN = SeedPlan(
    agents=8,
    inactive_agents=1,
    deleted_agents=1,
    contacts=15,
    organizations=3,
    groups=3,
    tickets=50,
    comments_per_ticket=(1, 3),
    attachment_ratio=0.1,
    inline_image_ratio=0.05,
    article_categories=1,
    article_sections=2,
    articles=6,
    seed=2028,
)
#: Acme's agents from the fourth on (Dmitri...): the first three of the source are missing.
TARGET_PLAN = SeedPlan(agents=6, agents_offset=3, groups=2, seed=2029)
#: The date filter keeps the tickets of the last 18 months, of the seeded two years.
FILTER_DAYS = 540


def seed_sandbox() -> dict[str, dict[str, Any]]:
    """The sandbox accounts the connect page's "Use the sandbox" fills in, seeded with the
    small plans and no rate limit; their credentials, for this test's own API calls."""
    accounts = {}
    for key, name, plan in (
        ("zendesk", "Acme on Zendesk", SOURCE_PLAN),
        ("freshdesk", "Acme on Freshdesk", TARGET_PLAN),
    ):
        platform = sandbox_platform(key)
        account = platform.account_create(
            slug=SANDBOX_ACCOUNT_SLUG, name=name, rate_limit_per_minute=0
        )
        platform.seed(account=account, plan=plan)
        accounts[key] = account
    return accounts


def zendesk_tickets(credentials: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ticket of the Zendesk sandbox, page after page through its API."""
    tickets: list[dict[str, Any]] = []
    url: str | None = f"{credentials['url']}/api/v2/tickets.json?per_page=100"
    auth = (f"{credentials['email']}/token", credentials["api_token"])
    while url:
        response = httpx.get(url, auth=auth, timeout=30)
        assert response.status_code == 200, response.text
        tickets.extend(response.json()["tickets"])
        url = response.json().get("next_page")
    return tickets


def zendesk_status_id(credentials: dict[str, Any], label: str) -> str:
    """The id of the Zendesk sandbox's ticket status an agent sees as ``label``."""
    response = httpx.get(
        f"{credentials['url']}/api/v2/custom_statuses.json",
        auth=(f"{credentials['email']}/token", credentials["api_token"]),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    (status,) = [s for s in response.json()["custom_statuses"] if s["agent_label"] == label]
    return str(status["id"])


def freshdesk_ticket_ids(credentials: dict[str, Any]) -> set[int]:
    """The ids of every ticket of the Freshdesk sandbox, through its API (without
    ``updated_since`` Freshdesk lists only the last 30 days)."""
    ids: set[int] = set()
    page = 1
    while True:
        response = httpx.get(
            f"{credentials['url']}/api/v2/tickets",
            params={"updated_since": "2000-01-01T00:00:00Z", "per_page": 100, "page": page},
            auth=(credentials["api_key"], "X"),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        ids.update(ticket["id"] for ticket in response.json())
        if 'rel="next"' not in response.headers.get("link", ""):
            return ids
        page += 1


def created_on(ticket: dict[str, Any]) -> date:
    return datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00")).date()


def test_every_step_of_the_wizard_zendesk_to_freshdesk(site_with_worker, browser, screenshots):
    base_url, output = site_with_worker.url, site_with_worker.output
    accounts = seed_sandbox()
    zendesk = sandbox_platform("zendesk").credentials(
        account=accounts["zendesk"], site_url=base_url
    )
    freshdesk = sandbox_platform("freshdesk").credentials(
        account=accounts["freshdesk"], site_url=base_url
    )
    created_from = datetime.now(UTC).date() - timedelta(days=FILTER_DAYS)
    kept = [t for t in zendesk_tickets(zendesk) if created_on(t) >= created_from]
    assert 20 < len(kept) < SOURCE_PLAN.tickets  # the filter leaves some out, and the demo
    verified_user(EMAIL, PASSWORD)

    page = browser.new_page(viewport={"width": WIDTHS[0], "height": 900}, accept_downloads=True)
    page.set_default_timeout(60_000)
    log_in(page, base_url, email=EMAIL, password=PASSWORD)

    # ---- A new migration, from the dashboard.
    page.click("text=New migration >> nth=0")
    page.fill("input[name=name]", "Acme: Zendesk to Freshdesk")
    page.click("main form button[type=submit]")
    # A new migration opens its first step; the dashboard lists it.
    page.wait_for_url(re.compile(r"/migrations/\d+/connect/$"))
    page.goto(f"{base_url}/")
    check_widths(page, screenshots, "01-dashboard-new-migration")
    page.locator(".migration-name a", has_text="Acme: Zendesk to Freshdesk").click()
    page.wait_for_url(re.compile(r"/migrations/\d+/connect/$"))
    migration = Migration.objects.get(name="Acme: Zendesk to Freshdesk")
    step_url = f"{base_url}/migrations/{migration.pk}"

    # ---- Step 1: connect the Zendesk sandbox (source) and the Freshdesk sandbox (target).
    choose_platform(page, "source", "zendesk")
    use_sandbox(page, "source")
    source = page.locator("#connect-source")
    assert source.locator("input[name='source-url']").input_value() == zendesk["url"]
    check_widths(page, screenshots, "02-connect-source-sandbox")
    source.locator("button", has_text="Connect to Zendesk").click()
    source.locator("[data-connected=zendesk]").wait_for()
    assert "Acme on Zendesk" in source.locator(".account-name").inner_text()

    choose_platform(page, "target", "freshdesk")
    use_sandbox(page, "target")
    target = page.locator("#connect-target")
    target.locator("button", has_text="Connect to Freshdesk").click()
    target.locator("[data-connected=freshdesk]").wait_for()
    assert target.locator(".account-url").inner_text() == freshdesk["url"]
    html = page.content()
    assert zendesk["api_token"] not in html and freshdesk["api_key"] not in html
    check_widths(page, screenshots, "03-connect-both")

    # ---- Step 2: select the data, with a filter (Freshdesk needs no target scope).
    page.click(".step-nav a[rel=next]")
    page.wait_for_url(f"{step_url}/select/")
    tickets_count = page.locator("[data-entity=tickets] .entity-count")
    assert tickets_count.get_attribute("data-count") == str(SOURCE_PLAN.tickets)
    assert page.is_checked("input[name=entities][value=tickets]")
    page.fill("#id_created_from", created_from.isoformat())
    assert page.locator(".unsaved-banner").is_visible()
    check_widths(page, screenshots, "04-select")
    page.click("button[name=action][value=save]")
    page.wait_for_url(f"{step_url}/match/")
    migration.refresh_from_db()
    assert migration.configured_filters().created_from == created_from

    # ---- Step 3: match agents: by e-mail where both sides have the person, a default agent.
    assert page.locator("h1").inner_text() == "Match agents"

    def agent_row(email: str):
        return page.locator("tr", has=page.locator("td.email", has_text=email))

    for email in ("dmitri@acme.example", "esther@acme.example", "farid@acme.example"):
        assert email in agent_row(email).locator("select option:checked").inner_text()
    alice = agent_row("alice@acme.example").locator("select option:checked")
    assert alice.inner_text() == "Create on the target"
    page.select_option("#id_default_agent_id", label="Esther Agent <esther@acme.example>")
    check_widths(page, screenshots, "05-match")
    page.click("text=Save matching")
    page.wait_for_url(f"{step_url}/map/")
    migration.refresh_from_db()
    matches = migration.configured_matches()
    assert matches.default_agent_id
    assert len(matches.agents) >= 3

    # ---- Step 4: map fields: suggested status map, custom fields.
    assert page.locator("h1").inner_text() == "Map fields"
    on_hold = page.locator("tr", has=page.locator("td", has_text="On-hold")).locator("select")
    assert on_hold.locator("option:checked").inner_text() == "Open"  # Freshdesk has no on-hold
    open_value = on_hold.input_value()
    product = page.locator(
        ".custom-field", has=page.locator(".custom-field-title", has_text="Product")
    )
    head = product.locator(".custom-field-head select")
    assert head.locator("option:checked").inner_text() == "Product (dropdown)"  # same title
    order = page.locator(
        ".custom-field", has=page.locator(".custom-field-title", has_text="Order number")
    )
    order.locator(".custom-field-head select").select_option(label="Serial number (text)")
    order_key = order.get_attribute("data-field-key")
    check_widths(page, screenshots, "06-map")
    page.click("text=Save mapping")
    page.wait_for_url(f"{step_url}/options/")
    migration.refresh_from_db()
    mappings = migration.configured_mappings()
    assert mappings.statuses[zendesk_status_id(zendesk, "On-hold")] == open_value
    assert mappings.custom_fields[order_key] == "cf_serial_number"

    # ---- Step 5: options: tag the migrated tickets.
    assert page.locator("h1").inner_text() == "Options"
    page.check("#id_tag_tickets")
    page.fill("#id_migrated_tag", MIGRATED_TAG)
    check_widths(page, screenshots, "07-options")
    page.click("text=Save options")
    page.wait_for_url(f"{step_url}/demo/")
    migration.refresh_from_db()
    assert migration.configured_options().migrated_tag == MIGRATED_TAG

    # ---- Step 6: the demo, with the real worker, to its results.
    check_widths(page, screenshots, "08-demo-before-start")
    page.click("text=Start demo")
    page.locator(".run-live[data-run-status='running']").wait_for()
    demo = latest_run(migration, Run.Kind.DEMO)
    check_widths(page, screenshots, "09-demo-progress")
    wait_for_results(page, demo)
    demo.refresh_from_db()
    assert demo.status == Run.Status.COMPLETED, demo.pause_reason
    assert summary_count(page, "tickets", "available") == 20
    migrated = summary_count(page, "tickets", "migrated")
    skipped = summary_count(page, "tickets", "skipped")
    failed = summary_count(page, "tickets", "failed")
    assert migrated + skipped + failed == 20
    assert migrated >= 18, (skipped, failed)
    for entity in ("agents", "groups", "contacts", "articles"):
        assert summary_count(page, entity, "available") > 0, entity
    check_widths(page, screenshots, "10-demo-results")

    # The report of migrated records, downloaded, checked against the Freshdesk sandbox.
    with page.expect_download() as download_info:
        page.click(".downloads a:text-is('Migrated')")
    report = download_info.value
    assert report.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(report.path().read_text())))
    tickets = [row for row in rows if row["entity"] == "tickets"]
    assert len(tickets) == migrated
    kept_ids = {str(ticket["id"]) for ticket in kept}
    for row in tickets:
        assert row["source_id"] in kept_ids, row  # the filter held
        answer = freshdesk_ticket(freshdesk, row["target_id"])
        assert answer.status_code == 200, (row, answer.text)
        assert str(answer.json()["id"]) == row["target_id"]
        assert MIGRATED_TAG in answer.json()["tags"]
        assert row["target_url"].endswith(f"/a/tickets/{row['target_id']}")

    # "I have fixed the errors": the demo again, from the start.
    page.click("button[data-action=restart]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    second_demo = latest_run(migration, Run.Kind.DEMO)
    assert second_demo.pk != demo.pk
    wait_for_results(page, second_demo)
    second_demo.refresh_from_db()
    assert second_demo.status == Run.Status.COMPLETED, second_demo.pause_reason
    assert summary_count(page, "tickets", "available") == 20
    assert page.locator(f"tr[data-history-run='{demo.pk}']").count() == 1
    check_widths(page, screenshots, "11-demo-again")

    # ---- Step 7: the full migration (billing is off: no payment step).
    page.click(".step-nav a[rel=next]")
    page.wait_for_url(f"{step_url}/run/")
    assert page.locator(".steps [data-step=pay]").count() == 0
    estimate = page.locator(".estimate-table tr[data-entity='tickets'] [data-count='available']")
    assert int(estimate.inner_text()) == SOURCE_PLAN.tickets  # before the filters
    assert page.locator("[data-estimate]").inner_text().strip()
    check_widths(page, screenshots, "12-full-run-estimate")
    page.click("button[data-action=start]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    full = latest_run(migration, Run.Kind.FULL)
    check_widths(page, screenshots, "13-full-run-progress")
    wait_for_results(page, full)
    full.refresh_from_db()
    assert full.status == Run.Status.COMPLETED, full.pause_reason
    assert summary_count(page, "tickets", "available") == SOURCE_PLAN.tickets
    done = sum(summary_count(page, "tickets", c) for c in ("migrated", "skipped", "failed"))
    assert done == len(kept)
    assert summary_count(page, "tickets", "failed") == 0
    # The tickets the date filter left out are said, so the numbers add up.
    filtered = page.locator("#results [data-filtered-out=tickets] .count").inner_text()
    assert int(filtered) == SOURCE_PLAN.tickets - len(kept)
    check_widths(page, screenshots, "14-full-run-results")

    # ---- A delta: exactly the ticket created on Zendesk since the full run.
    before = freshdesk_ticket_ids(freshdesk)
    new_ticket = zendesk_ticket_create(
        zendesk, subject="Scanner jams after the move", tags=["scanner"]
    )
    page.click("button[data-action=delta]")
    page.locator(".run-live[data-run-status='running']").wait_for(timeout=RUN_TIMEOUT_MS)
    delta = latest_run(migration, Run.Kind.DELTA)
    wait_for_results(page, delta)
    delta.refresh_from_db()
    assert delta.status == Run.Status.COMPLETED, delta.pause_reason
    assert summary_count(page, "tickets", "available") == 1
    assert summary_count(page, "tickets", "migrated") == 1
    ticket_rows = page.locator(".records-table tr[data-record^='tickets:']")
    assert ticket_rows.count() == 1
    record = page.locator(f".records-table tr[data-record='tickets:{new_ticket}']")
    target_id = record.locator("a[data-side='target']").inner_text()
    arrived = freshdesk_ticket_ids(freshdesk) - before
    assert arrived == {int(target_id)}
    answer = freshdesk_ticket(freshdesk, target_id).json()
    assert answer["subject"] == "Scanner jams after the move"
    assert MIGRATED_TAG in answer["tags"]
    check_widths(page, screenshots, "15-delta-results")
    page.close()
    assert "Traceback" not in output.text()
