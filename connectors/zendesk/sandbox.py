"""The Zendesk sandbox: emulated accounts filled with a help desk's worth of data.

Seeding writes the emulator's own storage directly (``bulk_create`` of the JSON the
emulator keeps, ids reserved in its sequences), so a 500-ticket account takes a few
seconds and everything the emulator serves afterwards is consistent with what its API
would have stored. Everything comes from ``random.Random(plan.seed)`` and dates count
back from the start of the current hour, so seeding twice within an hour gives the same
account.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.emulation import (
    account_get_or_create,
    account_reset,
    blob_generated,
    isoformat,
    numbers_reserve,
)
from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.sandbox import (
    Person,
    SandboxPlatform,
    SeedPlan,
    acme_agents,
    register_sandbox_platform,
)
from connectors.zendesk import KEY
from connectors.zendesk import emulator as zde

SEED_TIME_SPAN = timedelta(days=730)
SMALL_ATTACHMENT_BYTES = (2 * 1024, 48 * 1024)
BULK_BATCH = 500

FIRST_NAMES = [
    "Amelia", "Bastien", "Camila", "Dario", "Elif", "Florian", "Giulia", "Hannah", "Ioana",
    "Jakub", "Kaito", "Lucía", "Mateo", "Noor", "Oskar", "Paula", "Quinn", "Rafael", "Sofia",
    "Theo", "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zara", "Émilie", "Søren", "Zoë",
]  # fmt: skip
LAST_NAMES = [
    "Andersen", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horváth",
    "Ishikawa", "Jansen", "Kowalski", "Lambert", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quintero", "Rossi", "Schmidt", "Tanaka", "Umarov", "Vargas", "Weber", "Yilmaz", "Zhang",
]  # fmt: skip
COMPANY_WORDS = [
    "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Aperture", "Massive", "Dunder",
    "Pied Piper", "Monarch", "Nakatomi", "Virtucon",
]  # fmt: skip
COMPANY_KINDS = ["Corp", "Industries", "Labs", "Logistics", "Retail", "GmbH", "SARL", "Ltd"]
GROUP_NAMES = [
    "Billing", "Technical Support", "Returns", "Sales", "VIP", "Escalations", "Onboarding",
    "Shipping", "Partners", "Quality",
]  # fmt: skip
PRODUCTS = ["Laptop", "Phone", "Tablet", "Headphones", "Charger", "Smartwatch", "Router"]
TAGS = [
    "urgent_customer", "refund", "shipping_delay", "warranty", "bug", "feature_request",
    "vip", "billing", "login", "damaged", "follow_up", "api",
]  # fmt: skip
SUBJECTS = [
    "My {product} stopped working",
    "Refund for order #{order}",
    "Where is my parcel? (order {order})",
    "Cannot log in to my account",
    "Invoice {order} shows the wrong amount",
    "{product} arrived damaged",
    "Question about the warranty of my {product}",
    "Please change my delivery address",
    "Feature request: dark mode for the {product} app",
    "Facture erronée — commande {order}",
    "Rückfrage zur Lieferung {order}",
    "API returns 500 when listing orders",
]  # fmt: skip
CUSTOMER_LINES = [
    "Hello, I ordered a {product} three weeks ago (order {order}) and it still has not arrived.",
    "Since yesterday's update my {product} restarts every few minutes.",
    "I was charged twice for order {order}. Could you refund the second payment?",
    "The box was crushed and the screen of the {product} is cracked.",
    "Bonjour, je n'arrive plus à me connecter depuis ce matin. Merci de votre aide !",
    "Hallo, die Rechnung {order} enthält einen falschen Betrag. Können Sie das prüfen?",
    "Thanks a lot, that fixed it 🙂",
    "I tried resetting it as you suggested, but nothing changed.",
    "Could you send me a return label, please?",
    "Is there any update on this? It has been a week.",
]  # fmt: skip
AGENT_LINES = [
    "Thank you for reaching out. I'm sorry about the trouble with your {product}.",
    "I've issued a refund for order {order}; it should reach your account in 3 to 5 business days.",
    "Could you send us a photo of the damaged {product} and of the box?",
    "Please try a factory reset: hold the power button for 10 seconds, then release it.",
    "I've forwarded this to our logistics team and will get back to you tomorrow.",
    "Merci pour votre patience — votre nouveau mot de passe est actif.",
    "Your replacement {product} ships today; tracking number {order}-TRK.",
]  # fmt: skip
NOTE_LINES = [
    "Internal: customer already contacted us twice about order {order}.",
    "Checked with the warehouse: parcel is stuck at customs.",
    "Escalating to tier 2, looks like a firmware regression on the {product}.",
    "Refund approved by finance (ref. {order}).",
    "Note: VIP customer, handle with care.",
]  # fmt: skip
ARTICLE_TOPICS = [
    "Resetting your password", "Tracking a parcel", "Returning a product", "Warranty terms",
    "Updating the firmware", "Paying by bank transfer", "Changing your delivery address",
    "Connecting to Wi-Fi", "Using the mobile app", "Cancelling an order", "Getting an invoice",
    "Pairing headphones",
]  # fmt: skip
CATEGORY_NAMES = ["General", "Orders and shipping", "Products", "Billing", "Troubleshooting"]
SECTION_NAMES = ["FAQ", "Getting started", "Guides", "Policies", "Known issues", "How-to"]
ATTACHMENT_FILES = [
    ("invoice.pdf", "application/pdf"),
    ("screenshot.png", "image/png"),
    ("logs.txt", "text/plain"),
    ("photo.jpg", "image/jpeg"),
    ("receipt.csv", "text/csv"),
]
#: (status, weight): every category, including on-hold and closed.
STATUS_WEIGHTS = [
    ("new", 5),
    ("open", 20),
    ("pending", 10),
    ("hold", 5),
    ("solved", 35),
    ("closed", 25),
]
CUSTOM_FIELDS = [
    ("text", "Order number", []),
    ("tagger", "Product", PRODUCTS),
    ("checkbox", "Refund requested", []),
    ("date", "Purchase date", []),
    ("integer", "Quantity", []),
    ("decimal", "Amount paid", []),
    ("textarea", "Notes for the engineer", []),
    ("multiselect", "Affected platforms", ["Windows", "macOS", "Linux", "Android", "iOS"]),
]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _sandbox_secret(*, slug: str, purpose: str) -> str:
    """A sandbox secret: the same for an account on every seeding, unguessable without the
    installation's SECRET_KEY."""
    message = f"zendesk-sandbox:{slug}:{purpose}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


