"""In a real browser, against the whole site as `run_site` starts it (web server, worker,
beat) with the seeded sandbox help desks: after a real demo, quote → checkout paid by
invoice → staff mark the order paid in the admin → the full migration starts and runs.

The site shares this test's PostgreSQL database and Redis, so the records the test seeds
are the site's, and a run the test starts goes to the site's worker.
"""

from __future__ import annotations

import re
import socket
import sys
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError

from billing import services as billing_services
from billing.models import Order
from connectors.sandbox import SeedPlan
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import Run, User
from tests.migrator.engine import stack as harness
from tests.support import REPO_ROOT, embedded_environment, running_process

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

PASSWORD = "Tr0ub4dor&3-horse"
SOURCE_PLAN = SeedPlan(
    agents=4,
    contacts=12,
    organizations=3,
    groups=2,
    tickets=30,
    comments_per_ticket=(1, 2),
    attachment_ratio=0.1,
    inline_image_ratio=0.0,
    seed=7,
)
TARGET_PLAN = SeedPlan(agents=3, agents_offset=1, groups=1, custom_fields=False, seed=8)
ENTITIES = [Entity.ORGANIZATIONS, Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS]


@pytest.fixture(scope="session", autouse=True)
def database_beside_playwright():
    """Playwright's sync API keeps an event loop in this thread; the test's own database
    calls (and the test database's teardown) are plain blocking calls, which Django must be
    told are fine here."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


def port_in_our_range() -> int:
    for port in range(9200, 9300):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 9200-9299")


@pytest.fixture
def site(tmp_path):
    harness.forget_rate_budgets()
    port = port_in_our_range()
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


def person(email: str, **fields) -> User:
    user = User.objects.create_user(email, PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def check_widths(page, screenshots, name: str) -> None:
    """A screenshot at 1280 and 390 px, and no horizontal scroll at either."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name}: horizontal scroll at {width}px ({scroll_width})"
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_demo_quote_checkout_staff_marks_paid_full_run(site, browser, screenshots, settings):
    base_url, _output = site
    settings.BILLING_ENABLED = True
    billing_services.pricing_reset_to_defaults()
    owner = person("dana@acme.example", full_name="Dana Scully")
    person("ops@migrate.example", is_staff=True, is_superuser=True)

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
    # The free demo, run by the site's worker.
    demo = services.run_start(migration=migration, kind=Run.Kind.DEMO, created_by=owner)
    demo = harness.wait_for_run(demo, timeout=240)
    assert demo.status == Run.Status.COMPLETED, demo.pause_reason

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base_url, owner.email)

    # "Continue" leads to the first open step: pay.
    page.goto(f"{base_url}/migrations/{migration.pk}/")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/pay/$"))
    assert page.locator(".steps .step.current").get_attribute("data-step") == "pay"
    quote_rows = page.locator(".billing-quote .quote-line.entity")
    assert quote_rows.count() == len(ENTITIES)
    assert page.locator(".billing-quote [data-line='entity-tickets']").inner_text().count("30") >= 1
    assert page.locator("[data-line='entity-groups']").inner_text().endswith("Free")
    # 30 tickets, 12 contacts, 3 organizations, 4 agents: below the 39 EUR minimum.
    assert page.locator(".billing-quote [data-total]").inner_text() == "39.00\u00a0EUR"
    assert page.locator("[data-start-full]").is_disabled()
    check_widths(page, screenshots, "01-pay")

    # The printable quote, with Premium chosen.
    page.check("input[name=plan][value=premium]")
    with page.expect_popup() as popup:
        page.click("[data-printable]")
    quote = popup.value
    quote.wait_for_load_state()
    assert quote.locator("h1").inner_text() == "Quote"
    assert "Support plan: Premium." in quote.inner_text("main")
    assert quote.locator("[data-total]").inner_text() == "188.00\u00a0EUR"
    check_widths(quote, screenshots, "02-quote")
    quote.emulate_media(media="print")
    assert quote.locator(".topbar").is_hidden()
    assert quote.locator("[data-print]").is_hidden()
    quote.screenshot(path=screenshots / "02-quote-print.png", full_page=True)
    quote.close()

    # Checkout: wrong details are refused and what was typed stays.
    page.click("[data-continue]")
    page.wait_for_url(re.compile(r"/pay/checkout/\?plan=premium$"))
    assert page.is_checked("input[name=plan][value=premium]")
    assert page.input_value("input[name=billing_email]") == owner.email
    page.fill("input[name=address]", "12 rue de la Paix")
    page.fill("input[name=postal_code]", "75002")
    page.fill("input[name=city]", "Paris")
    page.fill("input[name=country]", "France")
    page.fill("input[name=vat_id]", "40303265045")
    page.click("text=Submit order")
    page.locator(".error", has_text="This field is required.").wait_for()
    assert page.locator(".error", has_text="two-letter country code").count() == 1
    assert page.input_value("input[name=address]") == "12 rue de la Paix"
    assert page.is_checked("input[name=plan][value=premium]")
    assert not Order.objects.exists()
    check_widths(page, screenshots, "03-checkout-refused")

    page.fill("input[name=company]", "Acme SAS")
    page.fill("input[name=vat_id]", "FR 40 303 265 045")
    page.fill("input[name=billing_email]", "billing@acme.example")
    page.click("text=Submit order")
    page.wait_for_url(re.compile(r"/pay/orders/\d+/$"))
    order = Order.objects.get(migration=migration)
    assert order.status == Order.Status.PENDING
    assert order.plan == "premium" and order.vat_id == "FR40303265045"
    assert page.locator(".order-badge").inner_text() == "Awaiting payment"
    assert "The invoice goes to billing@acme.example" in page.inner_text("main")
    assert page.locator("[data-start-full]").is_disabled()
    check_widths(page, screenshots, "04-order-pending")

    # Unpaid, the service refuses the full run whatever the page shows.
    with pytest.raises(ValidationError) as refused:
        services.run_start(migration=migration, kind=Run.Kind.FULL)
    assert refused.value.code == "payment_required"

    # Staff record the payment in the admin.
    staff_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff_page.goto(f"{base_url}/admin/login/")
    staff_page.fill("input[name=username]", "ops@migrate.example")
    staff_page.fill("input[name=password]", PASSWORD)
    staff_page.click("input[type=submit]")
    staff_page.goto(f"{base_url}/admin/billing/order/")
    staff_page.check(f"input[name=_selected_action][value='{order.pk}']")
    staff_page.select_option("select[name=action]", "mark_paid")
    staff_page.click("button[name=index]")
    staff_page.locator(".messagelist", has_text="1 order marked paid").wait_for()
    staff_page.screenshot(path=screenshots / "05-admin-marked-paid.png", full_page=True)
    staff_page.context.close()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    # The owner sees it paid, with a receipt, and starts the full migration.
    page.reload()
    assert page.locator(".order-badge").inner_text() == "Paid"
    page.click("text=Receipt")
    page.wait_for_url(re.compile(r"/receipt/$"))
    assert page.locator("h1").inner_text() == "Receipt"
    receipt = page.inner_text("main")
    assert order.number in receipt and "FR40303265045" in receipt and "188.00" in receipt
    check_widths(page, screenshots, "06-receipt")
    page.go_back()
    assert page.locator("[data-start-full]").is_enabled()
    check_widths(page, screenshots, "07-order-paid")
    page.click("[data-start-full]")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/run/$"))
    run = migration.runs.get(kind=Run.Kind.FULL)
    assert run.status in (Run.Status.QUEUED, Run.Status.RUNNING, Run.Status.COMPLETED)
    assert run.created_by == owner
    page.screenshot(path=screenshots / "08-full-run-started.png", full_page=True)

    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    page.goto(f"{base_url}/migrations/{migration.pk}/pay/")
    assert "The full migration has run." in page.inner_text("main")
    check_widths(page, screenshots, "09-pay-after-run")

    # In French too.
    page.select_option("#language-select", "fr")
    page.wait_for_load_state()
    page.locator(".steps .step.current", has_text="Paiement").wait_for()
    check_widths(page, screenshots, "10-pay-french")
    page.close()
