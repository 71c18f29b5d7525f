"""The Freshdesk sandbox: accounts on the emulator, seeded straight into its storage.

Seeding writes the emulator's own JSON (the templates of :mod:`.emulator`) with bulk
inserts, and reserves the ids it uses so that the API's later ids follow them. It is
deterministic for a plan: ``random.Random(plan.seed)`` draws everything, and dates count
back from the start of the current day (UTC), spread over two years so that the ticket
list's 30-day window hides most tickets from a reader that forgets ``updated_since``.
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

from connectors.emulation import (
    account_get_or_create,
    account_reset,
    blob_generated,
    isoformat,
    numbers_reserve,
)
from connectors.freshdesk import KEY
from connectors.freshdesk import emulator as fd
from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.sandbox import (
    ARTICLE_TITLES,
    ATTACHMENT_KINDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    INLINE_IMAGE,
    LAST_NAMES,
    SENTENCES,
    SUBJECTS,
    TAGS,
    Person,
    SandboxPlatform,
    SeedPlan,
    acme_agents,
    register_sandbox_platform,
)

#: How far back the seeded history goes.
HISTORY = timedelta(days=730)
#: Tickets seeded inside the ticket list's default window, as a share of all.
RECENT_TICKET_RATIO = 0.15

GROUP_NAMES = (
    "Billing", "Technical support", "Sales", "Returns", "VIP customers", "Shipping", "Escalations",
)  # fmt: skip
KB_CATEGORY_NAMES = ("Getting started", "Billing and plans", "Troubleshooting", "Integrations")
KB_FOLDER_NAMES = ("Basics", "Accounts", "Payments", "Devices", "Errors", "Security", "Mobile app")
CUSTOM_TICKET_FIELDS = (
    ("Order number", "custom_number", ()),
    ("Product", "custom_dropdown", ("Printer", "Scanner", "Laptop", "Phone")),
    ("Under warranty", "custom_checkbox", ()),
    ("Purchase date", "custom_date", ()),
    ("Serial number", "custom_text", ()),
)


#: The languages besides English a sandbox account's knowledge base is translated into.
SANDBOX_LANGUAGES = ("fr", "de")


def sandbox_api_key(slug: str) -> str:
    """The API key of a sandbox account: stable for a slug, so a reseeded account keeps it."""
    return "fd-sandbox-" + hashlib.sha256(f"freshdesk-sandbox:{slug}".encode()).hexdigest()[:20]


@register_sandbox_platform
class FreshdeskSandbox(SandboxPlatform):
    key = KEY

    def account_create(
        self, *, slug: str, name: str, rate_limit_per_minute: int | None = None
    ) -> EmulatedAccount:
        account = account_get_or_create(
            platform=KEY,
            slug=slug,
            name=name,
            secrets={"api_key": sandbox_api_key(slug)},
            rate_limit_per_minute=rate_limit_per_minute,
            latency_ms=0,
            fault_server_error_ratio=0.0,
            fault_timeout_ratio=0.0,
            fault_malformed_ratio=0.0,
            # Multilingual, in the languages the Zendesk sandbox translates articles into.
            options={
                "primary_language": "en",
                "supported_languages": list(SANDBOX_LANGUAGES),
                "portal_languages": list(SANDBOX_LANGUAGES),
            },
        )
        account_reset(account=account)
        return account

    def credentials(self, *, account: EmulatedAccount, site_url: str) -> dict[str, Any]:
        return {
            "url": self.base_url(account=account, site_url=site_url),
            "api_key": account.secrets["api_key"],
        }

    def seed(self, *, account: EmulatedAccount, plan: SeedPlan) -> None:
        with transaction.atomic():
            _Seeder(account=account, plan=plan).run()


@dataclass
class _User:
    number: int
    name: str
    email: str
    company_id: int | None = None


@dataclass
class _Seeder:
    """One seeding of one account: draws the objects, then writes them in bulk."""

    account: EmulatedAccount
    plan: SeedPlan
    rows: list[EmulatedRecord] = field(default_factory=list)
    #: The next ids to hand out, within ranges reserved beforehand.
    next_user: int = 0
    next_conversation: int = 0
    next_attachment: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)  # noqa: S311 - sample data, not secrets
        today = timezone.now().astimezone(UTC)
        self.now = today.replace(hour=0, minute=0, second=0, microsecond=0)
        self.support_email = f"support@{self.account.slug}.freshdesk.com"

    # ------------------------------------------------------------------- driver

    def run(self) -> None:
        plan = self.plan
        groups = self._groups()
        companies = self._companies()
        agents = self._agents(groups)
        contacts = self._contacts(companies)
        fields = self._ticket_fields() if plan.custom_fields else []
        self._tickets(agents=agents, contacts=contacts, groups=groups, fields=fields)
        self._knowledge_base(agents)
        EmulatedRecord.objects.bulk_create(self.rows, batch_size=500)

    # ------------------------------------------------------------------- helpers

    def _reserve(self, collection: str, start: int, count: int) -> int:
        """The first of ``count`` ids reserved for the records seeded into ``collection``."""
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
        created: datetime,
        updated: datetime,
        parent: int | None = None,
    ) -> None:
        data.update(id=number, created_at=isoformat(created), updated_at=isoformat(updated))
        self.rows.append(
            EmulatedRecord(
                account=self.account,
                collection=collection,
                number=number,
                parent_number=parent,
                data=data,
                created_at=created,
                updated_at=updated,
            )
        )

    def _moment(self, *, days_ago_from: float, days_ago_to: float) -> datetime:
        """A whole second between two ages (days before the start of today)."""
        days = self.rng.uniform(days_ago_to, days_ago_from)
        return (self.now - timedelta(days=days)).replace(microsecond=0)

    def _later(self, moment: datetime, *, max_hours: float) -> datetime:
        later = moment + timedelta(hours=self.rng.uniform(0.05, max_hours))
        return min(later, self.now).replace(microsecond=0)

    def _paragraphs(self, count: int) -> str:
        return "".join(f"<p>{self.rng.choice(SENTENCES)}</p>" for _ in range(count))

    def _attachment(self, *, moment: datetime, size: int | None = None) -> dict[str, Any]:
        """A generated file (its bytes come from its token) described as Freshdesk does."""
        number = self.next_attachment
        self.next_attachment += 1
        name, content_type = self.rng.choice(ATTACHMENT_KINDS)
        token = f"fd-{self.account.slug}-{number}"
        blob = blob_generated(
            account=self.account,
            token=token,
            file_name=name,
            content_type=content_type,
            size=size if size is not None else self.rng.randint(200, 40_000),
        )
        return {
            "id": number,
            "content_type": content_type,
            "size": blob.size,
            "name": name,
            "attachment_url": reverse(
                "freshdesk-attachment", kwargs={"account_slug": self.account.slug, "token": token}
            ),
            "created_at": isoformat(moment),
            "updated_at": isoformat(moment),
        }

    # ------------------------------------------------------------------- people and teams

    def _groups(self) -> list[dict[str, Any]]:
        count = self.plan.groups
        first = self._reserve("groups", fd.GROUP_ID_START, count)
        groups = []
        for index in range(count):
            name = GROUP_NAMES[index % len(GROUP_NAMES)]
            if index >= len(GROUP_NAMES):
                name += f" {index // len(GROUP_NAMES) + 1}"
            data = fd._group_template()
            data.update(name=name, description=f"The {name.lower()} team.")
            created = self._moment(days_ago_from=900, days_ago_to=760)
            self._store("groups", first + index, data, created=created, updated=created)
            groups.append(data)
        return groups

    def _companies(self) -> list[dict[str, Any]]:
        count = self.plan.organizations
        first = self._reserve("companies", fd.COMPANY_ID_START, count)
        firsts, seconds = COMPANY_WORDS
        companies = []
        for index in range(count):
            name = f"{firsts[index % len(firsts)]} {seconds[(index // len(firsts)) % len(seconds)]}"
            if index >= len(firsts) * len(seconds):
                name += f" {index // (len(firsts) * len(seconds)) + 1}"
            domain = name.lower().replace(" ", "-") + ".example"
            data = fd._company_template()
            data.update(
                name=name,
                description=f"{name}, a customer since the start.",
                domains=[domain],
                note="Key account." if self.rng.random() < 0.3 else None,
            )
            created = self._moment(days_ago_from=800, days_ago_to=760)
            updated = self._later(created, max_hours=24 * 700)
            self._store("companies", first + index, data, created=created, updated=updated)
            companies.append(data)
        return companies

    def _agents(self, groups: list[dict[str, Any]]) -> list[_User]:
        """Acme's agents from ``plan.agents_offset``: the first is the account's admin (the
        API key's agent); the last ones are deleted (Freshdesk keeps them as contacts) and
        those before them deactivated."""
        plan = self.plan
        people = acme_agents(plan.agents_offset + plan.agents)[plan.agents_offset :]
        first = self._reserve(fd.USERS_SEQUENCE, fd.USER_ID_START, len(people) + plan.contacts)
        self.next_user = first + len(people)
        deleted_from = len(people) - plan.deleted_agents
        inactive_from = deleted_from - plan.inactive_agents
        active: list[_User] = []
        for index, person in enumerate(people):
            number = first + index
            created = self._moment(days_ago_from=750, days_ago_to=735)
            updated = self._later(created, max_hours=24 * 400)
            if index >= deleted_from:
                self._former_agent(number, person, created=created, updated=updated)
                continue
            member_of = (
                self.rng.sample(groups, k=min(len(groups), self.rng.randint(0, 2)))
                if groups
                else []
            )
            data = fd._agent_template()
            data.update(
                available=index == 0,
                occasional=index > 0 and self.rng.random() < 0.1,
                role_ids=[fd.ADMIN_ROLE_ID if index == 0 else fd.AGENT_ROLE_ID],
                group_ids=[group["id"] for group in member_of],
                deactivated=index >= inactive_from,
                last_active_at=isoformat(updated),
            )
            data["contact"].update(
                name=person.name,
                email=person.email,
                created_at=isoformat(created),
                updated_at=isoformat(updated),
                last_login_at=isoformat(updated),
            )
            for group in member_of:
                group["agent_ids"].append(number)
            self._store("agents", number, data, created=created, updated=updated)
            if index < inactive_from:
                active.append(_User(number=number, name=person.name, email=person.email))
        return active

    def _former_agent(
        self, number: int, person: Person, *, created: datetime, updated: datetime
    ) -> None:
        data = fd._contact_template()
        data.update(name=person.name, email=person.email, active=True)
        self._store("contacts", number, data, created=created, updated=updated)

    def _contacts(self, companies: list[dict[str, Any]]) -> list[_User]:
        contacts: list[_User] = []
        for index in range(self.plan.contacts):
            number = self.next_user + index
            first_name = FIRST_NAMES[index % len(FIRST_NAMES)]
            last_name = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
            company = self.rng.choice(companies) if companies and self.rng.random() < 0.7 else None
            domain = company["domains"][0] if company else "mail.example"
            email = f"{first_name}.{last_name}{index}@{domain}".lower()
            data = fd._contact_template()
            data.update(
                name=f"{first_name} {last_name}",
                email=email,
                active=self.rng.random() < 0.9,
                company_id=company["id"] if company else None,
                phone=f"+1 555 01{index:04d}" if self.rng.random() < 0.5 else None,
                job_title=self.rng.choice((None, "Buyer", "Office manager", "CTO")),
                tags=self.rng.sample(TAGS, k=self.rng.randint(0, 2)),
            )
            # Before their first ticket; their details change at any time since.
            created = self._moment(days_ago_from=760, days_ago_to=731)
            updated = self._later(created, max_hours=24 * 760)
            self._store("contacts", number, data, created=created, updated=updated)
            contacts.append(
                _User(number=number, name=data["name"], email=email, company_id=data["company_id"])
            )
        return contacts

    # ------------------------------------------------------------------- tickets

    def _ticket_fields(self) -> list[dict[str, Any]]:
        first = self._reserve("ticket_fields", fd.TICKET_FIELD_ID_START, len(CUSTOM_TICKET_FIELDS))
        fields = []
        created = self.now - HISTORY
        for index, (label, kind, choices) in enumerate(CUSTOM_TICKET_FIELDS):
            data = fd._ticket_field_template()
            data.update(
                label=label,
                type=kind,
                position=len(fd.DEFAULT_TICKET_FIELDS) + index + 1,
                displayed_to_customers=True,
            )
            if choices:
                data["choices"] = [{"value": choice} for choice in choices]
            fd._ticket_field_derive(data)
            self._store("ticket_fields", first + index, data, created=created, updated=created)
            fields.append(data)
        return fields

    def _custom_value(self, definition: dict[str, Any], *, created: datetime) -> Any:
        match definition["type"]:
            case "custom_number":
                return self.rng.randint(10_000, 99_999)
            case "custom_dropdown":
                return self.rng.choice(definition["choices"])["value"]
            case "custom_checkbox":
                return self.rng.random() < 0.5
            case "custom_date":
                return (created - timedelta(days=self.rng.randint(1, 400))).date().isoformat()
            case _:
                return f"SN-{self.rng.randint(100_000, 999_999)}"

    def _ticket_created(self, index: int) -> datetime:
        # The first ticket is recent and the second old whatever the draw, so that even a
        # small plan has tickets on both sides of the list's 30-day window.
        recent = index == 0 or (index > 1 and self.rng.random() < RECENT_TICKET_RATIO)
        if recent:
            return self._moment(days_ago_from=28, days_ago_to=0.5)
        return self._moment(days_ago_from=HISTORY.days, days_ago_to=31)

    def _tickets(
        self,
        *,
        agents: list[_User],
        contacts: list[_User],
        groups: list[dict[str, Any]],
        fields: list[dict[str, Any]],
    ) -> None:
        plan = self.plan
        if not plan.tickets:
            return
        requesters = contacts or agents
        if not requesters:
            raise ValueError("a Freshdesk sandbox with tickets needs contacts or agents")
        first = self._reserve("tickets", 1, plan.tickets)
        planned_comments = [
            self.rng.randint(*plan.comments_per_ticket) for _ in range(plan.tickets)
        ]
        conversations = sum(max(0, count - 1) for count in planned_comments)
        self.next_conversation = self._reserve(
            "conversations", fd.CONVERSATION_ID_START, conversations
        )
        with_attachment = [self.rng.random() < plan.attachment_ratio for _ in range(plan.tickets)]
        if plan.attachment_ratio > 0 and not any(with_attachment):
            with_attachment[0] = True
        large_on = self.rng.randrange(plan.tickets) if plan.large_attachment_bytes else None
        attachments = sum(with_attachment) + (large_on is not None)
        if attachments:
            self.next_attachment = self._reserve("attachments", fd.ATTACHMENT_ID_START, attachments)
        for index in range(plan.tickets):
            self._ticket(
                number=first + index,
                index=index,
                comments=planned_comments[index],
                attachment=with_attachment[index],
                large=index == large_on,
                agents=agents,
                requester=self.rng.choice(requesters),
                contacts=contacts,
                groups=groups,
                fields=fields,
            )

    def _ticket(
        self,
        *,
        number: int,
        index: int,
        comments: int,
        attachment: bool,
        large: bool,
        agents: list[_User],
        requester: _User,
        contacts: list[_User],
        groups: list[dict[str, Any]],
        fields: list[dict[str, Any]],
    ) -> None:
        rng = self.rng
        created = self._ticket_created(index)
        responder = rng.choice(agents) if agents and rng.random() < 0.8 else None
        group = rng.choice(groups) if groups and rng.random() < 0.7 else None
        description = self._paragraphs(rng.randint(1, 3))
        if rng.random() < self.plan.inline_image_ratio:
            description += f'<p><img src="{INLINE_IMAGE}" alt="screenshot"></p>'
        data = fd._ticket_template()
        data.update(
            subject=f"{rng.choice(SUBJECTS)} (#{index + 1})",
            description=description,
            description_text=fd._text_of(description),
            status=rng.choice((2, 2, 3, 4, 5, 5)),
            priority=rng.choice((1, 1, 2, 2, 3, 4)),
            source=rng.choice((1, 1, 2, 3, 7, 9)),
            type=rng.choice((*fd.TICKET_TYPES, None)),
            requester_id=requester.number,
            responder_id=responder.number if responder else None,
            group_id=group["id"] if group else None,
            company_id=requester.company_id,
            tags=rng.sample(TAGS, k=rng.randint(0, 3)),
            custom_fields={
                definition["name"]: (
                    self._custom_value(definition, created=created) if rng.random() < 0.7 else None
                )
                for definition in fields
            },
            due_by=isoformat(created + timedelta(days=3)),
            fr_due_by=isoformat(created + timedelta(days=1)),
        )
        if contacts and rng.random() < 0.15:
            cc = rng.choice(contacts).email
            if cc != requester.email:
                data.update(cc_emails=[cc], reply_cc_emails=[cc], ticket_cc_emails=[cc])
        # A ticket's one small attachment is on its description or on one of its comments.
        on_description = attachment and (comments <= 1 or rng.random() < 0.5)
        if on_description:
            data["attachments"].append(self._attachment(moment=created))
        if large:
            size = min(self.plan.large_attachment_bytes or 0, fd.MAX_ATTACHMENTS_BYTES)
            data["attachments"].append(self._attachment(moment=created, size=size))
        last = self._conversations(
            ticket=number,
            created=created,
            count=comments - 1,
            requester=requester,
            responder=responder,
            agents=agents,
            stats=data["stats"],
            attachment=attachment and not on_description,
        )
        updated = self._later(last, max_hours=2)
        self._ticket_stats(data, updated=updated)
        self._store("tickets", number, data, created=created, updated=updated)

    def _ticket_stats(self, data: dict[str, Any], *, updated: datetime) -> None:
        stats, moment = data["stats"], isoformat(updated)
        stats["status_updated_at"] = moment
        if data["status"] == fd.STATUS_PENDING:
            stats["pending_since"] = moment
        if data["status"] in (fd.STATUS_RESOLVED, fd.STATUS_CLOSED):
            stats["resolved_at"] = moment
        if data["status"] == fd.STATUS_CLOSED:
            stats["closed_at"] = moment

    def _conversations(
        self,
        *,
        ticket: int,
        created: datetime,
        count: int,
        requester: _User,
        responder: _User | None,
        agents: list[_User],
        stats: dict[str, Any],
        attachment: bool,
    ) -> datetime:
        """The ticket's replies and notes after its description; returns the last one's time."""
        rng = self.rng
        moment = created
        with_attachment = rng.randrange(count) if attachment and count else None
        for position in range(count):
            moment = self._later(moment, max_hours=30)
            number = self.next_conversation
            self.next_conversation += 1
            agent = responder or (rng.choice(agents) if agents else None)
            kind = rng.choice(("reply", "reply", "note", "customer")) if agent else "customer"
            data = fd._conversation_template()
            body = self._paragraphs(rng.randint(1, 2))
            data.update(body=body, body_text=fd._text_of(body), ticket_id=ticket)
            if kind == "customer":
                data.update(
                    incoming=True,
                    source=fd.REPLY_SOURCE,
                    user_id=requester.number,
                    from_email=requester.email,
                    to_emails=[self.support_email],
                )
                stats["requester_responded_at"] = isoformat(moment)
            elif kind == "reply":
                assert agent is not None
                data.update(
                    source=fd.REPLY_SOURCE,
                    category=3,
                    user_id=agent.number,
                    from_email=self.support_email,
                    to_emails=[requester.email],
                )
                stats["agent_responded_at"] = isoformat(moment)
                stats["first_responded_at"] = stats["first_responded_at"] or isoformat(moment)
            else:
                assert agent is not None
                data.update(private=rng.random() < 0.8, user_id=agent.number)
            if position == with_attachment:
                data["attachments"].append(self._attachment(moment=moment))
            self._store(
                "conversations", number, data, created=moment, updated=moment, parent=ticket
            )
        return moment

    # ------------------------------------------------------------------- knowledge base

    def _knowledge_base(self, agents: list[_User]) -> None:
        plan = self.plan
        categories = plan.article_categories or (1 if plan.article_sections or plan.articles else 0)
        folders = plan.article_sections or (1 if plan.articles else 0)
        if not categories:
            return
        first_category = self._reserve("solution_categories", fd.CATEGORY_ID_START, categories)
        first_folder = self._reserve("solution_folders", fd.FOLDER_ID_START, folders)
        first_article = self._reserve("solution_articles", fd.ARTICLE_ID_START, plan.articles)
        created = self._moment(days_ago_from=700, days_ago_to=650)
        for index in range(categories):
            data = fd._category_template()
            name = KB_CATEGORY_NAMES[index % len(KB_CATEGORY_NAMES)]
            if index >= len(KB_CATEGORY_NAMES):
                name += f" {index // len(KB_CATEGORY_NAMES) + 1}"
            data.update(name=name, description=f"Articles about {name.lower()}.")
            self._store(
                "solution_categories",
                first_category + index,
                data,
                created=created,
                updated=created,
            )
        folder_categories = []
        for index in range(folders):
            category = first_category + index % categories
            data = fd._folder_template()
            name = KB_FOLDER_NAMES[index % len(KB_FOLDER_NAMES)]
            if index >= len(KB_FOLDER_NAMES):
                name += f" {index // len(KB_FOLDER_NAMES) + 1}"
            data.update(
                name=name, description=f"{name} questions.", visibility=1, category_id=category
            )
            self._store(
                "solution_folders",
                first_folder + index,
                data,
                created=created,
                updated=created,
                parent=category,
            )
            folder_categories.append(category)
        for index in range(plan.articles):
            folder = first_folder + index % folders
            title = ARTICLE_TITLES[index % len(ARTICLE_TITLES)]
            if index >= len(ARTICLE_TITLES):
                title += f" ({index // len(ARTICLE_TITLES) + 1})"
            description = self._paragraphs(self.rng.randint(2, 4))
            data = fd._article_template()
            data.update(
                title=title,
                description=description,
                description_text=fd._text_of(description),
                # Every fourth article (from the second) is a draft.
                status=1 if index % 4 == 1 else 2,
                agent_id=self.rng.choice(agents).number if agents else None,
                folder_id=folder,
                category_id=folder_categories[index % folders],
                tags=self.rng.sample(TAGS, k=self.rng.randint(0, 2)),
                hits=self.rng.randint(0, 500),
            )
            article_created = self._moment(days_ago_from=640, days_ago_to=10)
            updated = self._later(article_created, max_hours=24 * 5)
            self._store(
                "solution_articles",
                first_article + index,
                data,
                created=article_created,
                updated=updated,
                parent=folder,
            )