@register_sandbox_platform
class ZendeskSandbox(SandboxPlatform):
    key = KEY

    def account_create(
        self, *, slug: str, name: str, rate_limit_per_minute: int | None = None
    ) -> EmulatedAccount:
        account = account_get_or_create(
            platform=KEY,
            slug=slug,
            name=name,
            secrets={
                "email": f"admin@{slug}.example",
                "name": f"{name} Admin",
                "api_token": _sandbox_secret(slug=slug, purpose="api_token"),
                "oauth_token": _sandbox_secret(slug=slug, purpose="oauth_token"),
            },
            rate_limit_per_minute=rate_limit_per_minute,
            latency_ms=0,
            fault_server_error_ratio=0.0,
            fault_timeout_ratio=0.0,
            fault_malformed_ratio=0.0,
            # Exports answer at once: no minute of lag, no separate rate limit.
            options={"incremental_exports_per_minute": 0, "incremental_lag_seconds": 0},
        )
        account_reset(account=account)
        return account

    def credentials(self, *, account: EmulatedAccount, site_url: str) -> dict[str, Any]:
        return {
            "url": self.base_url(account=account, site_url=site_url),
            "email": account.secrets["email"],
            "api_token": account.secrets["api_token"],
        }

    def seed(self, *, account: EmulatedAccount, plan: SeedPlan) -> None:
        anchor = timezone.now().replace(minute=0, second=0, microsecond=0)
        with transaction.atomic():
            account_reset(account=account)
            zde.zendesk_account_defaults_ensure(account=account)
            _date_defaults(account, moment=anchor - SEED_TIME_SPAN - timedelta(days=7))
            _Seeder(account=account, plan=plan, anchor=anchor).run()


def _date_defaults(account: EmulatedAccount, *, moment: datetime) -> None:
    """The account's default objects, dated from before the seeded data."""
    rows = list(EmulatedRecord.objects.filter(account=account))
    for row in rows:
        row.created_at = row.updated_at = moment
        row.data = {**row.data, "created_at": isoformat(moment), "updated_at": isoformat(moment)}
    EmulatedRecord.objects.bulk_update(rows, ["created_at", "updated_at", "data"])


@dataclass
class _SeededUser:
    number: int
    name: str
    email: str
    role: str
    organization_id: int | None = None
    default_group_id: int | None = None
    active: bool = True
    deleted: bool = False


