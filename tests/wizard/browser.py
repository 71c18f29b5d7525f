"""What the browser tests of the wizard share: a `run_site` process on the test database,
the ORM beside Playwright, signing in, the connect page's pickers, screenshots at both
widths with no horizontal scroll, the run pages' results, and the sandbox help desks'
own APIs (to check what a run wrote, and to change the source between runs).

tests/wizard/conftest.py makes the fixtures here available to every test of the folder.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from migrator.models import Migration, Run, User
from migrator.processes import free_port
from tests.support import (
    REPO_ROOT,
    OutputReader,
    embedded_environment,
    running_process,
)

WIDTHS = (1280, 390)
#: How long a run may take, from its start to its results on the page.
RUN_TIMEOUT_MS = 300_000

# --- the ORM beside Playwright ------------------------------------------------------------


def playwright_loop_marked_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture(scope="module")
def orm_beside_playwright():
    """Playwright's synchronous API marks its event loop as running in this thread
    between its calls, which Django takes for an async context: it refuses the ORM.
    Nothing runs concurrently here (Playwright switches greenlets only inside its own
    calls), so the ORM is safe. The session's browser outlives a module: while its
    loop stays marked running, the guard stays off for the tests after it too."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if playwright_loop_marked_running():
        return
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# --- the site ---------------------------------------------------------------------------------


@dataclass
class Site:
    url: str
    output: OutputReader


def site_database_url() -> str:
    """The test database, for the site's processes to share with the test."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{database['NAME']}", parts.query, ""))


@contextmanager
def running_site(*, data_dir: Path, worker: bool) -> Iterator[Site]:
    """`run_site` on the test database: the web server, and with ``worker`` a Celery
    worker and beat (on Redis when the environment names it, else the embedded broker).
    The site keeps Django's guard against the ORM in async code; its output is kept in
    ``data_dir``/site.log."""
    env = embedded_environment(
        data_dir=data_dir,
        DATABASE_URL=site_database_url(),
        MIGRATOR_RECONCILE_SECONDS="5",
        CONNECTOR_ALLOW_PRIVATE_NETWORKS="true",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if worker and os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    port = free_port()
    command = [sys.executable, str(REPO_ROOT / "manage.py"), "run_site", "--port", str(port)]
    if not worker:
        command.append("--no-worker")
    with running_process(command, env=env, ready_pattern=r"The site is up at") as output:
        try:
            yield Site(url=f"http://127.0.0.1:{port}", output=output)
        finally:
            (data_dir / "site.log").write_text(output.text())


@pytest.fixture
def site_with_worker(tmp_path) -> Iterator[Site]:
    with running_site(data_dir=tmp_path, worker=True) as site:
        yield site


@pytest.fixture
def site_pages_only(tmp_path) -> Iterator[Site]:
    with running_site(data_dir=tmp_path, worker=False) as site:
        yield site


# --- pages ------------------------------------------------------------------------------------


def verified_user(email: str, password: str) -> User:
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, password)
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def log_in(page, base_url: str, *, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def check_widths(page, screenshots: Path, name: str) -> None:
    """A full-page screenshot at each width, and no horizontal scroll at either."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        inner_width = page.evaluate("window.innerWidth")
        assert scroll_width <= inner_width, (
            f"{name}: horizontal scroll at {width}px ({scroll_width} > {inner_width})"
        )
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def choose_platform(page, side: str, platform: str) -> None:
    """Pick a platform on one side of the connect page (the page reloads with its form)."""
    page.select_option(f"#{side}-platform", platform)
    page.wait_for_url(re.compile(rf"{side}_platform={platform}"))


def use_sandbox(page, side: str) -> None:
    """The connect page's "Use the sandbox": the form filled with the seeded account."""
    page.locator(f"#connect-{side} .sandbox-helper a", has_text="Use the sandbox").click()
    page.wait_for_url(re.compile(rf"sandbox={side}"))


# --- the run pages ----------------------------------------------------------------------------


def summary_count(page, entity: str, column: str) -> int:
    """A number of the results table: ``column`` is available, migrated, skipped or failed."""
    cell = page.locator(
        f"#results .summary-table tr[data-entity='{entity}'] [data-count='{column}']"
    )
    return int(cell.inner_text().strip())


def wait_for_results(page, run: Run) -> None:
    """The page polls the run's progress and reloads itself once the run ended."""
    page.locator(f"#results[data-run-id='{run.pk}']").wait_for(timeout=RUN_TIMEOUT_MS)


def latest_run(migration: Migration, kind: str) -> Run:
    return migration.runs.filter(kind=kind).order_by("-created_at", "-id").first()


# --- the sandbox help desks' APIs -------------------------------------------------------------


def freshdesk_ticket(credentials: Mapping[str, Any], number: str) -> httpx.Response:
    """A ticket of a Freshdesk sandbox account, read through its API."""
    return httpx.get(
        f"{credentials['url']}/api/v2/tickets/{number}",
        auth=(credentials["api_key"], "X"),
        timeout=30,
    )


def zendesk_ticket_create(credentials: Mapping[str, Any], *, subject: str, **fields: Any) -> int:
    """A new ticket on a Zendesk sandbox account, through its API; its id."""
    response = httpx.post(
        f"{credentials['url']}/api/v2/tickets.json",
        auth=(f"{credentials['email']}/token", credentials["api_token"]),
        json={
            "ticket": {"subject": subject, "comment": {"body": "Arrived after the move."}, **fields}
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()["ticket"]["id"]
