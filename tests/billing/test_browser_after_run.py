"""In a real browser, against `run_site` (web, worker, beat) with billing on and the
sandbox help desks: after a full run, its page offers re-migration and the verification
of skipped and failed records. Under the Basic plan both are shown disabled, naming the
plan that includes them, and a forged POST is refused with a message; under Premium the
check reads both sides and says what each record is now, and the re-migration runs and
its results are reachable.

Screenshots go to $SHOTS_DIR when set (else test-output/), at 1280 and 390 px.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from billing import services as billing_services
from billing.models import Order
from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Run
from reports.models import RunRecord
from tests.billing.conftest import DETAILS
from tests.billing.test_browser_billing import check_widths, log_in, person
from tests.migrator.engine import stack as harness
from tests.support import REPO_ROOT, embedded_environment, running_process

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(600),
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

SOURCE_PLAN = SeedPlan(
    agents=3,
    contacts=6,
    organizations=2,
    groups=2,
    tickets=12,
    comments_per_ticket=(1, 2),
    attachment_ratio=0.0,
    inline_image_ratio=0.0,
    seed=31,
)
TARGET_PLAN = SeedPlan(agents=3, agents_offset=1, groups=1, custom_fields=False, seed=32)
ENTITIES = [Entity.ORGANIZATIONS, Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS]


@pytest.fixture(scope="session", autouse=True)
def database_beside_playwright():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


def free_port() -> int:
    for port in range(9300, 9400):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 9300-9399")


@pytest.fixture
def site(tmp_path):
    harness.forget_rate_budgets()
    port = free_port()
    env = embedded_environment(
        data_dir=tmp_path,
        DATABASE_URL=harness.database_url_of_tests(),
        REDIS_URL=harness.REDIS_URL or "",
        ALLOWED_HOSTS="*",
        CONNECTOR_ALLOW_PRIVATE_NETWORKS="true",
        BILLING_ENABLED="true",
        BILLING_PROVIDER="manual",
        MIGRATOR_HEARTBEAT_SECONDS="1",
        MIGRATOR_STALE_SECONDS="4",
        MIGRATOR_RECONCILE_SECONDS="2",
    )
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--port", str(port)]
    with running_process(command, env=env, ready_pattern=r"The site is up at") as output:
        yield f"http://127.0.0.1:{port}", output


@pytest.fixture
def shots(screenshots) -> Path:
    folder = Path(os.environ["SHOTS_DIR"]) if os.environ.get("SHOTS_DIR") else screenshots
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shots_of(page, shots: Path, name: str, selector: str = "#next-steps") -> None:
    """The whole page at both widths (no horizontal scroll), and the part under test."""
    check_widths(page, shots, name)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(selector).screenshot(path=shots / f"{name}-part-{width}.png")
    page.set_viewport_size({"width": 1280, "height": 900})


def forged_post(page, action: str) -> None:
    """What a hand-made request would do: POST the form the page does not offer."""
    page.evaluate(
        """(action) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const token = document.querySelector("input[name=csrfmiddlewaretoken]");
            form.appendChild(token.cloneNode());
            document.body.appendChild(form);
            form.submit();
        }""",
        action,
    )
    page.wait_for_load_state()


def test_remigration_and_verification_from_a_full_runs_page(site, browser, shots, settings):
    base_url, _output = site
    settings.BILLING_ENABLED = True
    billing_services.pricing_reset_to_defaults()
    owner = person("fox@acme.example", full_name="Fox Mulder")
    staff = person("ops@migrate.example", is_staff=True)
    accounts = harness.accounts_seed(
        owner=owner,
        stack=SimpleNamespace(site_url=base_url),
        source_plan=SOURCE_PLAN,
        target_plan=TARGET_PLAN,
        entities=ENTITIES,
    )
    migration = accounts.migration
    services.migration_configure(
        migration=migration,
        field_mappings=configuration.FieldMappings(),
        options=configuration.Options(),
    )
    order = billing_services.order_submit(
        migration=migration, created_by=owner, plan="basic", details=DETAILS
    )
    billing_services.order_mark_paid(order=order, staff=staff)
    run = services.run_start(migration=migration, kind=Run.Kind.FULL, created_by=owner)
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    # Two tickets the run reports failed: one the target holds after all, one it lost.
    held, lost = RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated").order_by(
        "id"
    )[:2]
    RunRecord.objects.filter(pk__in=[held.pk, lost.pk]).update(
        outcome=RunRecord.Outcome.FAILED, reason="The target answered with an error."
    )
    target = accounts.target
    EmulatedRecord.objects.filter(
        account=target, collection="tickets", number=int(lost.target_id)
    ).delete()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base_url, owner.email)

    # Basic: shown, disabled, naming Premium, with the way to upgrade.
    page.goto(f"{base_url}/migrations/{migration.pk}/run/")
    steps = page.locator("#next-steps")
    steps.wait_for()
    for feature in ("remigration", "verification"):
        block = steps.locator(f"[data-feature={feature}]")
        assert block.get_attribute("data-allowed") == "no"
        assert block.locator("button").is_disabled()
        assert block.locator(f"[data-upgrade={feature}]").inner_text() == (
            "Included in Premium — upgrade"
        )
    assert "moves all the data again" in steps.inner_text().lower()
    assert "fine now, still missing, or migratable again" in steps.inner_text()
    shots_of(page, shots, "01-after-full-run-basic")

    # A forged POST is refused with a message; nothing starts.
    forged_post(page, f"/runs/{run.pk}/remigrate/")
    page.locator(".message", has_text="Re-migration needs the Premium support plan").wait_for()
    forged_post(page, f"/runs/{run.pk}/recheck/")
    page.locator(
        ".message",
        has_text="Verification of skipped and failed records needs the Premium support plan",
    ).wait_for()
    shots_of(page, shots, "02-refused", "ul.messages")
    assert not migration.runs.filter(kind=Run.Kind.REMIGRATION).exists()
    assert not RunRecord.objects.filter(run=run).exclude(recheck="").exists()

    # The order page names the plan of each feature.
    page.goto(f"{base_url}/migrations/{migration.pk}/pay/orders/{order.pk}/")
    assert page.locator("[data-feature=delta]").get_attribute("data-plan") == "signature"
    assert "Included in Signature" in page.inner_text("[data-feature=delta]")
    assert "Included in Premium" in page.inner_text("[data-feature=remigration]")
    shots_of(page, shots, "03-order-basic", ".plan-features")

    # The options step explains the marker, fixed now that records carry it.
    page.goto(f"{base_url}/migrations/{migration.pk}/options/")
    marker = page.locator("#marker")
    assert "On Freshdesk it is a tag on tickets, contacts and solution articles." in (
        marker.inner_text()
    )
    assert page.locator("input[name=marker_prefix]").is_disabled()
    assert marker.locator("[data-marker-locked]").is_visible()
    shots_of(page, shots, "03b-options-marker", "#marker")

    # Premium (the order upgraded): both start.
    Order.objects.filter(pk=order.pk).update(plan="premium")
    page.goto(f"{base_url}/runs/{run.pk}/")
    steps = page.locator("#next-steps")
    assert steps.locator("[data-feature=verification]").get_attribute("data-allowed") == "yes"
    assert "Possible until" in steps.locator("[data-feature=remigration]").inner_text()
    page.click("button[data-action=recheck]")
    page.wait_for_url(re.compile(rf"/runs/{run.pk}/#next-steps$"))
    page.locator("#next-steps[data-recheck-pending='0'] table.recheck-table").wait_for(
        timeout=120_000
    )
    assert page.locator(f"tr[data-source-id='{held.source_id}']").get_attribute("data-recheck") == (
        "fine"
    )
    assert page.locator(f"tr[data-source-id='{lost.source_id}']").get_attribute("data-recheck") == (
        "migratable"
    )
    assert "a re-migration moves it" in page.inner_text(f"tr[data-source-id='{lost.source_id}']")
    shots_of(page, shots, "04-verification-done")

    page.click("button[data-action=remigrate]")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/run/$"))
    page.locator(".message", has_text="The re-migration has started").wait_for()
    remigration = migration.runs.get(kind=Run.Kind.REMIGRATION)
    assert remigration.created_by == owner
    remigration = harness.wait_for_run(remigration, timeout=300)
    assert remigration.is_finished, remigration.pause_reason
    page.goto(f"{base_url}/runs/{remigration.pk}/")
    heading = page.locator("#results h2").first.inner_text()
    assert heading == f"Results of the re-migration #{remigration.pk}"
    # The lost ticket is back, and nothing was created twice: one ticket on the target
    # per source ticket.
    back = RunRecord.objects.get(run=remigration, entity="tickets", source_id=lost.source_id)
    assert back.outcome == RunRecord.Outcome.MIGRATED
    assert EmulatedRecord.objects.filter(
        account=target, collection="tickets", number=int(back.target_id)
    ).exists()
    source_tickets = EmulatedRecord.objects.filter(account=accounts.source, collection="tickets")
    tickets = EmulatedRecord.objects.filter(account=target, collection="tickets")
    assert tickets.count() == source_tickets.count()
    shots_of(page, shots, "05-remigration-results", ".summary-table")

    # In French too.
    page.goto(f"{base_url}/runs/{run.pk}/")
    page.select_option("#language-select", "fr")
    page.wait_for_load_state()
    page.locator("#next-steps h3", has_text="Après la migration complète").wait_for()
    shots_of(page, shots, "06-after-full-run-french")
    page.close()
