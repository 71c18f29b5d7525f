"""Seed the sandbox help desks and print what to paste into the wizard."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connectors.registry import registry
from connectors.sandbox import (
    SANDBOX_ACCOUNT_SLUG,
    SANDBOX_SOURCE_PLAN,
    SANDBOX_TARGET_PLAN,
    sandbox_platform,
    sandbox_platforms,
)

SANDBOX_SOURCE = "zendesk"
SANDBOX_TARGETS = ("freshdesk", "teamwork_desk", "edesk", "halo")
SANDBOX_SLUG = SANDBOX_ACCOUNT_SLUG


class Command(BaseCommand):
    help = (
        "Create the sandbox accounts (a full 'Acme on Zendesk' source and empty targets "
        "whose agents partly match) and print their credentials."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--site-url",
            default=None,
            help=(
                "The address the site is served at (the sandbox lives under it); "
                "SITE_URL by default."
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Leave accounts that already exist as they are (make run uses this).",
        )

    def handle(self, *args, site_url: str | None, if_empty: bool, **options) -> None:
        site_url = site_url or settings.SITE_URL
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The sandbox is off: set SANDBOX_ENABLED=true (or DEBUG=true).")
        available = sandbox_platforms()
        wanted = [SANDBOX_SOURCE, *SANDBOX_TARGETS]
        self.stdout.write("Sandbox help desks (paste these into the wizard):")
        for key in wanted:
            if key not in available:
                self.stdout.write(f"  {key}: no sandbox yet")
                continue
            platform = sandbox_platform(key)
            plan = SANDBOX_SOURCE_PLAN if key == SANDBOX_SOURCE else SANDBOX_TARGET_PLAN
            role = "source" if key == SANDBOX_SOURCE else "target"
            name = f"Acme on {registry.get(key).display_name}"
            account = platform.existing_account(slug=SANDBOX_SLUG) if if_empty else None
            if account is None:
                started = time.monotonic()
                account = platform.account_create(slug=SANDBOX_SLUG, name=name)
                platform.seed(account=account, plan=plan)
                seeded = f"seeded in {time.monotonic() - started:.1f}s"
            else:
                seeded = "already seeded"
            credentials = platform.credentials(account=account, site_url=site_url)
            values = ", ".join(f"{field}: {value}" for field, value in credentials.items())
            self.stdout.write(f"  {name} ({role}, {seeded}) — {values}")
