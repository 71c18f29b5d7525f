"""The sandbox: seeded accounts on the emulated help desks.

A new user can try a whole migration with no outside account (``manage.py seed_sandbox``,
run by ``make run``), and the conformance suite gets data to read. Each platform that
has an emulator provides a :class:`SandboxPlatform` in ``connectors/<platform>/sandbox.py``
and lists it in :data:`SANDBOX_PLATFORM_MODULES`.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.models import EmulatedAccount

#: The slug of the seeded sandbox accounts (``manage.py seed_sandbox``): /sandbox/<key>/acme/.
SANDBOX_ACCOUNT_SLUG = "acme"

#: Modules defining a sandbox platform, imported on the first lookup.
SANDBOX_PLATFORM_MODULES: tuple[str, ...] = (
    "connectors.zendesk.sandbox",
    "connectors.freshdesk.sandbox",
    "connectors.teamwork_desk.sandbox",
    "connectors.edesk.sandbox",
    "connectors.halo.sandbox",
)


# --------------------------------------------------------------------------- sample words
# What the seeded accounts' records are made of, shared by the platforms' seeders.

COMPANY_WORDS = (
    ("Northwind", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent", "Tyrell"),
    ("Traders", "Industries", "Systems", "Logistics", "Foods", "Labs", "Partners", "Retail"),
)
FIRST_NAMES = (
    "Ada", "Ben", "Carla", "David", "Elena", "Frank", "Gina", "Henri", "Ivy", "Jack", "Kira",
    "Liam", "Maya", "Noah", "Olga", "Paul", "Quinn", "Rita", "Sven", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Okafor", "Mendes", "Kowalski", "Rossi", "Schmidt", "Tanaka", "Dubois", "Novak",
    "Larsen", "Haddad", "Moreau",
)  # fmt: skip
TAGS = ("vip", "refund", "printer", "urgent", "follow-up", "billing", "bug", "feedback")
SUBJECTS = (
    "Printer on fire",
    "Cannot log in",
    "Refund for order",
    "Invoice is wrong",
    "Package never arrived",
    "Feature request: dark mode",
    "App crashes on start",
    "How do I change my plan?",
)
SENTENCES = (
    "It started this morning after the update.",
    "I have already tried turning it off and on again.",
    "Could you look into it as soon as possible?",
    "The order number is in the subject.",
    "Thanks for your patience while we look into this.",
    "We have passed this on to the team in charge.",
    "Could you send us a screenshot of the error?",
    "This should be fixed now; let us know if it happens again.",
)
ARTICLE_TITLES = (
    "How to reset your password",
    "Change your billing address",
    "Connect your printer",
    "What to do when the app crashes",
    "Export your data",
    "Set up two-factor authentication",
)
ATTACHMENT_KINDS = (
    ("screenshot.png", "image/png"),
    ("invoice.pdf", "application/pdf"),
    ("logs.txt", "text/plain"),
    ("photo.jpg", "image/jpeg"),
)
# A one-pixel PNG: inline images of the seeded bodies travel inside the HTML.
INLINE_IMAGE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4"
    "DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def acme_agents(count: int) -> list[Person]:
    """The sandbox company's agents: the same people on every platform, so that agents
    match by e-mail between a seeded source and a seeded target."""
    first_names = [
        "Alice", "Bruno", "Chloé", "Dmitri", "Esther", "Farid", "Greta", "Hugo", "Inès", "Jonas",
        "Kenji", "Léa", "Marco", "Nadia", "Olaf", "Priya", "Quentin", "Rosa", "Sami", "Tess",
        "Ugo", "Vera", "Wes", "Xin", "Yara", "Zoé",
    ]  # fmt: skip
    people = []
    for index in range(count):
        first = first_names[index % len(first_names)]
        suffix = "" if index < len(first_names) else str(index // len(first_names) + 1)
        people.append(
            Person(name=f"{first} Agent{suffix}", email=f"{first.lower()}{suffix}@acme.example")
        )
    return people


@dataclass(frozen=True)
class SeedPlan:
    """How much a seeded account holds. Seeding is deterministic for a given plan and seed."""

    agents: int = 0
    #: Of the agents, how many are deactivated and how many deleted on the platform.
    inactive_agents: int = 0
    deleted_agents: int = 0
    #: Agents taken from :func:`acme_agents` starting at this index (a target's agents
    #: can overlap a source's partly).
    agents_offset: int = 0
    contacts: int = 0
    organizations: int = 0
    groups: int = 0
    tickets: int = 0
    comments_per_ticket: tuple[int, int] = (1, 30)
    #: Ratio of tickets with a (small) attachment, and with an inline image.
    attachment_ratio: float = 0.2
    inline_image_ratio: float = 0.05
    #: When set, every ticket carries between these many small files (the ratio is then
    #: not used): the shape of a help desk whose tickets all have files.
    files_per_ticket: tuple[int, int] | None = None
    #: One attachment of this many bytes on one ticket (e.g. over 10 MB), or none.
    large_attachment_bytes: int | None = None
    #: On how many tickets that large attachment is (Zendesk and Freshdesk sandboxes).
    large_attachment_tickets: int = 1
    #: Contacts whose names have accents keep them in their e-mail address (an
    #: internationalised local part, as some real customers have); Zendesk sandbox.
    non_ascii_emails: bool = False
    custom_fields: bool = True
    article_categories: int = 0
    article_sections: int = 0
    articles: int = 0
    seed: int = 2026


#: What ``seed_sandbox`` creates: a full source and an empty target whose agents match
#: the source's partly by e-mail.
SANDBOX_SOURCE_PLAN = SeedPlan(
    agents=20,
    inactive_agents=2,
    deleted_agents=2,
    contacts=200,
    organizations=25,
    groups=5,
    tickets=500,
    comments_per_ticket=(1, 30),
    large_attachment_bytes=11 * 1024 * 1024,
    article_categories=3,
    article_sections=6,
    articles=60,
)
SANDBOX_TARGET_PLAN = SeedPlan(agents=15, agents_offset=8, groups=2)


class SandboxPlatform(ABC):
    """An emulated platform's sandbox: its accounts, their credentials and their data."""

    #: The connector key (also the emulator's URL prefix: /sandbox/<key>/<slug>/).
    key: ClassVar[str]

    @abstractmethod
    def account_create(
        self, *, slug: str, name: str, rate_limit_per_minute: int | None = None
    ) -> EmulatedAccount:
        """Create (or reset) an empty account with its own sandbox credentials."""

    @abstractmethod
    def credentials(self, *, account: EmulatedAccount, site_url: str) -> dict[str, Any]:
        """The values a user types into the connect form to reach this account."""

    @abstractmethod
    def seed(self, *, account: EmulatedAccount, plan: SeedPlan) -> None:
        """Fill the account with platform objects as the plan says, deterministically."""

    def existing_account(self, *, slug: str) -> EmulatedAccount | None:
        return EmulatedAccount.objects.filter(platform=self.key, slug=slug).first()

    def base_url(self, *, account: EmulatedAccount, site_url: str) -> str:
        return f"{site_url.rstrip('/')}/sandbox/{self.key}/{account.slug}"


_platforms: dict[str, SandboxPlatform] = {}


def register_sandbox_platform(platform_class: type[SandboxPlatform]) -> type[SandboxPlatform]:
    _platforms[platform_class.key] = platform_class()
    return platform_class


def sandbox_platforms() -> dict[str, SandboxPlatform]:
    for module in SANDBOX_PLATFORM_MODULES:
        importlib.import_module(module)
    return dict(_platforms)


def sandbox_platform(key: str) -> SandboxPlatform:
    platforms = sandbox_platforms()
    if key not in platforms:
        raise LookupError(f"No sandbox for {key!r} (sandboxes: {', '.join(sorted(platforms))}).")
    return platforms[key]


def sandbox_account_credentials(*, key: str, site_url: str) -> dict[str, Any] | None:
    """What to type into the connect form to reach the seeded sandbox account of ``key``
    on the site served at ``site_url``; ``None`` when the platform has no sandbox or its
    account was not seeded (``manage.py seed_sandbox``)."""
    platform = sandbox_platforms().get(key)
    if platform is None:
        return None
    account = platform.existing_account(slug=SANDBOX_ACCOUNT_SLUG)
    if account is None:
        return None
    return platform.credentials(account=account, site_url=site_url)
