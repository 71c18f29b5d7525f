"""In a real browser, against `run_site` (web, a real Celery worker and beat) on the
sandbox help desks: the owner of a migration whose demo has run invites a teammate with
restricted access from the members page; the teammate signs up, confirms the address and
accepts through the e-mailed link; they follow the demo's results and download a report,
but never see the connect step, the credentials or a run control, and starting a run is
answered 404; the owner revokes them and their next page load is answered 404.
Screenshots of every page at 1280 and 390 px wide, with no horizontal scroll."""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import time
import uuid
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from connectors.sandbox import sandbox_platform
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import AuditEvent, Membership, Migration, Run, User
from migrator.processes import free_port
from tests.support import REPO_ROOT, embedded_environment, running_process
from tests.wizard.browser import check_widths, site_database_url
from tests.wizard.conftest import SOURCE_PLAN, TARGET_PLAN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(900),
]

OWNER_EMAIL = "sam@acme.example"
TEAMMATE_EMAIL = "mia@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"
DEMO_TIMEOUT_SECONDS = 240


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


@pytest.fixture
def site(tmp_path):
    """run_site on the test database: the web server (which prints e-mails), a worker
    and beat."""
    port = free_port()
    env = embedded_environment(
        data_dir=tmp_path,
        DATABASE_URL=site_database_url(),
        CONNECTOR_ALLOW_PRIVATE_NETWORKS="true",
    )
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--port", str(port)]
    with running_process(command, env=env, ready_pattern=r"The site is up at") as output:
        yield f"http://127.0.0.1:{port}", output
        (tmp_path / "site.log").write_text(output.text())


def migration_with_a_demo(owner: User, site_url: str) -> tuple[Migration, list[str]]:
    """Seeded Zendesk and Freshdesk sandboxes, a migration between them configured through
    the services, and its demo run to the end by the site's worker. Also returns the
    credentials' secret values, which no page may show."""
    slug = uuid.uuid4().hex[:6]
    connections = {}
    secrets: list[str] = []
    for key, plan in (("zendesk", SOURCE_PLAN), ("freshdesk", TARGET_PLAN)):
        platform = sandbox_platform(key)
        account = platform.account_create(
            slug=f"team-{slug}", name=f"Acme on {key}", rate_limit_per_minute=0
        )
        platform.seed(account=account, plan=plan)
        credentials = platform.credentials(account=account, site_url=site_url)
        secrets += [credentials[name] for name in ("api_token", "api_key") if name in credentials]
        connections[key] = services.connection_create(
            owner=owner, platform=key, credentials=credentials, rate_limit_per_minute=0
        )
    migration = services.migration_create(owner=owner, name="Acme support desk")
    services.migration_configure(
        migration=migration,
        source=connections["zendesk"],
        target=connections["freshdesk"],
        entities=list(Entity),
        filters=configuration.Filters(),
        matches=configuration.Matches(create_missing_agents=True, create_missing_groups=True),
        field_mappings=configuration.FieldMappings(),
        options=configuration.Options(),
        by=owner,
    )
    demo = services.run_start(migration=migration, kind=Run.Kind.DEMO, created_by=owner)
    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    while not demo.is_finished and time.monotonic() < deadline:
        time.sleep(1)
        demo.refresh_from_db()
    assert demo.status == Run.Status.COMPLETED, (demo.status, demo.pause_reason)
    assert secrets, "the sandbox credentials have no secret to look for"
    return migration, secrets


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def assert_no_secret(page, secrets: list[str]) -> None:
    html = page.content()
    for secret in secrets:
        assert secret not in html, f"a credential shows on {page.url}"


def csrf_post(page, url: str, data: dict[str, str] | None = None):
    """A form POST from the signed-in browser, past the CSRF check, to a URL its pages
    do not offer."""
    token = next(
        cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken"
    )
    return page.request.post(
        url, form=data or {}, headers={"X-CSRFToken": token, "Referer": url}, max_redirects=0
    )


