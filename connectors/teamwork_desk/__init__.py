"""Teamwork Desk (API v2): credentials, capabilities, checklist.

Payload conversion lives in :mod:`connectors.teamwork_desk.payloads`; the HTTP layer in
:mod:`~connectors.teamwork_desk.client`, the source and target in
:mod:`~connectors.teamwork_desk.connector`, the emulated API in
:mod:`~connectors.teamwork_desk.emulator` and the seeded sandbox accounts in
:mod:`~connectors.teamwork_desk.sandbox` build on these declarations.
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator, model_validator

from connectors.addresses import normalise_account_url
from connectors.base import (
    Capabilities,
    Credentials,
    ScopeKind,
    TicketRequests,
    _,
    credential_field,
)
from connectors.schema import Entity

KEY = "teamwork_desk"
DISPLAY_NAME = "Teamwork Desk"
HOSTED_DOMAIN = "teamwork.com"


class TeamworkDeskCredentials(Credentials):
    """The site address and an API key, or an OAuth access token instead."""

    url: str = credential_field(
        title=_("Teamwork Desk address"),
        hint=_("The address of your Teamwork site, such as https://yourcompany.teamwork.com."),
        placeholder="https://yourcompany.teamwork.com",
    )
    api_key: SecretStr | None = credential_field(
        title=_("API key"),
        hint=_(
            "Sign in to Teamwork Desk as an administrator, click your profile picture > "
            "View Profile > API Keys, then Generate New API Key and copy it."
        ),
        secret=True,
        default=None,
        min_length=1,
    )
    oauth_token: SecretStr | None = credential_field(
        title=_("OAuth access token"),
        hint=_(
            "Only instead of the API key: the access token an app registered in the "
            "Teamwork Developer Portal received when an administrator signed in "
            "(App Login Flow)."
        ),
        secret=True,
        default=None,
        min_length=1,
    )

    @field_validator("url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_account_url(value, hosted_domain=HOSTED_DOMAIN)

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> TeamworkDeskCredentials:
        if self.api_key is None and self.oauth_token is None:
            raise ValueError("enter an API key or an OAuth access token")
        return self


#: "Each reply has a 20MB total size limit for attachments" (Teamwork Desk account limits).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

#: Steps shown beside agents that are missing or not active on Teamwork Desk: the API
#: cannot create agents, and an invited agent only becomes active once they accept.
MISSING_AGENT_INSTRUCTIONS = _(
    "Invite them in Teamwork Desk with the same e-mail address: People > Agents > Invite "
    "agents, enter their first and last name, e-mail address and agent type, click Next, "
    "choose their inboxes and click Send. Each agent must accept the invitation to become "
    "active; do not deactivate agents before the migration."
)

CAPABILITIES = Capabilities(
    reads=frozenset(
        {
            Entity.ORGANIZATIONS,
            Entity.AGENTS,
            Entity.CONTACTS,
            Entity.TICKETS,
            Entity.ARTICLE_CATEGORIES,
            Entity.ARTICLE_SECTIONS,
            Entity.ARTICLES,
        }
    ),
    # Agents are matched by e-mail, never created; companies and groups are not imported.
    writes=frozenset(
        {
            Entity.AGENTS,
            Entity.CONTACTS,
            Entity.TICKETS,
            Entity.ARTICLE_CATEGORIES,
            Entity.ARTICLE_SECTIONS,
            Entity.ARTICLES,
        }
    ),
    # Tickets and messages get the date of the call, and messages the API user as author.
    keeps_original_dates=False,
    keeps_comment_authors=False,
    custom_fields=False,
    inline_images=False,
    tags=True,
    ccs=False,
    article_attachments=False,
    article_tags=False,
    article_translations=False,
    keeps_article_dates=False,
    max_attachment_bytes=MAX_ATTACHMENT_BYTES,
    can_create_agents=False,
    can_create_groups=False,
    # A ticket may be assigned to any active agent: an unmatched agent's go to the default.
    default_agent_for_unmatched=True,
    scope_kind=ScopeKind.INBOX,
    # "Our API has a rate limit of 120 requests per minute" (Teamwork Desk rate limiting).
    rate_limit_per_minute=120,
    # A page of tickets comes with its messages, files and people in one call.
    read_calls_per_record={Entity.ARTICLES: 0.1},
    write_calls_per_record={Entity.ARTICLES: 1.0},
    # A page of 50 tickets carries their messages (included records); one download per
    # attachment.
    ticket_reads=TicketRequests(ticket=0.02, attachment=1),
    # The ticket, its marker's tag, one request per message and three per attachment
    # (file reference, upload, confirmation).
    ticket_writes=TicketRequests(ticket=2, comment=1, attachment=3),
    # Pages of 100 tickets with their messages included; downloads.
    ticket_read_floor=TicketRequests(ticket=0.01, attachment=1),
    # The ticket with its first message, one request per further message, a file in
    # three steps.
    ticket_write_floor=TicketRequests(ticket=0, comment=1, attachment=3),
    particulars=(
        _(
            "Agents are matched by e-mail address and cannot be created: the tickets of an "
            "agent who is not active on Teamwork Desk go to the default agent chosen in the "
            "matching step."
        ),
        MISSING_AGENT_INSTRUCTIONS,
        _(
            "Knowledge base articles get the date of the migration: Teamwork Desk sets the "
            "dates of help docs itself."
        ),
        _(
            "Every ticket goes into the inbox chosen for the migration: run one migration "
            "per inbox."
        ),
        _("Each message starts with its original date and author, which Teamwork Desk cannot set."),
    ),
)

RATE_LIMIT_STEP = _(
    "Ask Teamwork to raise your API rate limit before a large migration: the default "
    "is 120 requests a minute."
)
#: Steps when Teamwork Desk is the source.
SOURCE_CHECKLIST: tuple[str, ...] = (RATE_LIMIT_STEP,)
#: Steps when Teamwork Desk is the target.
CHECKLIST: tuple[str, ...] = (
    _(
        "Invite every agent who handled tickets with the same e-mail address (People > "
        "Agents > Invite agents) and make sure each one accepted the invitation."
    ),
    _(
        "Do not deactivate agents before the migration: their tickets would go to the "
        "default agent."
    ),
    _(
        "Turn off your notifications: click your profile picture > View Profile > "
        "Notifications, turn off every active notification and click Save."
    ),
    _(
        "Turn off the triggers of every inbox the migration writes to: profile picture > "
        "Settings > Inboxes > the inbox > Triggers."
    ),
    RATE_LIMIT_STEP,
)
