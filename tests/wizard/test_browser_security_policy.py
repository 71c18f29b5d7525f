"""In a real browser, against the site as `make run` starts it: the pages work under their
Content-Security-Policy (inline scripts, handlers and styles refused) and none of them
breaks it. The `browser` fixture fails any test whose pages report a violation; this one
walks the pages that script or swap the most, and proves the watch sees a violation."""

from __future__ import annotations

import re
import sys

import pytest

from migrator.processes import free_port
from tests.support import REPO_ROOT, embedded_environment, manage, running_process
from tests.wizard.browser import choose_platform, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path):
    env = embedded_environment(data_dir=tmp_path)
    for command in (["migrate", "--noinput"], ["ensure_demo_admin"]):
        done = manage(*command, env=env, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    password = (tmp_path / "demo-admin-password.txt").read_text().strip()
    port = free_port()
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--port", str(port)]
    with running_process(command, env=env, ready_pattern=r"The site is up at"):
        yield f"http://127.0.0.1:{port}", password


def test_pages_work_under_their_security_policy(site, browser, policy_watch, screenshots):
    base_url, password = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)

    response = page.goto(f"{base_url}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    log_in(page, base_url, email="admin@example.com", password=password)

    # A migration, renamed in place: htmx swaps the row for a form and back.
    page.click("text=New migration >> nth=0")
    page.fill("input[name=name]", "Policy walk")
    page.click("main form button[type=submit]")
    # A new migration opens its first step; the dashboard lists it.
    page.wait_for_url(re.compile(r"/migrations/\d+/connect/$"))
    page.goto(f"{base_url}/")
    row = page.locator("tr[data-migration-id]")
    row.locator("text=Rename").click()
    page.locator("tr[data-migration-id] input[name=name]").fill("Policy walk, renamed")
    page.locator("tr[data-migration-id] button[type=submit]").click()
    page.locator(".migration-name", has_text="Policy walk, renamed").wait_for()

    # The connect page: choosing a platform sends the picker's form (static/js/site.js).
    page.click(".migration-name a")
    page.wait_for_url(re.compile(r"/migrations/\d+/connect/$"))
    choose_platform(page, "source", "zendesk")
    assert page.locator("#connect-source label", has_text="Zendesk address").count() == 1
    page.screenshot(path=screenshots / "01-connect-form.png")
    # htmx's indicator style comes from site.css, not from a style element htmx inserts.
    assert page.evaluate("document.querySelectorAll('head style').length") == 0
    assert page.evaluate("typeof htmx") == "object"

    # The language picker sends its form the same way.
    page.select_option("#language-select", "fr")
    page.locator("html[lang=fr]").wait_for()
    page.goto(f"{base_url}/")
    page.locator("h1", has_text="Vos migrations").wait_for()
    page.select_option("#language-select", "en")
    page.locator("html[lang=en]").wait_for()

    # The account pages (allauth's templates), the admin, and a page that does not exist.
    for path in ("/accounts/email/", "/accounts/password/change/"):
        page.goto(f"{base_url}{path}")
        page.locator("main form").first.wait_for()
    page.goto(f"{base_url}/admin/")
    page.locator("#site-name").wait_for()
    page.screenshot(path=screenshots / "02-admin.png")
    page.goto(f"{base_url}/no-such-page/")
    page.wait_for_load_state()
    assert not policy_watch.messages, policy_watch.messages

    # The watch is not blind: an inline script is refused and reported.
    page.goto(f"{base_url}/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.head.appendChild(script);
        }"""
    )
    page.wait_for_timeout(500)
    assert page.evaluate("window.inlineRan === undefined")
    assert any("script-src" in message for message in policy_watch.messages)
    policy_watch.messages.clear()
    page.close()