def test_invite_accept_follow_restricted_then_revoked(site, browser, screenshots):
    base_url, output = site
    owner = User.objects.create_user(OWNER_EMAIL, PASSWORD, full_name="Sam Owner")
    EmailAddress.objects.create(user=owner, email=OWNER_EMAIL, verified=True, primary=True)
    migration, secrets = migration_with_a_demo(owner, base_url)
    demo = migration.runs.get(kind=Run.Kind.DEMO)
    demo_url = f"{base_url}/migrations/{migration.pk}/demo/"

    # ---- The owner invites a teammate with restricted access from the members page.
    owner_page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(owner_page, base_url, OWNER_EMAIL)
    owner_page.goto(demo_url)
    owner_page.click(".wizard-migration a:text-is('Who has access')")
    owner_page.wait_for_url(f"{base_url}/migrations/{migration.pk}/members/")
    check_widths(owner_page, screenshots, "01-owner-members")
    owner_page.fill("#invite-form input[name=email]", TEAMMATE_EMAIL)
    owner_page.select_option("#invite-form select[name=role]", "restricted")
    owner_page.click("#invite-form button[type=submit]")
    owner_page.locator(f"tr[data-invitation='{TEAMMATE_EMAIL}']").wait_for()
    assert "Invitation sent to mia@acme.example." in owner_page.inner_text("main")
    check_widths(owner_page, screenshots, "02-owner-invited")

    # ---- The teammate opens the e-mailed link, signs up, confirms, then accepts.
    link = output.wait_for(r"(http://\S+/invitations/\S+/)", timeout=30).group(1)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(link)
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.click("main a[href*='/accounts/signup/']")
    page.wait_for_url(re.compile(r"/accounts/signup/"))
    page.fill("input[name=email]", TEAMMATE_EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    confirm = output.wait_for(r"(http://\S+/accounts/confirm-email/\S+/)", timeout=30).group(1)
    page.goto(confirm)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    if not page.url.startswith(link):
        page.goto(link)
    assert "Sam Owner" in page.inner_text("main") or OWNER_EMAIL in page.inner_text("main")
    assert "Acme support desk" in page.inner_text("main")
    check_widths(page, screenshots, "03-teammate-invitation")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/"))
    assert "You joined “Acme support desk”." in page.inner_text("main")
    teammate = User.objects.get(email=TEAMMATE_EMAIL)
    membership = Membership.objects.get(migration=migration, user=teammate)
    assert membership.role == Membership.Role.RESTRICTED
    check_widths(page, screenshots, "04-teammate-lands")
    assert_no_secret(page, secrets)

    # ---- The teammate follows the demo's results and downloads a report.
    page.goto(demo_url)
    page.locator(f"#results[data-run-id='{demo.pk}']").wait_for()
    assert page.locator(".run-live .badge").inner_text() == "Completed"
    migrated = int(
        page.inner_text(
            "#results .summary-table tr[data-entity='tickets'] [data-count='migrated']"
        ).strip()
    )
    assert migrated > 0
    # No run control: neither start, restart, pause, resume nor cancel.
    for control in (
        "form[action$='/demo/start/']",
        "[data-action=restart]",
        "[data-action=pause]",
        "[data-action=resume]",
        "[data-action=cancel]",
    ):
        assert page.locator(control).count() == 0, control
    # The connect step is not offered to them.
    assert page.locator("nav.steps a[href$='/connect/']").count() == 0
    check_widths(page, screenshots, "05-teammate-demo-results")
    assert_no_secret(page, secrets)
    with page.expect_download() as download_info:
        page.click(".downloads a:text-is('Migrated')")
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text())))
    tickets = [row for row in rows if row["entity"] == "tickets"]
    assert len(tickets) == migrated
    assert all(row["target_id"] for row in tickets)

    # The full run's page: the estimate, no start button.
    page.goto(f"{base_url}/migrations/{migration.pk}/run/")
    assert page.locator("button[data-action=start]").count() == 0
    check_widths(page, screenshots, "06-teammate-full-run")
    assert_no_secret(page, secrets)

    # The connect step (the credentials) does not exist for them, nor does starting.
    assert page.goto(f"{base_url}/migrations/{migration.pk}/connect/").status == 404
    page.goto(demo_url)
    refused = csrf_post(page, f"{base_url}/migrations/{migration.pk}/demo/start/")
    assert refused.status == 404
    refused = csrf_post(
        page,
        f"{base_url}/migrations/{migration.pk}/run/",
        {"start": "now", "window-TOTAL_FORMS": "0", "window-INITIAL_FORMS": "0"},
    )
    assert refused.status == 404
    assert not migration.runs.exclude(pk=demo.pk).exists()

    # A demo the owner scheduled then paused: the owner may resume it, the teammate only
    # sees it.
    later = services.run_start(
        migration=migration,
        kind=Run.Kind.DEMO,
        scheduled_for=timezone.now() + timedelta(days=1),
        created_by=owner,
    )
    services.run_pause(run=later, by=owner)
    page.reload()
    page.locator(".run-live[data-run-status='paused']").wait_for()
    for control in ("[data-action=resume]", "[data-action=cancel]", "[data-action=pause]"):
        assert page.locator(control).count() == 0, control
    check_widths(page, screenshots, "07-teammate-paused-demo")
    owner_page.goto(demo_url)
    assert owner_page.locator("[data-action=resume]").count() == 1

    # ---- The owner revokes the teammate: their next page load is answered 404.
    owner_page.goto(f"{base_url}/migrations/{migration.pk}/members/")
    owner_page.click(f"tr[data-member='{TEAMMATE_EMAIL}'] button[type=submit]")
    owner_page.wait_for_load_state()
    assert owner_page.locator(f"tr[data-member='{TEAMMATE_EMAIL}']").count() == 0
    assert "mia@acme.example no longer has access." in owner_page.inner_text("main")
    check_widths(owner_page, screenshots, "08-owner-revoked")
    owner_page.click("a:text-is('Activity')")
    owner_page.wait_for_url(f"{base_url}/migrations/{migration.pk}/activity/")
    for action in ("invited", "invitation_accepted", "access_revoked", "demo_started"):
        assert owner_page.locator(f"tr[data-action='{action}']").count() >= 1, action
    check_widths(owner_page, screenshots, "09-owner-activity")

    response = page.reload()
    assert response.status == 404
    assert page.goto(f"{base_url}/runs/{demo.pk}/").status == 404
    page.goto(f"{base_url}/")
    assert "Acme support desk" not in page.inner_text("main")
    check_widths(page, screenshots, "10-teammate-dashboard-after")
    assert AuditEvent.objects.filter(
        migration=migration, actor=owner, action=AuditEvent.Action.ACCESS_REVOKED
    ).exists()
    owner_page.close()
    page.close()
    assert "Traceback" not in output.text()
