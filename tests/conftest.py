from __future__ import annotations

import itertools
import re

import pytest

from migrator.models import User

_emails = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def isolated_cache(settings, request):
    """A private in-memory cache per test, so rate limits never leak between tests or runs."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture
def make_user(db):
    def make(*, email: str | None = None, **fields) -> User:
        return User.objects.create_user(
            email or f"person{next(_emails)}@example.com", PASSWORD, **fields
        )

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user(email="owner@example.com")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


#: What Chromium prints when a page breaks its Content-Security-Policy or its
#: Permissions-Policy header is wrong, and what the init script below prints.
POLICY_CONSOLE_MESSAGE = re.compile(
    r"Content Security Policy|Content-Security-Policy|Permissions-Policy|Permissions policy",
    re.IGNORECASE,
)
#: Runs before the page's own scripts (and outside its policy): reports every violation
#: on the console, whatever Chromium itself prints.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile || event.documentURI}:${event.lineNumber}`;
  console.error(`Content-Security-Policy violation: ${event.violatedDirective} blocked ` +
    `${event.blockedURI || "inline"} in ${where}`);
});
"""


class PolicyWatch:
    """Console messages about the pages' security policies, per test."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page) -> None:
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._seen)

    def _seen(self, message) -> None:
        if POLICY_CONSOLE_MESSAGE.search(message.text):
            self.messages.append(f"{message.type}: {message.text}")


class WatchedBrowser:
    """The browser, with every page it opens watched for policy violations."""

    def __init__(self, browser, watch: PolicyWatch) -> None:
        self._browser = browser
        self._watch = watch

    def __getattr__(self, name: str):
        return getattr(self._browser, name)

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        self._watch.attach(page)
        return page

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("page", lambda page: page.on("console", self._watch._seen))
        return context


@pytest.fixture(scope="session")
def policy_watch() -> PolicyWatch:
    return PolicyWatch()


@pytest.fixture(scope="session")
def browser(policy_watch):
    """The machine's Chromium driven by Playwright (never a downloaded browser). A test
    that uses it fails when a page breaks the Content-Security-Policy."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield WatchedBrowser(chromium, policy_watch)
        chromium.close()


@pytest.fixture(autouse=True)
def no_security_policy_violations(request):
    if "browser" not in request.fixturenames:
        yield
        return
    watch: PolicyWatch = request.getfixturevalue("policy_watch")
    watch.messages.clear()
    yield
    assert not watch.messages, "the pages broke their security policy:\n" + "\n".join(
        watch.messages
    )


@pytest.fixture
def screenshots(request):
    """A folder under test-output/ for the screenshots of one test (not committed)."""
    from tests.support import REPO_ROOT

    folder = REPO_ROOT / "test-output" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free port: the test may stop it."""
    from tests.support import redis_server

    folder = tmp_path / "redis"
    folder.mkdir()
    with redis_server(directory=folder) as server:
        yield server
