"""The Halo sandbox: instances on the emulator, seeded straight into its storage.

Every instance starts as Halo does, with its statuses, priorities and ticket types, the
agent its API application acts as ("API Application", the first agent) and the custom
fields "Order number" (text), "Product" (single choice), "Purchase date" (date) and
"Quantity" (integer), so fields of a seeded Zendesk source match some by title.

How a plan maps to Halo: groups are teams (named like Acme's teams elsewhere, so a target
with fewer teams matches some and misses the others), agents are agents (the inactive ones
disabled, the deleted ones deleted), organizations are clients, contacts users, tickets
tickets with their actions and attachments, article categories top-level FAQ lists,
sections the lists under them and articles knowledge base articles. Seeding is
deterministic for a plan: ``random.Random(plan.seed)`` draws everything, and dates count
back from the start of the current day (UTC).
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
    record_create,
)
from connectors.halo import KEY
from connectors.halo import emulator as he
from connectors.halo.payloads import WHO_AGENT, WHO_USER
from connectors.models import EmulatedAccount, EmulatedRecord
from connectors.sandbox import (
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    SandboxPlatform,
    SeedPlan,
    acme_agents,
    register_sandbox_platform,
)

API_AGENT_NAME = "API Application"
API_AGENT_EMAIL = "api@acme.example"
TEAM_NAMES = (
    "Billing", "Technical Support", "Returns", "Sales", "VIP", "Escalations", "Onboarding",
    "Shipping", "Partners", "Quality",
)  # fmt: skip
PRODUCTS = ("Laptop", "Phone", "Tablet", "Headphones", "Charger", "Smartwatch", "Router")
#: (FieldInfo type, inputtype, label, choices)
CUSTOM_FIELDS: tuple[tuple[int, int, str, tuple[str, ...]], ...] = (
    (0, 0, "Order number", ()),
    (2, 0, "Product", PRODUCTS),
    (4, 0, "Purchase date", ()),
    (0, 1, "Quantity", ()),
)
SUBJECTS = (
    "Printer on fire",
    "Cannot log in",
    "Laptop will not charge",
    "VPN drops every hour",
    "New starter needs an account",
    "Invoice is wrong",
)
SENTENCES = (
    "It started this morning after the update.",
    "I have already restarted it twice.",
    "Could you look into it as soon as possible?",
    "We have passed this on to the second line.",
    "Could you send us a screenshot of the error?",
    "This should be fixed now; let us know if it happens again.",
)
LIST_NAMES = ("Getting started", "Accounts", "Hardware", "Network", "Security", "Software")
ARTICLE_TITLES = (
    "How to reset your password",
    "Connect to the VPN",
    "Set up two-factor authentication",
    "Request new hardware",
    "Clear the browser cache",
)
ATTACHMENT_KINDS = (
    ("screenshot.png", "image/png"),
    ("logs.txt", "text/plain"),
    ("invoice.pdf", "application/pdf"),
)


def sandbox_client_id(slug: str) -> str:
    return "halo-sandbox-" + hashlib.sha256(f"halo-client:{slug}".encode()).hexdigest()[:16]


def sandbox_client_secret(slug: str) -> str:
    """The client secret of a sandbox instance: stable for a slug, so a reseeded instance
    keeps it."""
    return hashlib.sha256(f"halo-secret:{slug}".encode()).hexdigest()[:40]


def custom_fields_create(*, account: EmulatedAccount) -> None:
    for index, (kind, inputtype, label, choices) in enumerate(CUSTOM_FIELDS):
        number = he.ID_STARTS[he.FIELDS] + index
        data = {
            "id": number,
            "name": "CF" + label.replace(" ", ""),
            "label": label,
            "type": kind,
            "inputtype": inputtype,
            "mandatory": False,
            "inactive": False,
            "values": [{"id": i + 1, "name": name} for i, name in enumerate(choices)],
        }
        record_create(account=account, collection=he.FIELDS, number=number, data=data)
    numbers_reserve(
        account=account,
        collection=he.FIELDS,
        count=len(CUSTOM_FIELDS),
        start=he.ID_STARTS[he.FIELDS],
    )


@register_sandbox_platform
class HaloSandbox(SandboxPlatform):
    key = KEY

    def account_create(
        self, *, slug: str, name: str, rate_limit_per_minute: int | None = None
    ) -> EmulatedAccount:
        account = account_get_or_create(
            platform=KEY,
            slug=slug,
            name=name,
            secrets={
                "client_id": sandbox_client_id(slug),
                "client_secret": sandbox_client_secret(slug),
            },
            rate_limit_per_minute=rate_limit_per_minute,
            latency_ms=0,
            fault_server_error_ratio=0.0,
            fault_timeout_ratio=0.0,
            fault_malformed_ratio=0.0,
            options={},
        )
        account_reset(account=account)
        with transaction.atomic():
            he.base_objects_create(account=account)
            custom_fields_create(account=account)
            data = he.agent_template(name=API_AGENT_NAME, email=API_AGENT_EMAIL)
            first = numbers_reserve(account=account, collection=he.AGENTS, count=1)
            data["id"] = first
            record_create(account=account, collection=he.AGENTS, number=first, data=data)
        return account

    def credentials(self, *, account: EmulatedAccount, site_url: str) -> dict[str, Any]:
        base = self.base_url(account=account, site_url=site_url)
        return {
            "resource_server": f"{base}/api",
            "auth_server": f"{base}/auth",
            "client_id": account.secrets["client_id"],
            "client_secret": account.secrets["client_secret"],
        }

    def seed(self, *, account: EmulatedAccount, plan: SeedPlan) -> None:
        with transaction.atomic():
            _Seeder(account=account, plan=plan).run()


@dataclass
class _Seeder:
    """One seeding of one instance: draws the objects, then writes them in bulk."""

    account: EmulatedAccount
    plan: SeedPlan
    rows: list[EmulatedRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.plan.seed)  # noqa: S311 - sample data, not secrets
        today = timezone.now().astimezone(UTC)
        self.now = today.replace(hour=0, minute=0, second=0, microsecond=0)

    def run(self) -> None:
        teams = self._teams()
        agents = self._agents(teams)
        clients = self._clients()
        users = self._users(clients)
        self._tickets(agents=agents, teams=teams, users=users)
        self._knowledge_base(agents)
        EmulatedRecord.objects.bulk_create(self.rows, batch_size=500)

    # ------------------------------------------------------------------- helpers

    def _reserve(self, collection: str, count: int) -> int:
        start = he.ID_STARTS[collection]
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
        moment: datetime,
        parent: int | None = None,
    ) -> dict[str, Any]:
        data["id"] = number
        self.rows.append(
            EmulatedRecord(
                account=self.account,
                collection=collection,
                number=number,
                parent_number=parent,
                data=data,
                created_at=moment,
                updated_at=moment,
            )
        )
        return data

    def _moment(self, *, days_ago_from: float, days_ago_to: float) -> datetime:
        days = self.rng.uniform(days_ago_to, days_ago_from)
        return (self.now - timedelta(days=days)).replace(microsecond=0)

    def _paragraphs(self, count: int) -> str:
        return "".join(f"<p>{self.rng.choice(SENTENCES)}</p>" for _ in range(count))

    # ------------------------------------------------------------------- people

    def _teams(self) -> list[dict[str, Any]]:
        count = self.plan.groups
        first = self._reserve(he.TEAMS, count)
        teams = []
        for index in range(count):
            name = TEAM_NAMES[index % len(TEAM_NAMES)]
            if index >= len(TEAM_NAMES):
                name = f"{name} {index // len(TEAM_NAMES) + 1}"
            data = he.team_template(name=name)
            data["description"] = f"Tickets about {name.lower()}"
            moment = self._moment(days_ago_from=800, days_ago_to=790)
            teams.append(self._store(he.TEAMS, first + index, data, moment=moment))
        return teams

    def _agents(self, teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Acme's agents from ``plan.agents_offset``; the last ones deleted, those before
        them disabled."""
        plan = self.plan
        people = acme_agents(plan.agents_offset + plan.agents)[plan.agents_offset :]
        first = self._reserve(he.AGENTS, len(people))
        deleted_from = len(people) - plan.deleted_agents
        disabled_from = deleted_from - plan.inactive_agents
        active = []
        for index, person in enumerate(people):
            data = he.agent_template(name=person.name, email=person.email)
            if teams:
                team = teams[index % len(teams)]
                data["teams"] = [{"team_id": team["id"], "team_name": team["name"]}]
            data["isdisabled"] = disabled_from <= index < deleted_from
            data["is_deleted"] = index >= deleted_from
            moment = self._moment(days_ago_from=780, days_ago_to=760)
            stored = self._store(he.AGENTS, first + index, data, moment=moment)
            if index < disabled_from:
                active.append(stored)
        return active

    def _clients(self) -> list[dict[str, Any]]:
        count = self.plan.organizations
        first = self._reserve(he.CLIENTS, count)
        firsts, seconds = COMPANY_WORDS
        clients = []
        for index in range(count):
            name = f"{firsts[index % len(firsts)]} {seconds[(index // len(firsts)) % len(seconds)]}"
            if index >= len(firsts) * len(seconds):
                name += f" {index // (len(firsts) * len(seconds)) + 1}"
            data = he.client_template(name=name)
            data["website"] = "https://" + name.lower().replace(" ", "-") + ".example"
            moment = self._moment(days_ago_from=790, days_ago_to=770)
            clients.append(self._store(he.CLIENTS, first + index, data, moment=moment))
        return clients

    def _users(self, clients: list[dict[str, Any]]) -> list[dict[str, Any]]:
        count = self.plan.contacts
        first = self._reserve(he.USERS, count)
        users = []
        for index in range(count):
            name = (
                f"{FIRST_NAMES[index % len(FIRST_NAMES)]} "
                f"{LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]}"
            )
            client = self.rng.choice(clients) if clients else None
            domain = client["website"].removeprefix("https://") if client else "mail.example"
            email = f"{name.replace(' ', '.')}{index}@{domain}".lower()
            data = he.user_template(name=name, email=email)
            if client is not None:
                data.update(
                    client_id=client["id"], client_name=client["name"], site_id=client["id"]
                )
            if self.rng.random() < 0.5:
                data["phonenumber"] = f"+1 555 02{index:04d}"
            moment = self._moment(days_ago_from=760, days_ago_to=731)
            users.append(self._store(he.USERS, first + index, data, moment=moment))
        return users

    # ------------------------------------------------------------------- tickets

    def _tickets(
        self,
        *,
        agents: list[dict[str, Any]],
        teams: list[dict[str, Any]],
        users: list[dict[str, Any]],
    ) -> None:
        plan = self.plan
        if not plan.tickets:
            return
        if not users:
            raise ValueError("a Halo sandbox with tickets needs contacts")
        first = self._reserve(he.TICKETS, plan.tickets)
        planned = [self.rng.randint(*plan.comments_per_ticket) for _ in range(plan.tickets)]
        # The ticket's details are its first message: actions are the rest.
        next_action = self._reserve(he.ACTIONS, max(1, sum(count - 1 for count in planned)))
        with_attachment = [self.rng.random() < plan.attachment_ratio for _ in range(plan.tickets)]
        if plan.attachment_ratio > 0 and not any(with_attachment):
            with_attachment[0] = True
        large_on = self.rng.randrange(plan.tickets) if plan.large_attachment_bytes else None
        next_file = self._reserve(he.ATTACHMENTS, max(1, sum(with_attachment) + 1))
        statuses = [number for number, _name, _sequence in he.BASE_STATUSES]
        fields = [he.ID_STARTS[he.FIELDS] + index for index in range(len(CUSTOM_FIELDS))]
        for index in range(plan.tickets):
            number = first + index
            user = self.rng.choice(users)
            agent = self.rng.choice(agents) if agents and self.rng.random() < 0.8 else None
            team = self.rng.choice(teams) if teams and self.rng.random() < 0.7 else None
            opened = self._moment(days_ago_from=700, days_ago_to=1)
            moment = opened
            action_rows: list[tuple[int, datetime]] = []
            for _ in range(planned[index] - 1):
                moment = min(moment + timedelta(hours=self.rng.uniform(0.1, 48)), self.now)
                public = self.rng.random() < 0.7
                by_agent = agent is not None and self.rng.random() < 0.6
                data = he.action_template()
                data.update(
                    ticket_id=number,
                    note_html=self._paragraphs(self.rng.randint(1, 3)),
                    hiddenfromuser=not public,
                    who=agent["name"] if by_agent and agent else user["name"],
                    who_type=WHO_AGENT if by_agent else WHO_USER,
                    who_agentid=agent["id"] if by_agent and agent else None,
                    user_id=None if by_agent else user["id"],
                    emailfrom=(agent["email"] if by_agent and agent else user["emailaddress"]),
                    datetime=isoformat(moment),
                    actiondatecreated=isoformat(moment),
                )
                self._store(he.ACTIONS, next_action, data, moment=moment, parent=number)
                action_rows.append((next_action, moment))
                next_action += 1
            custom = []
            if plan.custom_fields:
                custom = [
                    {"id": fields[0], "name": "CFOrdernumber", "value": f"ORD-{index:05d}"},
                    {"id": fields[1], "name": "CFProduct", "value": self.rng.choice(PRODUCTS)},
                ]
            ticket = he.ticket_template()
            ticket.update(
                summary=f"{self.rng.choice(SUBJECTS)} #{index + 1}",
                details=self._paragraphs(self.rng.randint(1, 3)),
                status_id=self.rng.choice(statuses),
                priority_id=self.rng.randint(1, 4),
                tickettype_id=1,
                agent_id=agent["id"] if agent else None,
                team_id=team["id"] if team else None,
                team=team["name"] if team else "",
                client_id=user["client_id"],
                client_name=user["client_name"],
                user_id=user["id"],
                user_name=user["name"],
                user_email=user["emailaddress"],
                dateoccurred=isoformat(opened),
                last_update=isoformat(moment),
                customfields=custom,
            )
            self._store(he.TICKETS, number, ticket, moment=opened)
            if with_attachment[index]:
                action = self.rng.choice(action_rows) if action_rows else None
                self._file(
                    number=next_file,
                    ticket=number,
                    action=action[0] if action else None,
                    moment=action[1] if action else opened,
                )
                next_file += 1
            if index == large_on:
                self._file(
                    number=next_file,
                    ticket=number,
                    action=None,
                    moment=opened,
                    size=plan.large_attachment_bytes,
                )
                next_file += 1

    def _file(
        self,
        *,
        number: int,
        ticket: int,
        action: int | None,
        moment: datetime,
        size: int | None = None,
    ) -> None:
        name, content_type = self.rng.choice(ATTACHMENT_KINDS)
        blob = blob_generated(
            account=self.account,
            token=f"halo-{self.account.slug}-{number}",
            file_name=name,
            content_type=content_type,
            size=size if size is not None else self.rng.randint(200, 40_000),
        )
        data = he.attachment_data(blob=blob, ticket_id=ticket, action_id=action, moment=moment)
        self._store(he.ATTACHMENTS, number, data, moment=moment, parent=ticket)

    # ------------------------------------------------------------------- knowledge base

    def _knowledge_base(self, agents: list[dict[str, Any]]) -> None:
        plan = self.plan
        lists = plan.article_categories + plan.article_sections
        first = self._reserve(he.FAQ_LISTS, lists)
        moment = self._moment(days_ago_from=700, days_ago_to=650)
        tops = []
        for index in range(plan.article_categories):
            name = f"{LIST_NAMES[index % len(LIST_NAMES)]} {index + 1}"
            data = he.faq_list_template(name=name)
            data["sequence"] = index + 1
            tops.append(self._store(he.FAQ_LISTS, first + index, data, moment=moment))
        sections = []
        for index in range(plan.article_sections if tops else 0):
            top = tops[index % len(tops)]
            number = first + plan.article_categories + index
            # Every third list sits under the previous one: Halo nests FAQ lists freely.
            parent = sections[-1] if index % 3 == 2 and sections else top
            data = he.faq_list_template(name=f"Section {index + 1}", parent_id=parent["id"])
            data["sequence"] = index + 1
            sections.append(
                self._store(he.FAQ_LISTS, number, data, moment=moment, parent=parent["id"])
            )
        if not sections:
            return
        first_article = self._reserve(he.ARTICLES, plan.articles)
        for index in range(plan.articles):
            created = self._moment(days_ago_from=600, days_ago_to=10)
            updated = min(created + timedelta(days=self.rng.uniform(0, 30)), self.now)
            section = sections[index % len(sections)]
            status = self.rng.random()
            data = he.article_template()
            data.update(
                name=f"{ARTICLE_TITLES[index % len(ARTICLE_TITLES)]} ({index + 1})",
                description=self._paragraphs(self.rng.randint(2, 4)),
                faqlists=[{"id": section["id"]}],
                inactive=status < 0.1,
                approved=status >= 0.3,
                author_id=self.rng.choice(agents)["id"] if agents else None,
                datecreated=isoformat(created),
                last_update=isoformat(updated),
            )
            self._store(he.ARTICLES, first_article + index, data, moment=created)
