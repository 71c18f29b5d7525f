"""In a real browser, against the site as `make run` starts it (embedded SQLite and broker):
sign up, confirm by the e-mailed link, log in, create and rename a migration, go French."""

from __future__ import annotations

import re
import sys

import pytest

from migrator.processes import free_port
from tests.support import REPO_ROOT, embedded_environment, manage, running_process

pytestmark = pytest.mark.browser

EMAIL = "dana@acme.example"
PASSWORD = "Tr0ub4dor&3-horse"


@pytest.fixture
def site(tmp_path):
    env = embedded_environment(data_dir=tmp_path)
    migrated = manage("migrate", "--noinput", env=env, timeout=180)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--port", str(port)]
    with running_process(command, env=env, ready_pattern=r"The site is up at") as output:
        yield f"http://127.0.0.1:{port}", output


def test_sign_up_confirm_log_in_create_rename_and_switch_to_french(site, browser, screenshots):
    base_url, output = site
    page = browser.new_page(viewport={"width": 1280, "height": 800})

    page.goto(f"{base_url}/accounts/signup/")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.screenshot(path=screenshots / "01-sign-up.png")
    page.click("form[action$='/accounts/signup/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    page.screenshot(path=screenshots / "02-check-your-mail.png")

    # The console mail backend prints the confirmation e-mail in the site's output.
    link = output.wait_for(r"(http://\S+/accounts/confirm-email/\S+/)", timeout=30).group(1)
    page.goto(link)
    page.screenshot(path=screenshots / "03-confirm.png")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")

    # Log out, then log in with the confirmed address.
    page.click("header form button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/logout/" in page.url:  # the confirmation step of allauth's log-out
        page.click("main form button[type=submit]")
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    assert page.locator("h1").inner_text() == "Your migrations"
    page.screenshot(path=screenshots / "04-empty-dashboard.png")

    page.click("text=New migration >> nth=0")
    page.fill("input[name=name]", "Zendesk to Freshdesk")
    page.click("main form button[type=submit]")
    # A new migration opens its first step; the dashboard lists it.
    page.wait_for_url(re.compile(r"/migrations/\d+/connect/$"))
    page.goto(f"{base_url}/")
    row = page.locator("tr[data-migration-id]")
    assert row.count() == 1
    assert row.locator(".migration-name").inner_text() == "Zendesk to Freshdesk"
    page.screenshot(path=screenshots / "05-created.png")

    # Rename in place (htmx swaps the row for a form, then back).
    row.locator("text=Rename").click()
    name_input = page.locator("tr[data-migration-id] input[name=name]")
    name_input.fill("Support desk move, phase 1")
    page.screenshot(path=screenshots / "06-renaming.png")
    page.locator("tr[data-migration-id] button[type=submit]").click()
    page.locator(".migration-name", has_text="Support desk move, phase 1").wait_for()
    page.reload()
    assert page.locator(".migration-name").inner_text() == "Support desk move, phase 1"

    page.select_option("#language-select", "fr")
    page.wait_for_load_state()
    page.locator("h1", has_text="Vos migrations").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("text=Nouvelle migration").count() >= 1
    assert page.locator(".badge").inner_text() == "En préparation"
    page.screenshot(path=screenshots / "07-french.png")

    # No horizontal scroll, wide or narrow.
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 800})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"horizontal scroll at {width}px: {scroll_width}"
    page.screenshot(path=screenshots / "08-narrow.png", full_page=True)
    page.close()
