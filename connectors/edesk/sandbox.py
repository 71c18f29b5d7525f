"""The eDesk sandbox: accounts on the emulator, seeded straight into its storage.

A new account has its e-mail channel and its administrator (whose API token it is), as an
eDesk account always has. Seeding adds a marketplace channel, the users (Acme's agents
from ``plan.agents_offset``), tags, contacts, and tickets with their messages, written as
the emulator's own JSON in bulk, with their ids reserved so that the API's later ids
follow them. Seeding is
deterministic for a plan: ``random.Random(plan.seed)`` draws everything and dates count
back from the start of the current day (UTC).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from connectors.edesk import KEY
from connectors.edesk import emulator as ed
from connectors.emulation import (
    account_get_or_create,
    account_reset,
    blob_generated,
    numbers_reserve,
    record_create,
)
from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.sandbox import (
    FIRST_NAMES,
    LAST_NAMES,
    SandboxPlatform,
    SeedPlan,
    acme_agents,
    register_sandbox_platform,
)

#: How far back the seeded history goes.
HISTORY = timedelta(days=730)

TAGS = ("VIP", "Refund", "Damaged", "Late delivery", "Wrong item", "Follow-up", "Invoice", "Review")
SUBJECTS = (
    "Where is my order?",
    "Item arrived damaged",
    "Wrong size received",
    "Refund for order",
    "Invoice request",
    "Cancel my order",
    "Question about a product",
    "Return label needed",
)
TICKET_TYPES = (
    "OrderQuery", "ShippingQuery", "ReturnRequest", "Refund", "ProductQuery", "Query",
    "InvoiceRequest", "Cancellation",
)  # fmt: skip
STATUSES = ("Open", "Open", "Pending", "Closed", "Closed", "Archived")
SENTENCES = (
    "My parcel has not arrived yet.",
    "The tracking page has not changed for a week.",
    "Could you look into it as soon as possible?",
    "The order number is in the subject.",
    "Thanks for your patience while we look into this.",
    "We have asked the carrier for news.",
    "Could you send us a photo of the item?",
    "A replacement is on its way; here is the new tracking link.",
)
ATTACHMENT_KINDS = (
    ("photo.jpg", "image/jpeg"),
    ("invoice.pdf", "application/pdf"),
    ("label.pdf", "application/pdf"),
    ("receipt.png", "image/png"),
)
CUSTOM_FIELDS = (
    (1, "Order number"),
    (2, "Marketplace"),
    (3, "Gift wrap"),
)
MARKETPLACES = ("Amazon", "eBay", "Shopify")


def sandbox_api_token(slug: str) -> str:
    """The Full Access token of a sandbox account: stable for a slug, kept by a reseed."""
    return "ed-sandbox-" + hashlib.sha256(f"edesk-sandbox:{slug}".encode()).hexdigest()[:24]


def sandbox_read_only_token(slug: str) -> str:
    return "ed-readonly-" + hashlib.sha256(f"edesk-readonly:{slug}".encode()).hexdigest()[:24]


def email_channel_name(account: EmulatedAccount) -> str:
    return f"{account.name} support e-mail"


@register_sandbox_platform
class EdeskSandbox(SandboxPlatform):
    key = KEY

    def account_create(
        self, *, slug: str, name: str, rate_limit_per_minute: int | None = None
    ) -> EmulatedAccount:
        account = account_get_or_create(
            platform=KEY,
            slug=slug,
            name=name,
            secrets={
                "api_token": sandbox_api_token(slug),
                "read_only_token": sandbox_read_only_token(slug),
            },
            rate_limit_per_minute=rate_limit_per_minute,
            latency_ms=0,
            fault_server_error_ratio=0.0,
            fault_timeout_ratio=0.0,
            fault_malformed_ratio=0.0,
            options={},
        )
        account_reset(account=account)
        channel = ed.channel_template()
        channel.update(id=ed.CHANNEL_ID_START, name=email_channel_name(account), type="Email")
        numbers_reserve(account=account, collection="channels", count=1, start=ed.CHANNEL_ID_START)
        record_create(
            account=account, collection="channels", data=channel, number=ed.CHANNEL_ID_START
        )
        admin = ed.user_template()
        admin.update(
            id=ed.USER_ID_START,
            name=f"{name} Admin",
            email=f"admin@{slug}.example",
            username="admin",
            role="admin",
        )
        numbers_reserve(account=account, collection="users", count=1, start=ed.USER_ID_START)
        record_create(account=account, collection="users", data=admin, number=ed.USER_ID_START)
        return account

    def credentials(self, *, account: EmulatedAccount, site_url: str) -> dict[str, Any]:
        return {
            "api_url": self.base_url(account=account, site_url=site_url),
            "api_token": account.secrets["api_token"],
        }

    def seed(self, *, account: EmulatedAccount, plan: SeedPlan) -> None:
        with transaction.atomic():
            _Seeder(account=account, plan=plan).run()


@dataclass
class _Person:
    number: int
    data: dict[str, Any]


@dataclass
class _Seeder:
    """One seeding of one account: draws the objects, then writes them in bulk."""

    account: EmulatedAccount
    plan: SeedPlan
    rows: list[EmulatedRecord] = field(default_factory=list)
    next_message: int = 0
    next_attachment: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)  # noqa: S311 - sample data, not secrets
        today = timezone.now().astimezone(UTC)
        self.now = today.replace(hour=0, minute=0, second=0, microsecond=0)

    # ------------------------------------------------------------------- driver

    def run(self) -> None:
        channels = self._channels()
        users = self._users()
        tags = self._tags()
        contacts = self._contacts(channels)
        self._tickets(users=users, contacts=contacts, tags=tags)
        EmulatedRecord.objects.bulk_create(self.rows, batch_size=500)

    # ------------------------------------------------------------------- helpers

    def _reserve(self, collection: str, start: int, count: int) -> int:
        if not count:
            return start
        return numbers_reserve(
            account=self.account, collection=collection, count=count, start=start
        )

    def _store(
        self,
        collection: str,
        number: int,
        data: dict[str, Any],
        *,
        created: datetime | None = None,
        updated: datetime | None = None,
        parent: int | None = None,
    ) -> None:
        data["id"] = number
        created = created or self.now - HISTORY
        self.rows.append(
            EmulatedRecord(
                account=self.account,
                collection=collection,
                number=number,
                parent_number=parent,
                data=data,
                created_at=created,
                updated_at=updated or created,
            )
        )

    def _moment(self, *, days_ago_from: float, days_ago_to: float) -> datetime:
        days = self.rng.uniform(days_ago_to, days_ago_from)
        return (self.now - timedelta(days=days)).replace(microsecond=0)

    def _later(self, moment: datetime, *, max_hours: float) -> datetime:
        later = moment + timedelta(hours=self.rng.uniform(0.05, max_hours))
        return min(later, self.now).replace(microsecond=0)

    def _paragraphs(self, count: int) -> str:
        return "".join(f"<p>{self.rng.choice(SENTENCES)}</p>" for _ in range(count))

    # ------------------------------------------------------------------- objects

    def _channels(self) -> list[int]:
        """The account's e-mail channel and a marketplace channel added here."""
        existing = list(
            EmulatedRecord.objects.filter(account=self.account, collection="channels")
            .order_by("number")
            .values_list("number", flat=True)
        )
        number = self._reserve("channels", ed.CHANNEL_ID_START, 1)
        data = ed.channel_template()
        data.update(
            name=f"{self.account.name} on Amazon", type="Amazon", country="GB", currency="GBP"
        )
        self._store("channels", number, data)
        return [*existing, number]

    def _users(self) -> list[_Person]:
        """Acme's agents from ``plan.agents_offset``, after the account's administrator; the
        last ones deactivated. Deleted agents are gone from eDesk."""
        plan = self.plan
        people = acme_agents(plan.agents_offset + plan.agents)[plan.agents_offset :]
        people = people[: max(0, len(people) - plan.deleted_agents)]
        first = self._reserve("users", ed.USER_ID_START, len(people))
        inactive_from = len(people) - plan.inactive_agents
        users = []
        for index, person in enumerate(people):
            data = ed.user_template()
            data.update(
                name=person.name,
                email=person.email,
                active=index < inactive_from,
                username=person.email.split("@")[0],
                role="agent",
            )
            self._store("users", first + index, data)
            users.append(_Person(number=first + index, data=data))
        return users

    def _tags(self) -> list[int]:
        if not self.plan.tickets:
            return []
        first = self._reserve("tags", ed.TAG_ID_START, len(TAGS))
        for index, name in enumerate(TAGS):
            self._store("tags", first + index, {"id": None, "name": name})
        return [first + index for index in range(len(TAGS))]

    def _contacts(self, channels: list[int]) -> list[_Person]:
        first = self._reserve("contacts", ed.CONTACT_ID_START, self.plan.contacts)
        contacts = []
        for index in range(self.plan.contacts):
            first_name = FIRST_NAMES[index % len(FIRST_NAMES)]
            last_name = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
            # Most customers write by e-mail; the others through the marketplace.
            channel = channels[0] if self.rng.random() < 0.75 else channels[-1]
            domain = "mail.example" if channel == channels[0] else "marketplace.amazon.example"
            data = ed.contact_template()
            data.update(
                channel_id=channel,
                client_id=self.account.pk,
                full_name=f"{first_name} {last_name}",
                email=f"{first_name}.{last_name}{index}@{domain}".lower(),
                phone_number=f"+44 20 7946 {index:04d}" if self.rng.random() < 0.4 else None,
            )
            self._store("contacts", first + index, data)
            contacts.append(_Person(number=first + index, data=data))
        return contacts

    def _attachment(self, *, size: int | None = None) -> dict[str, Any]:
        number = self.next_attachment
        self.next_attachment += 1
        name, content_type = self.rng.choice(ATTACHMENT_KINDS)
        token = f"ed-{self.account.slug}-{number}"
        blob_generated(
            account=self.account,
            token=token,
            file_name=name,
            content_type=content_type,
            size=size if size is not None else self.rng.randint(200, 40_000),
        )
        kwargs = {"account_slug": self.account.slug, "token": token}
        link = reverse("edesk-attachment", kwargs=kwargs)
        return {"id": number, "name": name, "link": link, "mime": content_type}

    def _tickets(self, *, users: list[_Person], contacts: list[_Person], tags: list[int]) -> None:
        plan = self.plan
        if not plan.tickets:
            return
        if not contacts:
            raise ValueError("an eDesk sandbox with tickets needs contacts")
        first = self._reserve("tickets", ed.TICKET_ID_START, plan.tickets)
        planned = [self.rng.randint(*plan.comments_per_ticket) for _ in range(plan.tickets)]
        self.next_message = self._reserve("messages", ed.MESSAGE_ID_START, sum(planned))
        with_attachment = [self.rng.random() < plan.attachment_ratio for _ in range(plan.tickets)]
        if plan.attachment_ratio > 0 and not any(with_attachment):
            with_attachment[0] = True
        large_on = self.rng.randrange(plan.tickets) if plan.large_attachment_bytes else None
        attachments = sum(with_attachment) + (large_on is not None)
        self.next_attachment = self._reserve("attachments", ed.ATTACHMENT_ID_START, attachments)
        active = [user for user in users if user.data["active"]] or users
        for index in range(plan.tickets):
            self._ticket(
                number=first + index,
                messages=planned[index],
                attachment=with_attachment[index],
                large=index == large_on,
                users=active,
                contact=self.rng.choice(contacts),
                tags=tags,
            )

    def _ticket(
        self,
        *,
        number: int,
        messages: int,
        attachment: bool,
        large: bool,
        users: list[_Person],
        contact: _Person,
        tags: list[int],
    ) -> None:
        rng = self.rng
        created = self._moment(days_ago_from=HISTORY.days, days_ago_to=1)
        owner = rng.choice(users) if users and rng.random() < 0.8 else None
        data = ed.ticket_template()
        data.update(
            subject=f"{rng.choice(SUBJECTS)} (#{number - ed.TICKET_ID_START + 1})",
            type=rng.choice(TICKET_TYPES),
            channel_id=contact.data["channel_id"],
            status=rng.choice(STATUSES),
            created_at=ed.when(created),
            owner_user_id=owner.number if owner else None,
            contact_id=contact.number,
            tags_ids=sorted(rng.sample(tags, k=rng.randint(0, 2))) if tags else [],
            custom_fields=(
                [
                    {"id": field_id, "name": name, "value": self._custom_value(field_id)}
                    for field_id, name in CUSTOM_FIELDS
                ]
                if self.plan.custom_fields
                else []
            ),
        )
        files_on = rng.randrange(messages) if attachment else None
        moment = created
        for position in range(messages):
            if position:
                moment = self._later(moment, max_hours=30)
            files = [self._attachment()] if position == files_on else []
            if large and position == 0:
                files.append(self._attachment(size=self.plan.large_attachment_bytes))
            self._message(
                ticket=number,
                data=data,
                position=position,
                moment=moment,
                contact=contact,
                agent=owner or (rng.choice(users) if users else None),
                files=files,
            )
        data["last_updated_at"] = ed.when(moment)
        self._store("tickets", number, data, created=created, updated=moment)

    def _custom_value(self, field_id: int) -> str:
        match field_id:
            case 1:
                return f"{self.rng.randint(200, 299)}-{self.rng.randint(1_000_000, 9_999_999)}"
            case 2:
                return self.rng.choice(MARKETPLACES)
            case _:
                return self.rng.choice(("Yes", "No"))

    def _message(
        self,
        *,
        ticket: int,
        data: dict[str, Any],
        position: int,
        moment: datetime,
        contact: _Person,
        agent: _Person | None,
        files: list[dict[str, Any]],
    ) -> None:
        kind = "customer"
        if position and agent is not None:
            kind = self.rng.choice(("reply", "reply", "note", "customer"))
        message = ed.message_template()
        message.update(
            subject=data["subject"],
            created_at=ed.when(moment),
            body=self._paragraphs(self.rng.randint(1, 2)),
            ticket_id=ticket,
            attachments=files,
        )
        if kind == "customer":
            message.update(type="Message", direction="Incoming", from_consumer_id=contact.number)
        else:
            assert agent is not None
            message.update(
                type="Note" if kind == "note" else "Message",
                direction="Other" if kind == "note" else "Outgoing",
                from_user=dict(agent.data),
            )
        number = self.next_message
        self.next_message += 1
        self._store("messages", number, message, created=moment, updated=moment, parent=ticket)
