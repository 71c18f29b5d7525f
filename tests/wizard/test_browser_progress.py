"""In a real browser, against `run_site` (web, a real Celery worker and beat) on the
sandbox help desks, Zendesk to Freshdesk with Freshdesk's account limited to a few
requests a minute: the estimate before the start says what it assumes, and during the run
the progress names Freshdesk's limit as the pace and its count moves record by record, in
English and in French. Screenshots at 1280 and 390 px wide."""

from __future__ import annotations

import time
import uuid

import pytest

from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Migration, Run, User
from tests.wizard.browser import (
    RUN_TIMEOUT_MS,
    check_widths,
    latest_run,
    log_in,
    verified_user,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(900),
    pytest.mark.usefixtures("orm_beside_playwright"),
]

EMAIL = "pat@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"
SOURCE_LIMIT = 600
#: Freshdesk's account allows this many requests a minute: its limit sets the pace.
TARGET_LIMIT = 90
SEED = 3016
SOURCE_PLAN = SeedPlan(
    agents=3,
    contacts=4,
    groups=1,
    tickets=40,
    comments_per_ticket=(2, 3),
    attachment_ratio=0.0,
    inline_image_ratio=0.0,
    seed=SEED,
)
TARGET_PLAN = SeedPlan(agents=3, groups=1, seed=SEED + 1)
#: Tickets counts seen on the page before it is judged.
SAMPLES = 5


def limited_migration(*, owner: User, site_url: str) -> Migration:
    slug = uuid.uuid4().hex[:6]
    zendesk, freshdesk = sandbox_platform("zendesk"), sandbox_platform("freshdesk")
    source = zendesk.account_create(
        slug=f"pace-{slug}", name="Pace on Zendesk", rate_limit_per_minute=SOURCE_LIMIT
    )
    zendesk.seed(account=source, plan=SOURCE_PLAN)
    target = freshdesk.account_create(
        slug=f"pace-{slug}", name="Pace on Freshdesk", rate_limit_per_minute=TARGET_LIMIT
    )
    freshdesk.seed(account=target, plan=TARGET_PLAN)
    migration = services.migration_create(owner=owner, name="Paced desk")
    services.migration_configure(
        migration=migration,
        source=services.connection_create(
            owner=owner,
            platform="zendesk",
            credentials=zendesk.credentials(account=source, site_url=site_url),
            rate_limit_per_minute=SOURCE_LIMIT,
        ),
        target=services.connection_create(
            owner=owner,
            platform="freshdesk",
            credentials=freshdesk.credentials(account=target, site_url=site_url),
            rate_limit_per_minute=TARGET_LIMIT,
        ),
        entities=[Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS],
        filters=configuration.Filters(),
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        field_mappings=configuration.FieldMappings(),
        options=configuration.Options(verify_migrated=False),
    )
    return migration


def tickets_done(page) -> int:
    cell = page.locator("tr[data-entity='tickets'] [data-count='done']")
    return int(cell.inner_text().split("/")[0])


def test_the_progress_of_a_rate_limited_run_names_the_pace_and_moves_per_record(
    site_with_worker, browser, screenshots
):
    print(f"seed {SEED}")
    base_url = site_with_worker.url
    owner = verified_user(EMAIL, PASSWORD)
    migration = limited_migration(owner=owner, site_url=base_url)
    page = browser.new_page()
    log_in(page, base_url, email=EMAIL, password=PASSWORD)

    # Before the start: the estimate and what it assumes.
    page.goto(f"{base_url}/migrations/{migration.pk}/run/")
    assumptions = page.inner_text("[data-estimate-assumptions]")
    assert (
        f"Freshdesk allows {TARGET_LIMIT} requests a minute on this account "
        "(entered on the connection); about 6 requests a ticket."
    ) in assumptions
    assert "Zendesk allows 600 requests a minute on this account" in assumptions
    assert "Freshdesk's limit sets the pace." in assumptions
    assert "Tickets are counted at 5 comments and 1 attachment each on average" in assumptions
    check_widths(page, screenshots, "eta-01-estimate")

    page.click("button[data-action=start]")
    page.locator(".run-live[data-run-status='running']").wait_for()
    run = latest_run(migration, Run.Kind.FULL)
    page.wait_for_function(
        "() => { const d = document.querySelector("
        "\"tr[data-entity='tickets'] [data-count='done']\");"
        " return d && parseInt(d.textContent) > 0; }",
        timeout=RUN_TIMEOUT_MS,
    )
    assert "Freshdesk's limit sets the pace." in page.inner_text("[data-fact=pace]")
    # The count moves as records are written, not in steps of a batch's tenth.
    seen = [tickets_done(page)]
    deadline = time.monotonic() + 120
    while len(set(seen)) < SAMPLES and time.monotonic() < deadline:
        page.wait_for_timeout(2500)  # the partial asks again every 2 s
        seen.append(tickets_done(page))
    print(f"tickets done as the page showed them: {seen}")
    assert seen == sorted(seen) and len(set(seen)) >= SAMPLES, seen
    assert any(count % 10 for count in seen), seen
    check_widths(page, screenshots, "eta-02-progress")

    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": base_url}])
    page.reload()
    page.locator("[data-fact=pace]").wait_for()
    french = "C\u2019est la limite de Freshdesk qui fixe le rythme."
    assert french in page.inner_text("[data-fact=pace]")
    check_widths(page, screenshots, "eta-03-progress-fr")
    services.run_cancel(run=run)
