from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from connectors.models import EmulatedAccount
from connectors.sandbox import SANDBOX_ACCOUNT_SLUG, SeedPlan, sandbox_platform


@pytest.fixture(autouse=True)
def every_step_has_an_address(settings):
    """Steps built on other branches get a plain page until they are merged."""
    from tests.wizard.pending_urls import MISSING_STEPS

    if MISSING_STEPS:
        settings.ROOT_URLCONF = "tests.wizard.pending_urls"


# --- the sandbox help desks, served over loopback HTTP by the live test server -------------

#: Small sandbox accounts: enough to count, list and choose from, quick to seed.
SOURCE_PLAN = SeedPlan(
    agents=4,
    inactive_agents=1,
    contacts=6,
    organizations=3,
    groups=2,
    tickets=7,
    comments_per_ticket=(1, 2),
    attachment_ratio=0.0,
    inline_image_ratio=0.0,
    article_categories=1,
    article_sections=2,
    articles=3,
    seed=5,
)
TARGET_PLAN = SeedPlan(agents=3, agents_offset=1, groups=1, seed=6)


@dataclass
class SandboxAccount:
    key: str
    account: EmulatedAccount
    site_url: str

    def credentials(self, **overrides: Any) -> dict[str, Any]:
        platform = sandbox_platform(self.key)
        values = platform.credentials(account=self.account, site_url=self.site_url)
        values.update(overrides)
        return values

    def form_data(self, role: str, **overrides: Any) -> dict[str, Any]:
        """The connect form's fields as the browser sends them (prefixed by the side)."""
        data = {f"{role}-{name}": value for name, value in self.credentials(**overrides).items()}
        return {"platform": self.key, **data}


@pytest.fixture
def sandbox_site(live_server, settings) -> str:
    """The live test server, which serves the sandbox help desks under /sandbox/."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.CONNECTOR_ALLOW_PRIVATE_NETWORKS = True
    settings.SANDBOX_ENABLED = True
    return live_server.url


@pytest.fixture
def sandbox(sandbox_site):
    """Seed a sandbox account of a platform (the seeded "acme" one, as seed_sandbox does)."""

    def seed(key: str, plan: SeedPlan) -> SandboxAccount:
        platform = sandbox_platform(key)
        account = platform.account_create(
            slug=SANDBOX_ACCOUNT_SLUG, name=f"Acme on {key}", rate_limit_per_minute=0
        )
        platform.seed(account=account, plan=plan)
        return SandboxAccount(key=key, account=account, site_url=sandbox_site)

    return seed
