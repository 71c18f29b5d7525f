"""Zendesk Support and Help Center: credentials, capabilities, checklist.

Payload conversion lives in :mod:`connectors.zendesk.payloads`; the HTTP layer in
:mod:`~connectors.zendesk.client`, the source and target in
:mod:`~connectors.zendesk.connector`, the emulated API in :mod:`~connectors.zendesk.emulator`
and the seeded sandbox accounts in :mod:`~connectors.zendesk.sandbox` build on these
declarations.
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator, model_validator

from connectors.addresses import normalise_account_url
from connectors.base import Capabilities, Credentials, TicketRequests, _, credential_field
from connectors.schema import Entity

KEY = "zendesk"
DISPLAY_NAME = "Zendesk"
HOSTED_DOMAIN = "zendesk.com"


class ZendeskCredentials(Credentials):
    """An administrator's e-mail and API token, or an OAuth access token instead."""

    url: str = credential_field(
        title=_("Zendesk address"),
        hint=_("The address you sign in at, such as https://yourcompany.zendesk.com."),
        placeholder="https://yourcompany.zendesk.com",
    )
    email: str | None = credential_field(
        title=_("Administrator e-mail"),
        hint=_("The e-mail address of the Zendesk administrator the API token belongs to."),
        default=None,
        min_length=3,
    )
    api_token: SecretStr | None = credential_field(
        title=_("API token"),
        hint=_(
            "Admin Center > Apps and integrations > APIs > Zendesk API: turn on Token "
            "access, then Add API token and copy it before closing the window."
        ),
        secret=True,
        default=None,
        min_length=1,
    )
    oauth_token: SecretStr | None = credential_field(
        title=_("OAuth access token"),
        hint=_(
            "Only instead of the e-mail and API token: an OAuth access token of an "
            "administrator with the read and write scopes."
        ),
        secret=True,
        default=None,
        min_length=1,
    )

    @field_validator("url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_account_url(value, hosted_domain=HOSTED_DOMAIN)

    @field_validator("email")
    @classmethod
    def _plausible_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "@" not in value:
            raise ValueError("enter the administrator's e-mail address")
        return value.lower()

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> ZendeskCredentials:
        if self.oauth_token is None and (self.email is None or self.api_token is None):
            raise ValueError("enter the administrator's e-mail and API token, or an OAuth token")
        return self


MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

CAPABILITIES = Capabilities(
    reads=frozenset(Entity),
    writes=frozenset(Entity),
    # The ticket import API sets created_at/updated_at/solved_at and comment authors.
    keeps_original_dates=True,
    keeps_comment_authors=True,
    custom_fields=True,
    inline_images=True,
    tags=True,
    ccs=True,
    article_attachments=True,
    article_tags=True,
    article_translations=True,
    # Help Center article dates are read-only.
    keeps_article_dates=False,
    max_attachment_bytes=MAX_ATTACHMENT_BYTES,
    can_create_agents=True,
    can_create_groups=True,
    scope_kind=None,
    # Suite Team allows 200 requests a minute, higher plans more; the HTTP layer
    # follows the X-Rate-Limit headers Zendesk sends.
    rate_limit_per_minute=200,
    read_calls_per_record={Entity.TICKETS: 2.0, Entity.ARTICLES: 3.0},
    write_calls_per_record={Entity.TICKETS: 2.0, Entity.ARTICLES: 2.0},
    ticket_reads=TicketRequests(ticket=0.08, comment=0.001, attachment=1.0),
    # Tickets go 100 to a bulk import with their comments (connectors.zendesk.bulk): its
    # request and about two looks at the job it starts, shared by the 100; each file is
    # uploaded first, one request each.
    ticket_writes=TicketRequests(ticket=0.03, comment=0.0, attachment=1.0),
    particulars=(
        _(
            "Closed tickets cannot be changed after the import: a delta run leaves them as "
            "they are."
        ),
    ),
)

TOKEN_STEP = _(
    "Turn on token access in Admin Center > Apps and integrations > APIs > Zendesk API "
    "and keep the token until the migration is over."
)
#: Steps when Zendesk is the source.
SOURCE_CHECKLIST: tuple[str, ...] = (TOKEN_STEP,)
#: Steps when Zendesk is the target.
CHECKLIST: tuple[str, ...] = (
    TOKEN_STEP,
    _(
        "Deactivate triggers and automations that send e-mails: imported tickets that are "
        "not closed run triggers."
    ),
    _(
        "Agents created by the migration use seats of your plan; create them yourself first "
        "if you want to choose their roles."
    ),
    _("To import articles, Help Center must be activated and a permission group chosen."),
)