@dataclass
class _Seeder:
    account: EmulatedAccount
    plan: SeedPlan
    anchor: datetime
    rng: random.Random = field(init=False)
    rows: list[EmulatedRecord] = field(default_factory=list)
    blob_count: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)  # noqa: S311 - seeded sample data

    # ------------------------------------------------------------------ helpers

    def _reserve(self, kind: zde.Kind, count: int, *, collection: str | None = None) -> int:
        return numbers_reserve(
            account=self.account,
            collection=collection or kind.collection,
            count=count,
            start=kind.id_start,
        )

    def _add(
        self,
        kind: zde.Kind,
        data: dict[str, Any],
        *,
        number: int,
        created_at: datetime,
        updated_at: datetime | None = None,
        parent_number: int | None = None,
        collection: str | None = None,
    ) -> dict[str, Any]:
        row = zde.record_unsaved(
            self.account,
            kind,
            data,
            number=number,
            created_at=created_at,
            updated_at=updated_at,
            parent_number=parent_number,
            collection=collection,
        )
        self.rows.append(row)
        return row.data

    def _moment(
        self, *, after: datetime | None = None, within: timedelta | None = None
    ) -> datetime:
        """A second-precision moment in the seeded span (after ``after``, within ``within``)."""
        start = after or self.anchor - SEED_TIME_SPAN
        end = self.anchor if within is None else min(self.anchor, start + within)
        seconds = max(0, int((end - start).total_seconds()))
        return start + timedelta(seconds=self.rng.randint(0, seconds))

    def _blob_token(self) -> str:
        self.blob_count += 1
        text = f"{KEY}:{self.account.slug}:{self.plan.seed}:{self.blob_count}"
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def _fill(self, template: str) -> str:
        return template.format(
            product=self.rng.choice(PRODUCTS), order=self.rng.randint(100000, 999999)
        )

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        groups = self._groups()
        agents = self._agents(groups)
        organizations = self._organizations()
        contacts = self._contacts(organizations)
        fields = self._custom_fields() if self.plan.custom_fields else []
        self._tickets(agents=agents, contacts=contacts, groups=groups, fields=fields)
        self._help_center(agents)
        EmulatedRecord.objects.bulk_create(self.rows, batch_size=BULK_BATCH)

    def _groups(self) -> list[int]:
        if not self.plan.groups:
            return [
                row.number
                for row in EmulatedRecord.objects.filter(
                    account=self.account, collection=zde.GROUPS.collection
                )
            ]
        first = self._reserve(zde.GROUPS, self.plan.groups)
        numbers = []
        for index in range(self.plan.groups):
            name = GROUP_NAMES[index % len(GROUP_NAMES)]
            if index >= len(GROUP_NAMES):
                name = f"{name} {index // len(GROUP_NAMES) + 1}"
            created = self._moment(within=timedelta(days=30))
            self._add(
                zde.GROUPS,
                {
                    "name": name,
                    "description": f"Tickets about {name.lower()}",
                    "default": False,
                    "deleted": False,
                    "is_public": True,
                },
                number=first + index,
                created_at=created,
                updated_at=self._moment(after=created),
            )
            numbers.append(first + index)
        return numbers

    def _agents(self, groups: list[int]) -> list[_SeededUser]:
        plan = self.plan
        people: list[Person] = acme_agents(plan.agents_offset + plan.agents)[plan.agents_offset :]
        if not people:
            return []
        first = self._reserve(zde.USERS, len(people))
        deleted_from = len(people) - plan.deleted_agents
        inactive_from = deleted_from - plan.inactive_agents
        agents = []
        memberships = []
        for index, person in enumerate(people):
            deleted = index >= deleted_from
            active = index < inactive_from or deleted
            chosen = self.rng.sample(groups, k=min(len(groups), self.rng.randint(1, 2)))
            agent = _SeededUser(
                number=first + index,
                name=person.name,
                email=person.email,
                role="admin" if index == 0 else "agent",
                default_group_id=chosen[0] if chosen else None,
                active=active,
                deleted=deleted,
            )
            created = self._moment(within=timedelta(days=90))
            data = zde.user_defaults(name=agent.name, email=agent.email, role=agent.role)
            data.update(
                {
                    "verified": True,
                    "active": not deleted,
                    # Deactivated agents are suspended; deleted ones are kept inactive.
                    "suspended": not active,
                    "default_group_id": agent.default_group_id,
                    "phone": f"+1 555 01{index:02d}",
                    "time_zone": "Europe/Paris",
                    "iana_time_zone": "Europe/Paris",
                    "alias": person.name.split()[0],
                    "signature": f"{person.name}\nAcme Support",
                    "last_login_at": isoformat(self._moment(after=created)),
                }
            )
            self._add(
                zde.USERS,
                data,
                number=agent.number,
                created_at=created,
                updated_at=self._moment(after=created),
                collection=zde.DELETED_USERS.collection if deleted else None,
            )
            if not deleted:
                memberships.extend(
                    (agent.number, group, position == 0) for position, group in enumerate(chosen)
                )
            agents.append(agent)
        if memberships:
            first_membership = self._reserve(zde.GROUP_MEMBERSHIPS, len(memberships))
            for offset, (user_id, group_id, default) in enumerate(memberships):
                self._add(
                    zde.GROUP_MEMBERSHIPS,
                    {"user_id": user_id, "group_id": group_id, "default": default},
                    number=first_membership + offset,
                    created_at=self.anchor - SEED_TIME_SPAN,
                )
        return agents

    def _organizations(self) -> list[tuple[int, str]]:
        count = self.plan.organizations
        if not count:
            return []
        first = self._reserve(zde.ORGANIZATIONS, count)
        organizations = []
        for index in range(count):
            word = COMPANY_WORDS[index % len(COMPANY_WORDS)]
            kind = COMPANY_KINDS[(index // len(COMPANY_WORDS) + index) % len(COMPANY_KINDS)]
            suffix = f" {index // len(COMPANY_WORDS) + 1}" if index >= len(COMPANY_WORDS) else ""
            name = f"{word} {kind}{suffix}"
            domain = f"{_ascii(word).replace(' ', '')}{suffix.strip()}.example"
            created = self._moment(within=timedelta(days=365))
            self._add(
                zde.ORGANIZATIONS,
                {
                    "name": name,
                    "shared_tickets": False,
                    "shared_comments": False,
                    "external_id": None,
                    "domain_names": [domain],
                    "details": f"{name}, customer since {created.year}",
                    "notes": self.rng.choice(["", "Pays by bank transfer.", "Key account."]),
                    "group_id": None,
                    "tags": self.rng.sample(["enterprise", "smb", "partner", "eu", "us"], k=2),
                    "organization_fields": {},
                },
                number=first + index,
                created_at=created,
                updated_at=self._moment(after=created),
            )
            organizations.append((first + index, domain))
        return organizations

    def _contacts(self, organizations: list[tuple[int, str]]) -> list[_SeededUser]:
        count = self.plan.contacts
        if not count:
            return []
        first = self._reserve(zde.USERS, count)
        contacts = []
        for index in range(count):
            given = FIRST_NAMES[index % len(FIRST_NAMES)]
            family = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
            organization = (
                self.rng.choice(organizations)
                if organizations and self.rng.random() < 0.7
                else None
            )
            domain = (
                organization[1]
                if organization
                else self.rng.choice(["mail.example", "post.example", "inbox.example"])
            )
            email = f"{_ascii(given)}.{_ascii(family)}{index}@{domain}"
            if self.plan.non_ascii_emails and not f"{given}{family}".isascii():
                email = f"{given.lower()}.{family.lower()}{index}@{domain}"
            contact = _SeededUser(
                number=first + index,
                name=f"{given} {family}",
                email=email,
                role="end-user",
                organization_id=organization[0] if organization else None,
            )
            data = zde.user_defaults(name=contact.name, email=email)
            data.update(
                {
                    "verified": True,
                    "organization_id": contact.organization_id,
                    "phone": f"+33 6 12 34 {index // 100 % 100:02d} {index % 100:02d}"
                    if self.rng.random() < 0.4
                    else None,
                    "tags": self.rng.sample(
                        ["newsletter", "vip", "b2b", "returning"], k=self.rng.randint(0, 2)
                    ),
                    "locale": self.rng.choice(["en-US", "fr", "de"]),
                }
            )
            created = self._moment()
            self._add(
                zde.USERS,
                data,
                number=contact.number,
                created_at=created,
                updated_at=self._moment(after=created, within=timedelta(days=60)),
            )
            contacts.append(contact)
        return contacts

    def _custom_fields(self) -> list[tuple[int, str, list[str]]]:
        first = self._reserve(zde.TICKET_FIELDS, len(CUSTOM_FIELDS))
        option_count = sum(len(options) for _type, _title, options in CUSTOM_FIELDS)
        option_id = numbers_reserve(
            account=self.account,
            collection=zde.FIELD_OPTIONS_SEQUENCE,
            count=option_count,
            start=360_020_000_001,
        )
        fields = []
        for index, (field_type, title, options) in enumerate(CUSTOM_FIELDS):
            data = {**zde.ticket_field_base(field_type, title, 100 + index), "sub_type_id": 0}
            values = []
            if options:
                data["custom_field_options"] = []
                for name in options:
                    value = f"{_ascii(title).replace(' ', '_')}_{_ascii(name)}"
                    data["custom_field_options"].append(
                        {
                            "id": option_id,
                            "name": name,
                            "raw_name": name,
                            "value": value,
                            "default": False,
                        }
                    )
                    option_id += 1
                    values.append(value)
            if field_type == "checkbox":
                data["tag"] = "refund_requested"
            self._add(
                zde.TICKET_FIELDS,
                data,
                number=first + index,
                created_at=self.anchor - SEED_TIME_SPAN,
            )
            fields.append((first + index, field_type, values))
        return fields

    def _custom_field_value(self, field_type: str, values: list[str], created: datetime) -> Any:
        if self.rng.random() < 0.3:
            return None
        match field_type:
            case "text":
                return f"ORD-{self.rng.randint(10000, 99999)}"
            case "tagger":
                return self.rng.choice(values)
            case "checkbox":
                return self.rng.random() < 0.4
            case "date":
                return (created - timedelta(days=self.rng.randint(1, 90))).date().isoformat()
            case "integer":
                return str(self.rng.randint(1, 12))
            case "decimal":
                return f"{self.rng.randint(5, 2000)}.{self.rng.randint(0, 99):02d}"
            case "textarea":
                return "Steps tried:\n1. restart\n2. factory reset"
            case "multiselect":
                return self.rng.sample(values, k=self.rng.randint(1, 2))
        return None

    # ------------------------------------------------------------------ tickets

    def _tickets(
        self,
        *,
        agents: list[_SeededUser],
        contacts: list[_SeededUser],
        groups: list[int],
        fields: list[tuple[int, str, list[str]]],
    ) -> None:
        plan = self.plan
        if not plan.tickets:
            return
        people = contacts or [agent for agent in agents if not agent.deleted]
        staff = [agent for agent in agents if agent.active and not agent.deleted]
        if not people or not staff:
            raise ValueError("seeding tickets needs at least one active agent and a requester")
        statuses = {
            row.data["status_category"]: row.number
            for row in EmulatedRecord.objects.filter(
                account=self.account, collection=zde.CUSTOM_STATUSES.collection, data__default=True
            )
        }
        low, high = plan.comments_per_ticket
        shapes = []
        for _index in range(plan.tickets):
            comments = self.rng.randint(low, high)
            if plan.files_per_ticket is not None:
                file_count = self.rng.randint(*plan.files_per_ticket)
            else:
                file_count = int(self.rng.random() < plan.attachment_ratio)
            with_image = self.rng.random() < plan.inline_image_ratio
            shapes.append((comments, file_count, with_image))
        # The large file goes on one ticket (or a few), beside whatever else they carry.
        large_on: set[int] = set()
        if plan.large_attachment_bytes and plan.large_attachment_tickets == 1:
            large_on = {self.rng.randrange(plan.tickets)}
        elif plan.large_attachment_bytes:
            large_on = set(
                self.rng.sample(
                    range(plan.tickets), k=min(plan.tickets, plan.large_attachment_tickets)
                )
            )
        files = sum(f + int(i) for _c, f, i in shapes) + len(large_on)
        first_ticket = self._reserve(zde.TICKETS, plan.tickets)
        first_comment = self._reserve(zde.COMMENTS, sum(c for c, _f, _i in shapes))
        next_attachment = self._reserve(zde.ATTACHMENTS, files) if files else 0
        comment_number = first_comment
        for index, (comment_count, file_count, with_image) in enumerate(shapes):
            files_here: list[tuple[str, str, int, bool]] = []
            for _file in range(file_count):
                name, content_type = self.rng.choice(ATTACHMENT_FILES)
                files_here.append(
                    (name, content_type, self.rng.randint(*SMALL_ATTACHMENT_BYTES), False)
                )
            if index in large_on:
                files_here.append(
                    (
                        "diagnostics-bundle.zip",
                        "application/zip",
                        plan.large_attachment_bytes or 0,
                        False,
                    )
                )
            if with_image:
                files_here.append(
                    (
                        "inline-screenshot.png",
                        "image/png",
                        self.rng.randint(*SMALL_ATTACHMENT_BYTES),
                        True,
                    )
                )
            comment_number, next_attachment = self._ticket(
                number=first_ticket + index,
                comment_number=comment_number,
                attachment_number=next_attachment,
                comment_count=comment_count,
                files=files_here,
                people=people,
                agents=agents,
                staff=staff,
                groups=groups,
                fields=fields,
                statuses=statuses,
            )

    def _ticket(
        self,
        *,
        number: int,
        comment_number: int,
        attachment_number: int,
        comment_count: int,
        files: list[tuple[str, str, int, bool]],
        people: list[_SeededUser],
        agents: list[_SeededUser],
        staff: list[_SeededUser],
        groups: list[int],
        fields: list[tuple[int, str, list[str]]],
        statuses: dict[str, int],
    ) -> tuple[int, int]:
        rng = self.rng
        status = rng.choices([s for s, _w in STATUS_WEIGHTS], [w for _s, w in STATUS_WEIGHTS])[0]
        requester = rng.choice(people)
        # Finished tickets may name agents who left since; open work is with active ones.
        assignee = None
        if status != "new":
            pool = agents if status in ("solved", "closed") else staff
            assignee = rng.choice(pool)
        group_id = (assignee.default_group_id if assignee else None) or (
            rng.choice(groups) if groups and rng.random() < 0.8 else None
        )
        created = self._moment(within=SEED_TIME_SPAN - timedelta(days=31))
        comment_times = sorted(
            self._moment(after=created, within=timedelta(days=30)) for _ in range(comment_count - 1)
        )
        comment_times.insert(0, created)
        last_activity = comment_times[-1]
        updated = last_activity
        solved_at = None
        if status in ("solved", "closed"):
            solved_at = last_activity + timedelta(minutes=rng.randint(1, 120))
            updated = solved_at + (timedelta(days=4) if status == "closed" else timedelta())
            solved_at = min(solved_at, self.anchor)
            updated = min(updated, self.anchor)
        channel = rng.choice(["email", "web", "email", "api", "mobile"])
        via = {
            "channel": channel,
            "source": {
                "from": {"address": requester.email, "name": requester.name}
                if channel == "email"
                else {},
                "to": {"address": "support@acme.example", "name": "Acme Support"}
                if channel == "email"
                else {},
                "rel": None,
            },
        }
        subject = self._fill(rng.choice(SUBJECTS))
        tags = rng.sample(TAGS, k=rng.randint(0, 3))
        custom_fields = []
        for field_id, field_type, values in fields:
            value = self._custom_field_value(field_type, values, created)
            custom_fields.append({"id": field_id, "value": value})
            # Zendesk tags a ticket with the value of its drop-down and checkbox fields.
            if field_type == "tagger" and value:
                tags.append(value)
            if field_type == "checkbox" and value:
                tags.append("refund_requested")
        ccs = [
            person.number for person in rng.sample(people, k=min(len(people), rng.randint(0, 2)))
        ]
        ccs = [cc for cc in ccs if cc != requester.number] if rng.random() < 0.25 else []
        followers = [rng.choice(staff).number] if rng.random() < 0.2 else []

        comments = []
        bodies = []
        for position, moment in enumerate(comment_times):
            if position == 0:
                author, public, line = requester, True, rng.choice(CUSTOMER_LINES)
            elif rng.random() < 0.5:
                author = assignee or rng.choice(staff)
                public = rng.random() < 0.75
                line = rng.choice(AGENT_LINES if public else NOTE_LINES)
            else:
                author, public, line = requester, True, rng.choice(CUSTOMER_LINES)
            comments.append((author, public, moment))
            bodies.append(self._fill(line))

        attachments_by_comment: dict[int, list[dict[str, Any]]] = {}
        for file_name, content_type, size, inline in files:
            position = 0 if inline or len(comment_times) == 1 else rng.randrange(len(comment_times))
            token = self._blob_token()
            blob_generated(
                account=self.account,
                token=token,
                file_name=file_name,
                content_type=content_type,
                size=size,
            )
            data = self._add(
                zde.ATTACHMENTS,
                {
                    "file_name": file_name,
                    "content_type": content_type,
                    "size": size,
                    "width": 640 if content_type.startswith("image/") else None,
                    "height": 480 if content_type.startswith("image/") else None,
                    "inline": inline,
                    "deleted": False,
                    "malware_access_override": False,
                    "malware_scan_result": "malware_not_found",
                    "thumbnails": [],
                    zde.BLOB_KEY: token,
                },
                number=attachment_number,
                created_at=comment_times[position],
                parent_number=comment_number + position,
            )
            attachment_number += 1
            attachments_by_comment.setdefault(position, []).append(data)

        for position, ((author, public, moment), body) in enumerate(
            zip(comments, bodies, strict=True)
        ):
            attachments = attachments_by_comment.get(position, [])
            html_body = self._html_body(
                body, author=author, images=[a for a in attachments if a["inline"]]
            )
            self._add(
                zde.COMMENTS,
                {
                    "type": "Comment",
                    "author_id": author.number,
                    "body": body,
                    "html_body": html_body,
                    "plain_body": body,
                    "public": public,
                    "attachments": attachments,
                    "audit_id": comment_number,
                    "via": via,
                    "metadata": {
                        "system": {
                            "client": "Mozilla/5.0",
                            "ip_address": None,
                            "location": None,
                            "latitude": None,
                            "longitude": None,
                        },
                        "custom": {},
                    },
                },
                number=comment_number,
                created_at=moment,
                parent_number=number,
            )
            comment_number += 1

        data = zde.ticket_defaults()
        data.update(
            {
                "via": via,
                "type": rng.choice([None, "question", "incident", "problem", "task"]),
                "subject": subject,
                "raw_subject": subject,
                "description": bodies[0],
                "priority": rng.choice([None, "low", "normal", "normal", "high", "urgent"]),
                "status": status,
                "recipient": "support@acme.example" if channel == "email" else None,
                "requester_id": requester.number,
                "submitter_id": requester.number,
                "assignee_id": assignee.number if assignee else None,
                "organization_id": requester.organization_id,
                "group_id": group_id,
                "collaborator_ids": ccs,
                "email_cc_ids": ccs,
                "follower_ids": followers,
                "tags": list(dict.fromkeys(tags)),
                "custom_fields": custom_fields,
                "fields": [dict(item) for item in custom_fields],
                "custom_status_id": statuses.get("solved" if status == "closed" else status),
            }
        )
        if solved_at is not None:
            data[zde.SOLVED_AT] = isoformat(solved_at)
        self._add(zde.TICKETS, data, number=number, created_at=created, updated_at=updated)
        return comment_number, attachment_number

    def _html_body(self, body: str, *, author: _SeededUser, images: list[dict[str, Any]]) -> str:
        """The body as Zendesk renders it, with some formatting and the inline images."""
        rng = self.rng
        parts = [f"<p>{html.escape(body)}</p>"]
        flourish = rng.random()
        if flourish < 0.15:
            parts.append(
                "<ul><li>Restarted the device</li><li>Checked the <strong>cable</strong></li></ul>"
            )
        elif flourish < 0.25:
            parts.append(
                '<p>See <a href="https://status.acme.example" rel="noreferrer">'
                "our status page</a>.</p>"
            )
        elif flourish < 0.32:
            parts.append("<blockquote>Sent from my phone</blockquote>")
        elif flourish < 0.38:
            parts.append("<pre><code>Error 0x80070005: access denied</code></pre>")
        for image in images:
            name = quote(image["file_name"], safe="")
            # The emulator makes this root-relative link absolute, as Zendesk writes it.
            parts.append(
                f'<p><img src="/attachments/token/{image[zde.BLOB_KEY]}/?name={name}" '
                f'alt="{html.escape(image["file_name"])}" width="640" height="480"></p>'
            )
        if author.role != "end-user" and rng.random() < 0.5:
            parts.append(f"<p>{html.escape(author.name)}<br>Acme Support</p>")
        return f'<div class="zd-comment" dir="auto">{"".join(parts)}</div>'

    # ------------------------------------------------------------------ Help Center

    def _help_center(self, agents: list[_SeededUser]) -> None:
        plan = self.plan
        if not plan.article_categories:
            return
        moment = self.anchor - SEED_TIME_SPAN
        first_category = self._reserve(zde.CATEGORIES, plan.article_categories)
        categories = []
        for index in range(plan.article_categories):
            name = CATEGORY_NAMES[index % len(CATEGORY_NAMES)]
            if index >= len(CATEGORY_NAMES):
                name = f"{name} {index // len(CATEGORY_NAMES) + 1}"
            created = self._moment(after=moment, within=timedelta(days=60))
            self._add(
                zde.CATEGORIES,
                {
                    "position": index,
                    "name": name,
                    "description": f"Everything about {name.lower()}",
                    "locale": zde.HELP_CENTER_LOCALE,
                    "source_locale": zde.HELP_CENTER_LOCALE,
                    "outdated": False,
                },
                number=first_category + index,
                created_at=created,
                updated_at=self._moment(after=created),
            )
            categories.append(first_category + index)
        sections = []
        if plan.article_sections:
            first_section = self._reserve(zde.SECTIONS, plan.article_sections)
            for index in range(plan.article_sections):
                name = SECTION_NAMES[index % len(SECTION_NAMES)]
                category = categories[index % len(categories)]
                if index >= len(categories):
                    name = f"{name} {index // len(categories) + 1}"
                created = self._moment(after=moment, within=timedelta(days=90))
                self._add(
                    zde.SECTIONS,
                    {
                        "position": index,
                        "name": name,
                        "description": "",
                        "locale": zde.HELP_CENTER_LOCALE,
                        "source_locale": zde.HELP_CENTER_LOCALE,
                        "outdated": False,
                        "category_id": category,
                        "sorting": "manual",
                        "parent_section_id": None,
                        "theme_template": "section_page",
                    },
                    number=first_section + index,
                    created_at=created,
                    updated_at=self._moment(after=created),
                )
                sections.append(first_section + index)
        if plan.articles and sections:
            self._articles(sections=sections, agents=agents)

    def _articles(self, *, sections: list[int], agents: list[_SeededUser]) -> None:
        rng = self.rng
        permission_group = (
            EmulatedRecord.objects.filter(
                account=self.account,
                collection=zde.PERMISSION_GROUPS.collection,
                data__name="Agents and managers",
            )
            .values_list("number", flat=True)
            .first()
        )
        authors = [agent for agent in agents if not agent.deleted] or agents
        translated = [rng.random() < 0.3 for _ in range(self.plan.articles)]
        extra = {"fr": sum(translated), "de": 0}
        german = [flag and rng.random() < 0.5 for flag in translated]
        extra["de"] = sum(german)
        first_article = self._reserve(zde.ARTICLES, self.plan.articles)
        first_translation = self._reserve(
            zde.TRANSLATIONS, self.plan.articles + extra["fr"] + extra["de"]
        )
        translation_number = first_translation
        for index in range(self.plan.articles):
            number = first_article + index
            topic = ARTICLE_TOPICS[index % len(ARTICLE_TOPICS)]
            title = (
                topic
                if index < len(ARTICLE_TOPICS)
                else f"{topic} ({index // len(ARTICLE_TOPICS) + 1})"
            )
            draft = rng.random() < 0.25
            author = rng.choice(authors) if authors else None
            body = (
                f"<h2>{html.escape(title)}</h2>"
                f"<p>This guide explains {html.escape(topic.lower())}.</p>"
                "<ol><li>Open the app.</li><li>Go to <strong>Settings</strong>.</li>"
                "<li>Follow the steps on screen.</li></ol>"
            )
            created = self._moment()
            updated = self._moment(after=created, within=timedelta(days=120))
            data = self._add(
                zde.ARTICLES,
                {
                    "author_id": author.number if author else None,
                    "comments_disabled": False,
                    "draft": draft,
                    "promoted": rng.random() < 0.1,
                    "position": index,
                    "vote_sum": 0,
                    "vote_count": 0,
                    "section_id": rng.choice(sections),
                    "name": title,
                    "title": title,
                    "source_locale": zde.HELP_CENTER_LOCALE,
                    "locale": zde.HELP_CENTER_LOCALE,
                    "outdated": False,
                    "outdated_locales": [],
                    "edited_at": isoformat(updated),
                    "user_segment_id": None,
                    "permission_group_id": permission_group,
                    "content_tag_ids": [],
                    "label_names": rng.sample(
                        ["faq", "howto", "billing", "app", "shipping"], k=rng.randint(0, 2)
                    ),
                    "body": body,
                    "user_segment_ids": [],
                },
                number=number,
                created_at=created,
                updated_at=updated,
            )
            locales = [(zde.HELP_CENTER_LOCALE, title, body, draft)]
            if translated[index]:
                locales.append(
                    (
                        "fr",
                        f"{title} (FR)",
                        f"<p>Ce guide explique : {html.escape(topic.lower())}.</p>",
                        draft,
                    )
                )
            if german[index]:
                locales.append(
                    (
                        "de",
                        f"{title} (DE)",
                        f"<p>Diese Anleitung erklärt: {html.escape(topic.lower())}.</p>",
                        True,
                    )
                )
            for locale, translated_title, translated_body, translated_draft in locales:
                user_id = author.number if author else None
                self._add(
                    zde.TRANSLATIONS,
                    zde.translation_data(
                        data,
                        locale=locale,
                        title=translated_title,
                        body=translated_body,
                        draft=translated_draft,
                        user_id=user_id,
                    ),
                    number=translation_number,
                    created_at=created,
                    updated_at=updated,
                    parent_number=number,
                )
                translation_number += 1
