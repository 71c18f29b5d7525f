"""In a real browser, against the site as `make run` starts it with the seeded sandbox:
sign in, create a migration, fail to connect with a wrong token and an unreachable
address, connect the Zendesk sandbox to the Freshdesk sandbox, select the data; then
switch the target to eDesk and choose its channel. No horizontal scroll at 1280 and
390 px on any of these pages."""

from __future__ import annotations

import re
import sys

import pytest

from migrator.processes import free_port
from tests.support import REPO_ROOT, embedded_environment, manage, running_process
from tests.wizard.browser import check_widths, choose_platform, log_in, use_sandbox

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = embedded_environment(data_dir=tmp_path)
    for command in (
        ["migrate", "--noinput"],
        ["ensure_demo_admin"],
        ["seed_sandbox", "--site-url", base_url],
    ):
        done = manage(*command, env=env, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    password = (tmp_path / "demo-admin-password.txt").read_text().strip()
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--port", str(port)]
    with running_process(command, env=env, ready_pattern=r"The site is up at") as output:
        yield base_url, password, output


def pair_as_seen(page) -> str:
    """The dashboard's pair of help desks as it reads on screen: without the words kept
    for screen readers only ("to" in place of the arrow)."""
    return page.locator(".migration-pair").evaluate(
        """cell => {
            const copy = cell.cloneNode(true);
            copy.querySelectorAll(".visually-hidden").forEach(hidden => hidden.remove());
            return copy.textContent.replace(/\\s+/g, " ").trim();
        }"""
    )


def test_connect_choose_scope_and_select_data(site, browser, screenshots):
    base_url, password, _output = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)

    log_in(page, base_url, email="admin@example.com", password=password)

    page.click("text=New migration >> nth=0")
    page.fill("input[name=name]", "Zendesk to Freshdesk")
    page.click("main form button[type=submit]")
    # A new migration opens its first step; the dashboard lists it.
    page.wait_for_url(re.compile(r"/migrations/\d+/connect/$"))
    page.goto(f"{base_url}/")
    assert page.locator(".migration-pair").inner_text() == "Not connected yet"
    page.click(".migration-name a")
    page.wait_for_url(re.compile(r"/migrations/\d+/connect/$"))
    connect_url = page.url.split("?")[0]
    check_widths(page, screenshots, "01-connect-empty")

    # --- source: the platform's form, hints and checklist
    choose_platform(page, "source", "zendesk")
    source = page.locator("#connect-source")
    assert source.locator("label", has_text="Zendesk address").count() == 1
    assert "Do not rotate or delete the API keys" in source.locator(".checklist").inner_text()
    check_widths(page, screenshots, "02-connect-zendesk-form")

    # A wrong token: the platform's own words, the typed address kept, the token not.
    use_sandbox(page, "source")
    sandbox_url = source.locator("input[name='source-url']").input_value()
    assert sandbox_url.endswith("/sandbox/zendesk/acme")
    source.locator("input[name='source-api_token']").fill("certainly-not-the-token")
    source.locator("button", has_text="Connect to Zendesk").click()
    error = page.locator("#connect-source .connect-error")
    error.wait_for()
    assert "Zendesk refused the e-mail and API token" in error.inner_text()
    assert source.locator("input[name='source-url']").input_value() == sandbox_url
    assert source.locator("input[name='source-api_token']").input_value() == ""
    check_widths(page, screenshots, "03-connect-wrong-token")

    # An address that does not exist: said plainly.
    source.locator("input[name='source-url']").fill("https://acme-helpdesk.invalid")
    source.locator("input[name='source-api_token']").fill("some-token")
    source.locator("button", has_text="Connect to Zendesk").click()
    page.locator("#connect-source .connect-error", has_text="Could not reach").wait_for()
    assert "(acme-helpdesk.invalid): its address does not resolve" in error.inner_text()
    check_widths(page, screenshots, "04-connect-unreachable")

    # The sandbox account: connected, the account shown, never the token.
    use_sandbox(page, "source")
    source.locator("button", has_text="Connect to Zendesk").click()
    page.locator("#connect-source [data-connected=zendesk]").wait_for()
    assert "Acme on Zendesk" in source.inner_text()
    assert "/sandbox/zendesk/acme" in source.inner_text()
    assert page.locator("a[rel=next]").count() == 0

    # --- target: Freshdesk's sandbox
    choose_platform(page, "target", "freshdesk")
    target = page.locator("#connect-target")
    assert "Turn off e-mail notifications" in target.locator(".checklist").inner_text()
    use_sandbox(page, "target")
    target.locator("button", has_text="Connect to Freshdesk").click()
    page.locator("#connect-target [data-connected=freshdesk]").wait_for()
    assert page.locator("#connect-source [data-connected=zendesk]").count() == 1
    html = page.content()
    assert "fd-sandbox-" not in html and "2b0bfe" not in html
    check_widths(page, screenshots, "05-connect-both")

    # --- select data: Freshdesk needs no scope, so this is step 2.
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"/select/$"))
    assert page.locator(".steps [data-step=scope]").count() == 0
    assert page.locator("[data-entity=tickets] .entity-count").get_attribute("data-count") == "500"
    assert "Attachments larger than 20 MB." in page.locator(".not-migrated").inner_text()
    check_widths(page, screenshots, "06-select")

    # Unchecking organizations: the summary (htmx) says what now points nowhere.
    page.uncheck("input[name=entities][value=organizations]")
    summary = page.locator("#selection-summary")
    summary.locator("text=Contacts refer to Organizations, which you did not select.").wait_for()
    assert "Organizations →" not in summary.inner_text()
    assert page.locator(".unsaved-banner").is_visible()

    # Leaving with unsaved changes asks first.
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.click("a[rel=prev]")
    assert dialogs and "not saved" in dialogs[0]
    assert page.url.endswith("/select/")

    # Refresh counts (htmx) keeps the boxes as they are.
    page.click("button.refresh-counts")
    page.wait_for_load_state("networkidle")
    assert not page.is_checked("input[name=entities][value=organizations]")
    assert page.is_checked("input[name=entities][value=tickets]")

    # A date range the wrong way round is refused with a clear message, nothing lost.
    page.fill("#id_created_from", "2025-06-30")
    page.fill("#id_created_to", "2025-01-01")
    page.fill("#id_tags", "vip, refund")
    page.click("button[name=action][value=save]")
    page.locator("text=The end of the date range comes before its start").wait_for()
    assert page.input_value("#id_tags") == "vip, refund"
    assert not page.is_checked("input[name=entities][value=organizations]")
    check_widths(page, screenshots, "07-select-bad-range")

    page.fill("#id_created_from", "2020-01-01")
    page.fill("#id_created_to", "2030-12-31")
    page.click("button[name=action][value=save]")
    # On to the next step (matching agents).
    page.wait_for_url(lambda url: not url.endswith("/select/"))

    select_url = connect_url.replace("/connect/", "/select/")
    page.goto(select_url)
    assert not page.is_checked("input[name=entities][value=organizations]")
    assert page.input_value("#id_created_from") == "2020-01-01"
    assert page.input_value("#id_tags") == "vip, refund"
    assert page.locator("a[rel=next]").count() == 1

    # --- the dashboard row: the pair, and a link back into the wizard
    page.goto(f"{base_url}/")
    assert pair_as_seen(page) == "Zendesk → Freshdesk"

    # --- a target with channels: eDesk asks for the scope step
    page.goto(connect_url)
    page.locator("#connect-target a", has_text="Change").click()
    page.wait_for_url(re.compile(r"change=target"))
    choose_platform(page, "target", "edesk")
    use_sandbox(page, "target")
    page.locator("#connect-target button", has_text="Connect to eDesk").click()
    page.locator("#connect-target [data-connected=edesk]").wait_for()
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"/scope/$"))
    assert page.locator(".steps [data-step=scope]").count() == 1
    assert page.locator("input[name=scope]").count() == 2
    check_widths(page, screenshots, "08-scope")
    page.locator("label", has_text="on Amazon").click()
    page.click("form.scope-form button[type=submit]")
    page.wait_for_url(re.compile(r"/select/$"))
    assert "Organizations cannot be imported." in page.locator(".not-migrated").inner_text()
    assert page.locator("input[name=entities][value=organizations]").count() == 0
    check_widths(page, screenshots, "09-select-edesk")

    page.goto(f"{base_url}/")
    assert pair_as_seen(page) == "Zendesk → eDesk"
    check_widths(page, screenshots, "10-dashboard")
    page.close()
