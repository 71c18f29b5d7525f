"""Freshdesk (API v2): credentials, capabilities, checklist.

Payload conversion lives in :mod:`connectors.freshdesk.payloads`.
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator

from connectors.addresses import normalise_account_url
from connectors.base import Capabilities, Credentials, TicketRequests, _, credential_field
from connectors.schema import Entity

KEY = "freshdesk"
DISPLAY_NAME = "Freshdesk"
HOSTED_DOMAIN = "freshdesk.com"


class FreshdeskCredentials(Credentials):
    url: str = credential_field(
        title=_("Freshdesk address"),
        hint=_("The address of your help desk, such as https://yourcompany.freshdesk.com."),
        placeholder="https://yourcompany.freshdesk.com",
    )
    api_key: SecretStr = credential_field(
        title=_("API key"),
        hint=_(
            "Sign in as an administrator, click your profile picture > Profile settings, "
            "then View API key."
        ),
        secret=True,
        min_length=1,
    )

    @field_validator("url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_account_url(value, hosted_domain=HOSTED_DOMAIN)


#: Freshdesk refuses attachments that add up to more than 20 MB per ticket or note.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

CAPABILITIES = Capabilities(
    reads=frozenset(Entity),
    writes=frozenset(Entity),
    # The API sets created_at to the time of the call; the original dates are written
    # in a private note on each ticket and at the top of each comment instead.
    keeps_original_dates=False,
    # Notes and replies take a user_id.
    keeps_comment_authors=True,
    custom_fields=True,
    inline_images=True,
    tags=True,
    ccs=True,
    article_attachments=True,
    article_tags=True,
    article_translations=True,
    keeps_article_dates=False,
    max_attachment_bytes=MAX_ATTACHMENT_BYTES,
    can_create_agents=True,
    can_create_groups=True,
    scope_kind=None,
    # Growth plans allow 200 calls a minute, higher plans more; the HTTP layer follows
    # the X-RateLimit headers Freshdesk sends.
    rate_limit_per_minute=200,
    read_calls_per_record={Entity.ARTICLES: 1.0},
    write_calls_per_record={Entity.ARTICLES: 1.0},
    # A batch's share of its page of 50 tickets and look-ups, the ticket viewed with its
    # first ten conversations (include=conversations), and one download per attachment.
    ticket_reads=TicketRequests(ticket=1.04, attachment=1),
    # The ticket with the description's files, its dates note, then one request per
    # comment with its files.
    ticket_writes=TicketRequests(ticket=1, comment=1),
    # Pages of 100 tickets, then the ticket viewed with include=conversations (its first
    # ten conversations) or its conversations listed (100 a page): one request a ticket.
    ticket_read_floor=TicketRequests(ticket=1.01, attachment=1),
    # No bulk create: the ticket (the description and its files), then one reply or note
    # per further comment, files sent with them.
    ticket_write_floor=TicketRequests(ticket=0, comment=1),
    particulars=(
        _(
            "Freshdesk cannot backdate tickets or comments: the original dates are written "
            "in a private note on each ticket and at the top of each comment."
        ),
        _(
            "Agents' public answers arrive as public notes, not replies: Freshdesk e-mails "
            "every reply to the customer."
        ),
    ),
)

CHECKLIST: tuple[str, ...] = (
    _(
        "Turn off automations (ticket creation, ticket updates, time triggers) under "
        "Admin > Workflows > Automations."
    ),
    _("Turn off e-mail notifications to requesters and agents under Admin > Email Notifications."),
    _(
        "Agents created by the migration use seats of your plan; add them yourself first "
        "if you want to choose their roles."
    ),
)
