from __future__ import annotations

import itertools

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


@pytest.fixture(scope="session")
def browser():
    """The machine's Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
