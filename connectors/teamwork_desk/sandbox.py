"""The Teamwork Desk sandbox: accounts on the emulator, seeded straight into its storage.

Seeding writes the emulator's own JSON (the templates of :mod:`.emulator`) with bulk
inserts, and reserves the ids it uses so that the API's later ids follow them. It is
deterministic for a plan: ``random.Random(plan.seed)`` draws everything, and dates count
back from the start of the current day (UTC).

How a plan maps to Teamwork Desk: agents are users (the first one is the site owner the
credentials belong to), the inactive ones invited but not accepted yet, the deleted
ones deleted; organizations are companies, contacts customers; groups have no
counterpart and are left out; article categories are help docs sites, sections their
categories and articles their articles. Every account has two inboxes, "Support" and
"Sales".
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

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
    ARTICLE_TITLES,
    ATTACHMENT_KINDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    INLINE_IMAGE,
    LAST_NAMES,
    SENTENCES,
    SUBJECTS,
    TAGS,
    SandboxPlatform,
    SeedPlan,
    acme_agents,
    register_sandbox_platform,
)
from connectors.teamwork_desk import KEY
from connectors.teamwork_desk import emulator as tw

#: How far back the seeded history goes.
HISTORY = timedelta(days=730)
INBOX_NAMES = ("Support", "Sales")
SITE_NAMES = ("Help Center", "Developer docs", "Partner portal", "Internal wiki")
CATEGORY_NAMES = ("Basics", "Accounts", "Payments", "Devices", "Errors", "Security", "Mobile app")


def sandbox_api_key(slug: str) -> str:
    """The API key of a sandbox account: stable for a slug, so a reseeded account keeps it."""
    return "tw-sandbox-" + hashlib.sha256(f"teamwork-desk-sandbox:{slug}".encode()).hexdigest()[:24]


def sandbox_oauth_token(slug: str) -> str:
    return "twoauth-" + hashlib.sha256(f"teamwork-desk-oauth:{slug}".encode()).hexdigest()[:32]


@register_sandbox_platform
class TeamworkDeskSandbox(SandboxPlatform):
    key = KEY

    def account_create(
        self, *, slug: str, name: str, rate_limit_per_minute: int | None = None
    ) -> EmulatedAccount:
        account = account_get_or_create(
            platform=KEY,
            slug=slug,
            name=name,
            secrets={"api_key": sandbox_api_key(slug), "oauth_token": sandbox_oauth_token(slug)},
            rate_limit_per_minute=rate_limit_per_minute,
            latency_ms=0,
            fault_server_error_ratio=0.0,
            fault_timeout_ratio=0.0,
            fault_malformed_ratio=0.0,
            options={},
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
class _Person:
    number: int
    first_name: str
    last_name: str
    email: str
    company: int | None = None


@dataclass
class _Seeder:
    """One seeding of one account: draws the objects, then writes them in bulk."""

    account: EmulatedAccount
    plan: SeedPlan
    rows: list[EmulatedRecord] = field(default_factory=list)
    next_file: int = 0
    next_message: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)  # noqa: S311 - sample data, not secrets
        today = timezone.now().astimezone(UTC)
        self.now = today.replace(hour=0, minute=0, second=0, microsecond=0)

    # ------------------------------------------------------------------- driver

    def run(self) -> None:
        inboxes = self._inboxes()
        agents = self._agents()
        companies = self._companies()
        customers = self._customers(companies)
        self._tickets(inboxes=inboxes, agents=agents, customers=customers)
        self._help_docs()
        EmulatedRecord.objects.bulk_create(self.rows, batch_size=500)

    # ------------------------------------------------------------------- helpers

    def _reserve(self, collection: str, count: int) -> int:
        """The first of ``count`` ids reserved for the records seeded into ``collection``."""
        start = tw.ID_STARTS[collection]
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
        data.update(id=number, createdAt=isoformat(created), updatedAt=isoformat(updated))
        data.setdefault("state", "active")
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

    # ------------------------------------------------------------------- site

    def _inboxes(self) -> list[int]:
        first = self._reserve("inboxes", len(INBOX_NAMES))
        created = self.now - HISTORY - timedelta(days=30)
        numbers = []
        for index, name in enumerate(INBOX_NAMES):
            data = tw.inbox_template(name=name, slug=self.account.slug)
            data["displayOrder"] = index
            self._store("inboxes", first + index, data, created=created, updated=created)
            numbers.append(first + index)
        return numbers

    def _agents(self) -> list[_Person]:
        """Acme's agents from ``plan.agents_offset``: the first is the site owner (the
        credentials' user); the last ones are deleted and those before them invited but
        not active yet."""
        plan = self.plan
        people = acme_agents(plan.agents_offset + plan.agents)[plan.agents_offset :]
        first = self._reserve("users", len(people))
        deleted_from = len(people) - plan.deleted_agents
        invited_from = deleted_from - plan.inactive_agents
        first_invite = self._reserve("agentinvites", max(0, deleted_from - invited_from))
        active: list[_Person] = []
        for index, person in enumerate(people):
            number = first + index
            first_name, _, last_name = person.name.partition(" ")
            created = self._moment(days_ago_from=750, days_ago_to=735)
            updated = self._later(created, max_hours=24 * 400)
            data = {
                "firstName": first_name,
                "lastName": last_name,
                "email": person.email,
                "role": "admin" if index == 0 else "agent",
                "isPartTime": False,
                "editMethod": "html",
                "avatarURL": "",
                "state": "deleted" if index >= deleted_from else "active",
            }
            self._store("users", number, data, created=created, updated=updated)
            if invited_from <= index < deleted_from:
                invite = {"state": "pending", "user": {"id": number, "type": "users"}}
                self._store(
                    "agentinvites",
                    first_invite + index - invited_from,
                    invite,
                    created=created,
                    updated=created,
                )
            elif index < invited_from:
                active.append(_Person(number, first_name, last_name, person.email))
        if people:
            self.account.options = {**self.account.options, "owner_user_id": first}
            self.account.save(update_fields=["options"])
        return active

    def _companies(self) -> list[dict[str, Any]]:
        count = self.plan.organizations
        first = self._reserve("companies", count)
        first_domain = self._reserve("domains", count)
        firsts, seconds = COMPANY_WORDS
        companies = []
        for index in range(count):
            name = f"{firsts[index % len(firsts)]} {seconds[(index // len(firsts)) % len(seconds)]}"
            if index >= len(firsts) * len(seconds):
                name += f" {index // (len(firsts) * len(seconds)) + 1}"
            created = self._moment(days_ago_from=800, days_ago_to=760)
            updated = self._later(created, max_hours=24 * 700)
            domain = {"name": name.lower().replace(" ", "-") + ".example"}
            self._store("domains", first_domain + index, domain, created=created, updated=created)
            data = tw.company_template()
            data.update(
                name=name,
                description=f"{name}, a customer since the start.",
                details="Key account." if self.rng.random() < 0.3 else "",
                website=f"https://{domain['name']}",
                domains=[{"id": first_domain + index, "type": "domains"}],
            )
            self._store("companies", first + index, data, created=created, updated=updated)
            companies.append(data)
        return companies

    def _customers(self, companies: list[dict[str, Any]]) -> list[_Person]:
        count = self.plan.contacts
        first = self._reserve("customers", count)
        first_address = self._reserve("contacts", count)
        customers: list[_Person] = []
        for index in range(count):
            number = first + index
            first_name = FIRST_NAMES[index % len(FIRST_NAMES)]
            last_name = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
            company = self.rng.choice(companies) if companies and self.rng.random() < 0.7 else None
            domain = company["website"].removeprefix("https://") if company else "mail.example"
            email = f"{first_name}.{last_name}{index}@{domain}".lower()
            # Before their first ticket; their details change at any time since.
            created = self._moment(days_ago_from=760, days_ago_to=731)
            updated = self._later(created, max_hours=24 * 760)
            address = {"type": "email", "value": email, "isMain": True}
            self._store(
                "contacts", first_address + index, address, created=created, updated=created
            )
            data = tw.customer_template()
            data.update(
                firstName=first_name,
                lastName=last_name,
                email=email,
                phone=f"+1 555 01{index:04d}" if self.rng.random() < 0.5 else "",
                jobTitle=self.rng.choice(("", "Buyer", "Office manager", "CTO")),
                company={"id": company["id"], "type": "companies"} if company else None,
                contacts=[
                    {"id": first_address + index, "type": "contacts", "meta": {"isMain": True}}
                ],
                _emails=[email],
            )
            self._store("customers", number, data, created=created, updated=updated)
            company_id = company["id"] if company else None
            customers.append(_Person(number, first_name, last_name, email, company_id))
        return customers

    # ------------------------------------------------------------------- tickets

    def _file(self, *, moment: datetime, size: int | None = None) -> int:
        """A generated file (its bytes come from its number) described as Teamwork Desk does."""
        number = self.next_file
        self.next_file += 1
        name, content_type = self.rng.choice(ATTACHMENT_KINDS)
        token = f"tw-{self.account.slug}-{number}"
        blob = blob_generated(
            account=self.account,
            token=token,
            file_name=name,
            content_type=content_type,
            size=size if size is not None else self.rng.randint(200, 40_000),
        )
        data = {
            "filename": name,
            "mimeType": content_type,
            "size": blob.size,
            "disposition": "attachment",
            "type": "attachment",
            "_blob": token,
            "id": number,
        }
        data["url"] = tw.file_url(self.account, data)
        self._store("files", number, data, created=moment, updated=moment)
        return number

    def _tickets(
        self, *, inboxes: list[int], agents: list[_Person], customers: list[_Person]
    ) -> None:
        plan = self.plan
        if not plan.tickets:
            return
        if not customers:
            raise ValueError("a Teamwork Desk sandbox with tickets needs contacts")
        first = self._reserve("tickets", plan.tickets)
        planned_messages = [
            self.rng.randint(*plan.comments_per_ticket) for _ in range(plan.tickets)
        ]
        self.next_message = self._reserve("messages", sum(planned_messages))
        with_attachment = [self.rng.random() < plan.attachment_ratio for _ in range(plan.tickets)]
        if plan.attachment_ratio > 0 and not any(with_attachment):
            with_attachment[0] = True
        large_on = self.rng.randrange(plan.tickets) if plan.large_attachment_bytes else None
        files = sum(with_attachment) + (large_on is not None)
        self.next_file = self._reserve("files", files)
        tags = self._tags()
        for index in range(plan.tickets):
            self._ticket(
                number=first + index,
                index=index,
                messages=planned_messages[index],
                attachment=with_attachment[index],
                large=index == large_on,
                inbox=inboxes[0] if self.rng.random() < 0.8 else inboxes[-1],
                agents=agents,
                customer=self.rng.choice(customers),
                tags=tags,
            )

    def _tags(self) -> list[int]:
        first = self._reserve("tags", len(TAGS))
        created = self.now - HISTORY
        for index, name in enumerate(TAGS):
            self._store(
                "tags",
                first + index,
                {"name": name, "color": "#8f8f8f"},
                created=created,
                updated=created,
            )
        return [first + index for index in range(len(TAGS))]

    def _ticket(
        self,
        *,
        number: int,
        index: int,
        messages: int,
        attachment: bool,
        large: bool,
        inbox: int,
        agents: list[_Person],
        customer: _Person,
        tags: list[int],
    ) -> None:
        rng = self.rng
        created = self._moment(days_ago_from=HISTORY.days, days_ago_to=0.5)
        agent = rng.choice(agents) if agents and rng.random() < 0.8 else None
        data = tw.ticket_template()
        data.update(
            subject=f"{rng.choice(SUBJECTS)} (#{index + 1})",
            inbox={"id": inbox, "type": "inboxes"},
            customer={"id": customer.number, "type": "customers"},
            company={"id": customer.company, "type": "companies"} if customer.company else None,
            agent={"id": agent.number, "type": "users"} if agent else None,
            status={"id": rng.choice((1, 1, 2, 3, 4, 5, 5)), "type": "ticketstatuses"},
            priority=(
                {"id": rng.choice((1, 1, 2, 2, 3, 4)), "type": "ticketpriorities"}
                if rng.random() < 0.8
                else None
            ),
            type={"id": rng.choice((1, 2, 3, 4)), "type": "tickettypes"}
            if rng.random() < 0.7
            else None,
            source={"id": rng.choice((1, 1, 2, 3, 4)), "type": "ticketsources"},
            tags=[{"id": tag, "type": "tags"} for tag in rng.sample(tags, k=rng.randint(0, 3))],
        )
        with_file = rng.randrange(messages) if attachment else None
        moment = created
        for position in range(messages):
            if position:
                moment = self._later(moment, max_hours=30)
            files = []
            if position == with_file:
                files.append(self._file(moment=moment))
            if large and position == 0:
                size = min(self.plan.large_attachment_bytes or 0, tw.MAX_MESSAGE_FILES_BYTES)
                files.append(self._file(moment=moment, size=size))
            self._message(
                ticket=data,
                ticket_number=number,
                position=position,
                moment=moment,
                customer=customer,
                agent=agent or (rng.choice(agents) if agents else None),
                files=files,
            )
        updated = self._later(moment, max_hours=2)
        data["messageCount"] = len(data["messages"])
        data["createdBy"] = {"id": customer.number, "type": "customers"}
        self._store("tickets", number, data, created=created, updated=updated)

    def _message(
        self,
        *,
        ticket: dict[str, Any],
        ticket_number: int,
        position: int,
        moment: datetime,
        customer: _Person,
        agent: _Person | None,
        files: list[int],
    ) -> None:
        rng = self.rng
        number = self.next_message
        self.next_message += 1
        kind = (
            "customer"
            if position == 0 or agent is None
            else rng.choice(("reply", "reply", "note", "customer"))
        )
        body = self._paragraphs(rng.randint(1, 3))
        if rng.random() < self.plan.inline_image_ratio:
            body += f'<p><img src="{INLINE_IMAGE}" alt="screenshot"></p>'
        data = tw.message_template()
        author = (
            {"id": customer.number, "type": "customers"}
            if kind == "customer" or agent is None
            else {"id": agent.number, "type": "users"}
        )
        data.update(
            message=body,
            threadType="note" if kind == "note" else "message",
            ticket={"id": ticket_number, "type": "tickets"},
            createdBy=author,
            files=[{"id": file, "type": "files"} for file in files],
        )
        self._store("messages", number, data, created=moment, updated=moment, parent=ticket_number)
        ticket["messages"].append({"id": number, "type": "messages"})
        ticket["files"].extend({"id": file, "type": "files"} for file in files)
        if kind != "note":
            ticket["previewText"] = tw._preview(body)

    # ------------------------------------------------------------------- help docs

    def _help_docs(self) -> None:
        plan = self.plan
        sites = plan.article_categories or (1 if plan.article_sections or plan.articles else 0)
        categories = plan.article_sections or (1 if plan.articles else 0)
        if not sites:
            return
        first_site = self._reserve("helpdocssites", sites)
        first_category = self._reserve("helpdocscategories", categories)
        first_article = self._reserve("helpdocarticles", plan.articles)
        created = self._moment(days_ago_from=700, days_ago_to=650)
        for index in range(sites):
            name = SITE_NAMES[index % len(SITE_NAMES)]
            if index >= len(SITE_NAMES):
                name += f" {index // len(SITE_NAMES) + 1}"
            data = tw.site_template()
            subdomain = f"{self.account.slug}-{name.lower().replace(' ', '-')}"
            data.update(
                name=name, description=f"Articles of the {name.lower()}.", subdomain=subdomain
            )
            self._store("helpdocssites", first_site + index, data, created=created, updated=created)
        category_sites = []
        for index in range(categories):
            site = first_site + index % sites
            # Categories after the first round nest under the first category of their site.
            parent = first_category + index % sites if index >= sites else None
            name = CATEGORY_NAMES[index % len(CATEGORY_NAMES)]
            if index >= len(CATEGORY_NAMES):
                name += f" {index // len(CATEGORY_NAMES) + 1}"
            data = tw.category_template()
            data.update(
                name=name,
                slug=name.lower().replace(" ", "-"),
                helpDocsSites_id=site,
                parent_id=parent,
                displayOrder=index,
            )
            self._store(
                "helpdocscategories", first_category + index, data, created=created, updated=created
            )
            category_sites.append(site)
        for index in range(plan.articles):
            category = first_category + index % categories
            site = category_sites[index % categories]
            title = ARTICLE_TITLES[index % len(ARTICLE_TITLES)]
            if index >= len(ARTICLE_TITLES):
                title += f" ({index // len(ARTICLE_TITLES) + 1})"
            data = tw.article_template()
            data.update(
                title=title,
                slug=title.lower().replace(" ", "-"),
                description=f"{title}, step by step.",
                contents=self._paragraphs(self.rng.randint(2, 4)),
                # Every fourth article (from the second) is a draft.
                status="draft" if index % 4 == 1 else "published",
                categories=[category],
                helpdocsite={"id": site, "type": "helpdocssites"},
                popularity=self.rng.randint(0, 500),
            )
            article_created = self._moment(days_ago_from=640, days_ago_to=10)
            updated = self._later(article_created, max_hours=24 * 5)
            self._store(
                "helpdocarticles",
                first_article + index,
                data,
                created=article_created,
                updated=updated,
                parent=site,
            )
