"""In a real browser: the step bar of a nine-step pair (a target with a scope step, billing
on) holds on one line at 1280 px and stays usable at 390 px. Screenshots of both widths
go to test-output/ (and to STEP_BAR_SHOTS when set)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress

from billing import services as billing_services
from migrator.models import Migration
from tests.conftest import PASSWORD
from tests.wizard.browser import check_widths, log_in, running_site
from tests.wizard.configure_support import sandbox_migration
from wizard import steps

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the site process shares the test database: DATABASE_URL must name PostgreSQL",
    ),
    pytest.mark.usefixtures("orm_beside_playwright"),
]

#: The bar's items and their top edges: one line when every item starts at the same top.
BAR_GEOMETRY = """() => {
  const items = [...document.querySelectorAll('nav.steps li.step')];
  const bar = document.querySelector('nav.steps ol');
  const tops = items.map((item) => Math.round(item.getBoundingClientRect().top));
  const heights = items.map((item) => Math.round(item.getBoundingClientRect().height));
  return {
    count: items.length,
    tops: [...new Set(tops)],
    itemHeight: Math.max(...heights),
    barHeight: Math.round(bar.getBoundingClientRect().height),
    barRight: Math.round(bar.getBoundingClientRect().right),
    lastRight: Math.round(items[items.length - 1].getBoundingClientRect().right),
    currentTitleShown: getComputedStyle(
      document.querySelector('nav.steps li.current .step-title')).display !== 'none',
  };
}"""


@pytest.fixture
def billing_site(tmp_path, monkeypatch):
    """The site with billing on: the payment step is the ninth."""
    monkeypatch.setenv("BILLING_ENABLED", "true")
    with running_site(data_dir=tmp_path, worker=False) as site:
        yield site


def test_the_step_bar_of_nine_steps_holds_on_one_line(
    user, billing_site, browser, screenshots, settings, language
):
    site = billing_site.url
    settings.BILLING_ENABLED = True
    billing_services.pricing_reset_to_defaults()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    migration = sandbox_migration(owner=user, site_url=site, target="edesk")
    assert len(steps.steps_for(Migration.objects.get(pk=migration.pk))) == 9
    page = browser.new_page(
        viewport={"width": 1280, "height": 900}, extra_http_headers={"Accept-Language": language}
    )
    log_in(page, site, email=user.email, password=PASSWORD)
    for slug in ("select", "options"):
        page.goto(f"{site}/migrations/{migration.pk}/{slug}/")
        page.set_viewport_size({"width": 1280, "height": 900})
        bar = page.evaluate(BAR_GEOMETRY)
        assert bar["count"] == 9
        assert len(bar["tops"]) == 1, f"{language} {slug}: the bar wraps at 1280 px: {bar}"
        assert bar["barHeight"] <= bar["itemHeight"] + 2, bar
        assert bar["lastRight"] <= bar["barRight"], bar

        page.set_viewport_size({"width": 390, "height": 900})
        narrow = page.evaluate(BAR_GEOMETRY)
        assert narrow["currentTitleShown"]
        assert len(narrow["tops"]) <= 2, f"{language} {slug}: {narrow}"
        check_widths(page, screenshots, f"step-bar-{language}-{slug}")
    page.close()
    copies = os.environ.get("STEP_BAR_SHOTS")
    if copies:
        Path(copies).mkdir(parents=True, exist_ok=True)
        for shot in screenshots.glob("*.png"):
            shutil.copy(shot, copies)


@pytest.fixture(params=["en", "fr"])
def language(request) -> str:
    return request.param
