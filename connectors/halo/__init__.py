"""Halo (HaloITSM, HaloPSA, Halo Service Desk: one REST API): credentials, capabilities,
checklist.

Payload conversion lives in :mod:`connectors.halo.payloads`; the HTTP layer and the
client-credentials token in :mod:`~connectors.halo.client`, the source and target in
:mod:`~connectors.halo.connector`, the emulated API in :mod:`~connectors.halo.emulator` and
the seeded sandbox accounts in :mod:`~connectors.halo.sandbox` build on these declarations.

Halo is reached through two addresses shown under Configuration > Integrations > Halo API:
the resource server (the API, ``https://yourcompany.halopsa.com/api``) and the
authorization server (``https://yourcompany.halopsa.com/auth``), whose ``/token`` hands
out access tokens for an application's client id and secret. Hosted instances name their
tenant on that call.
"""

from __future__ import annotations

import re

from pydantic import SecretStr, field_validator

from connectors.addresses import account_address
from connectors.base import Capabilities, Credentials, TicketRequests, _, credential_field
from connectors.schema import Entity

KEY = "halo"
DISPLAY_NAME = "Halo"
HOSTED_DOMAIN = "halopsa.com"
API_PATH = "/api"


def normalise_server_url(value: str, *, suffix: str | None = None) -> str:
    """A Halo server address: scheme, host, port and path kept (Halo serves the API and the
    authorization server under paths of the instance), ``suffix`` added when missing.

    "acme" stands for ``https://acme.halopsa.com``.
    """
    address = account_address(
        value, hosted_domain=HOSTED_DOMAIN, example=f"https://yourcompany.{HOSTED_DOMAIN}"
    )
    path = address.path.rstrip("/")
    if suffix and not path.lower().endswith(suffix):
        path += suffix
    return address.origin + path


