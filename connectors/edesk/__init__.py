"""eDesk (Open API v1): credentials, capabilities, checklist.

Payload conversion lives in :mod:`connectors.edesk.payloads`; the HTTP layer in
:mod:`~connectors.edesk.client`, the source and target in :mod:`~connectors.edesk.connector`,
the emulated API in :mod:`~connectors.edesk.emulator` and the seeded sandbox accounts in
:mod:`~connectors.edesk.sandbox` build on these declarations.
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator

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

KEY = "edesk"
DISPLAY_NAME = "eDesk"
HOSTED_DOMAIN = "edesk.com"
#: Every eDesk account is served by the same API host (developers.edesk.com: servers).
API_URL = "https://api.edesk.com"


class EdeskCredentials(Credentials):
    """An eDesk API token (sent as a Bearer token) and, for emulators only, another address."""

    api_token: SecretStr = credential_field(
        title=_("API token"),
        hint=_(
            "Signed in to eDesk as an administrator, open dashboard.edesk.com/api-token, "
            "generate a token with Full Access (a read-only one cannot import) and copy it. "
            "Tokens expire after 90 days unless you choose otherwise."
        ),
        secret=True,
        min_length=1,
    )
    api_url: str = credential_field(
        title=_("API address"),
        hint=_("Leave https://api.edesk.com unless you connect to a test copy of eDesk."),
        default=API_URL,
        placeholder=API_URL,
    )

    @field_validator("api_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_account_url(value, hosted_domain=HOSTED_DOMAIN)


#: eDesk refuses a file over 10 MB.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
#: Burst and refill of eDesk's token bucket (developers.edesk.com/reference/rate-limit).
RATE_LIMIT_BURST = 60
RATE_LIMIT_REFILL_PER_SECOND = 2

CAPABILITIES = Capabilities(
    reads=frozenset({Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS}),
    # Agents are matched by e-mail, never created: they are invited from eDesk's settings.
    writes=frozenset({Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS}),
    # Tickets and messages are written with their creation dates and authors.
    keeps_original_dates=True,
    keeps_comment_authors=True,
    custom_fields=False,
    inline_images=False,
    tags=False,
    ccs=False,
    max_attachment_bytes=MAX_ATTACHMENT_BYTES,
    can_create_agents=False,
    can_create_groups=False,
    scope_kind=ScopeKind.CHANNEL,
    # The bucket refills at 2 calls a second: 120 a minute once the burst is spent.
    rate_limit_per_minute=RATE_LIMIT_REFILL_PER_SECOND * 60,
    # The ticket with its messages in one request (up to 100), plus one upload per
    # attachment.
    ticket_writes=TicketRequests(ticket=1, attachment=1),
    # A page of 50 tickets lists its messages' ids; each message is read by its id.
    ticket_reads=TicketRequests(ticket=0.18, comment=1, attachment=1),
    # Pages of 100 tickets; messages only by id (GET /messages/{id}); downloads.
    ticket_read_floor=TicketRequests(ticket=0.01, comment=1, attachment=1),
    # POST /tickets takes the ticket with its messages; each file is uploaded once.
    ticket_write_floor=TicketRequests(ticket=1, attachment=1),
    particulars=(
        _("Attachments larger than 10 MB cannot be imported into eDesk: they are skipped."),
        _(
            "Custom fields cannot be imported as such: their values are written into a "
            "private note on each ticket."
        ),
        _(
            "An eDesk ticket has one customer: when a ticket has two requesters, every reply "
            "goes to the first one."
        ),
        _(
            "A contact deleted on the source arrives as its name followed by "
            "+without-email.com, since eDesk needs an address."
        ),
        _("Each full migration writes into one eDesk channel."),
    ),
)

#: Steps when eDesk is the source.
SOURCE_CHECKLIST: tuple[str, ...] = (
    _("Generate an API token and keep it until the migration is over."),
)
#: Steps when eDesk is the target.
CHECKLIST: tuple[str, ...] = (
    _("Importing into eDesk needs an eDesk free trial or an Enterprise plan."),
    _(
        "Invite every agent whose tickets you migrate under Settings > Company settings > "
        "Users > + Invite users, and make sure they accepted the invitation: agents are "
        "matched by e-mail and cannot be created by the migration."
    ),
    _(
        "Generate an API token with Full Access: a read-only token cannot import. Keep it "
        "until the migration is over."
    ),
    _("Choose the channel the tickets go to; run one full migration per channel."),
)