class HaloCredentials(Credentials):
    """An API application's client id and secret, and the two servers of the instance."""

    resource_server: str = credential_field(
        title=_("Resource server (API address)"),
        hint=_(
            "In Halo, open Configuration > Integrations > HaloPSA API (HaloITSM API, Halo "
            "Service Desk API) and copy the Resource Server, such as "
            "https://yourcompany.halopsa.com/api."
        ),
        placeholder="https://yourcompany.halopsa.com/api",
    )
    auth_server: str = credential_field(
        title=_("Authorization server"),
        hint=_(
            "On the same page (Configuration > Integrations > HaloPSA API), copy the "
            "Authorisation Server, such as https://yourcompany.halopsa.com/auth."
        ),
        placeholder="https://yourcompany.halopsa.com/auth",
    )
    client_id: str = credential_field(
        title=_("Client ID"),
        hint=_(
            "Configuration > Integrations > HaloPSA API > View Applications > New: choose "
            "Client ID and Secret (Services), give the application an agent with "
            "administrator rights and the 'all' permission, save and copy its Client ID."
        ),
        min_length=1,
    )
    client_secret: SecretStr = credential_field(
        title=_("Client secret"),
        hint=_(
            "Shown once beside the Client ID of the application you created under "
            "Configuration > Integrations > HaloPSA API > View Applications."
        ),
        secret=True,
        min_length=1,
    )
    tenant: str = credential_field(
        title=_("Tenant"),
        hint=_(
            "Only for instances Halo hosts: the tenant name shown on the HaloPSA API page "
            "(Configuration > Integrations > HaloPSA API). Leave empty otherwise."
        ),
        default="",
    )

    @field_validator("resource_server")
    @classmethod
    def _normalise_resource_server(cls, value: str) -> str:
        return normalise_server_url(value, suffix=API_PATH)

    @field_validator("auth_server")
    @classmethod
    def _normalise_auth_server(cls, value: str) -> str:
        return normalise_server_url(value)

    @field_validator("tenant")
    @classmethod
    def _tenant_word(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", value):
            raise ValueError("enter the tenant name without spaces, as Halo shows it")
        return value


#: Halo stores uploads in its database and refuses large ones; hosted instances allow about
#: 20 MB a file, which is kept as the limit.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
#: Halo's cloud limit: 500 calls in any 5 minutes per instance.
RATE_LIMIT_CALLS = 500
RATE_LIMIT_PERIOD_SECONDS = 300

CAPABILITIES = Capabilities(
    reads=frozenset(
        {
            Entity.ORGANIZATIONS,
            Entity.GROUPS,
            Entity.AGENTS,
            Entity.CONTACTS,
            Entity.TICKETS,
            Entity.ARTICLE_CATEGORIES,
            Entity.ARTICLE_SECTIONS,
            Entity.ARTICLES,
        }
    ),
    writes=frozenset(
        {
            Entity.ORGANIZATIONS,
            Entity.GROUPS,
            Entity.AGENTS,
            Entity.CONTACTS,
            Entity.TICKETS,
            Entity.ARTICLE_CATEGORIES,
            Entity.ARTICLE_SECTIONS,
            Entity.ARTICLES,
        }
    ),
    # Tickets keep their "date occurred", actions their date; actions show the author's
    # name but belong to the application's agent.
    keeps_original_dates=True,
    keeps_comment_authors=False,
    custom_fields=True,
    inline_images=False,
    tags=False,
    ccs=False,
    article_attachments=False,
    article_tags=False,
    article_translations=False,
    keeps_article_dates=True,
    max_attachment_bytes=MAX_ATTACHMENT_BYTES,
    can_create_agents=True,
    can_create_groups=True,
    rate_limit_per_minute=RATE_LIMIT_CALLS * 60 // RATE_LIMIT_PERIOD_SECONDS,
    # The list, then each ticket's actions and its attachments.
    read_calls_per_record={Entity.ARTICLES: 0.1},
    write_calls_per_record={Entity.ARTICLES: 1.0},
    # A page of 50 tickets, then the ticket's actions and its attachments listed, and one
    # download per attachment.
    ticket_reads=TicketRequests(ticket=2.11, attachment=1),
    # The ticket with its first action, one request per further action and one per file.
    ticket_writes=TicketRequests(ticket=0, comment=1, attachment=1),
    # Pages of 100 tickets; actions and attachments are listed per ticket_id only.
    ticket_read_floor=TicketRequests(ticket=2.01, attachment=1),
    # POST /Tickets and POST /Actions take arrays of objects (100 a request assumed:
    # Halo names no maximum); one upload per file.
    ticket_write_floor=TicketRequests(ticket=0.01, comment=0.01, attachment=1),
    particulars=(
        _(
            "Missing agents and teams can be created on Halo from the matching step; created "
            "agents get no licence or password until an administrator gives them one."
        ),
        _(
            "Comments become actions: public replies as notes visible to the user, private "
            "ones as notes hidden from the user. Each action shows its original author's "
            "name, but belongs to the agent of the API application."
        ),
        _("Ticket tags are not imported into Halo."),
        _("Knowledge base article statuses are mapped to Halo's draft, published and archived."),
    ),
)

API_APPLICATION_STEP = _(
    "Create an API application under Configuration > Integrations > HaloPSA API > View "
    "Applications > New, with Client ID and Secret (Services), an administrator agent "
    "and the 'all' permission."
)
#: Steps when Halo is the source.
SOURCE_CHECKLIST: tuple[str, ...] = (API_APPLICATION_STEP,)
#: Steps when Halo is the target.
CHECKLIST: tuple[str, ...] = (
    API_APPLICATION_STEP,
    _(
        "Turn off approval processes: Configuration > Tickets > Ticket Types > each type > "
        "Edit, set 'Start an approval process' to No and save."
    ),
    _(
        "Turn off AI features: Configuration > AI, set the default AI connection to None and "
        "turn off AI ticket matching and every other active AI feature."
    ),
    _(
        "Create the custom fields you want to keep (Configuration > Custom Objects > Custom "
        "Fields > New) before mapping fields."
    ),
    _(
        "Halo's sample users have no e-mail address: edit them or create the agents you need "
        "(Configuration > Teams & Agents > Agents > New), or let the migration create the "
        "missing ones."
    ),
)
