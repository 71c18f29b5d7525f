"""The Teamwork Desk layer over :class:`connectors.http.HttpClient`: how to sign in, which
rate budget an account spends, plain messages for Teamwork Desk's refusals, its pages
(``page``/``pageSize`` answered with ``meta.page``), its ``filter`` parameter and the
three steps of a file upload.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from connectors.budgets import RateLimitHeaders
from connectors.errors import InvalidRecordError, MalformedResponseError, TransientError
from connectors.http import HttpClient
from connectors.messages import Message, gettext_noop, refused_record
from connectors.teamwork_desk import CAPABILITIES, KEY, TeamworkDeskCredentials
from connectors.teamwork_desk.payloads import PLATFORM, envelope_record, page_meta
from connectors.wire import MalformedPayloadError, envelope_items

logger = logging.getLogger(__name__)

API_PREFIX = "desk/api/v2/"
#: Teamwork Desk's per-minute limit, in every answer (apidocs.teamwork.com, Desk "Rate
#: Limiting"): ``X-Rate-Limit-Limit``, ``X-Rate-Limit-Remaining`` and
#: ``X-Rate-Limit-Reset`` (UTC epoch seconds); 429 until the window ends.
RATE_LIMIT_HEADERS = RateLimitHeaders(
    limit=("X-Rate-Limit-Limit",),
    remaining=("X-Rate-Limit-Remaining",),
    reset=("X-Rate-Limit-Reset",),
    window_seconds=60.0,
    default_limit=CAPABILITIES.rate_limit_per_minute,
)
#: Records per page the lists allow; more is quietly cut to this.
LIST_PAGE_MAX = 100
#: A body cut short is read again this many times before giving up (GETs only).
TRUNCATED_BODY_RETRIES = 2


def rate_budget_account(url: str) -> str:
    """The rate budget's account key: the Teamwork host (plus the path of a sandbox
    account, several of which share one host)."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/").lower()


def refused_message(credentials: TeamworkDeskCredentials) -> str:
    """What to tell the user when Teamwork Desk does not accept the credentials."""
    if credentials.oauth_token is not None:
        return "Teamwork Desk refused the OAuth access token: it may have expired or been revoked"
    return (
        "Teamwork Desk refused the API key: check it under your profile picture > View "
        "Profile > API Keys, and that it belongs to this site"
    )


def http_client_options(credentials: TeamworkDeskCredentials) -> dict[str, Any]:
    """What :meth:`ConnectorBase.open_http_client` needs to reach one Teamwork Desk site.

    An OAuth token goes as a bearer token; an API key as the Basic user name.
    """
    options: dict[str, Any] = {
        "base_url": credentials.url,
        "platform": KEY,
        "account": rate_budget_account(credentials.url),
        "rate_limit_headers": RATE_LIMIT_HEADERS,
        "status_messages": {
            401: refused_message(credentials),
            403: (
                "Teamwork Desk accepted the credentials but refused this operation: use "
                "an administrator's API key"
            ),
        },
    }
    if credentials.oauth_token is not None:
        token = credentials.oauth_token.get_secret_value()
        options["headers"] = {"Authorization": f"Bearer {token}"}
    else:
        assert credentials.api_key is not None
        # Basic authentication reads the API key as the user name; the password is unused.
        options["auth"] = (credentials.api_key.get_secret_value(), "X")
    return options


def filter_param(condition: Mapping[str, Any]) -> str:
    """The ``filter`` query parameter: a JSON object of ``{"field": {"$op": value}}``."""
    return json.dumps(condition, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class ListPage:
    """One page of a list: the whole answer (for ``included``), its records, the list's
    total and whether more pages follow."""

    payload: dict[str, Any]
    items: list[Any]
    count: int | None
    has_more: bool


class TeamworkDeskApi:
    """Calls under ``/desk/api/v2/`` of one site."""

    def __init__(self, *, http: HttpClient) -> None:
        self.http = http

    def get(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> Any:
        attempt = 0
        while True:
            response = self.http.request("GET", API_PREFIX + path, entity=entity, params=params)
            try:
                return _decoded(response)
            except MalformedResponseError:
                if attempt >= TRUNCATED_BODY_RETRIES:
                    raise
            attempt += 1
            logger.info(
                "Teamwork Desk answered GET %s with a body that is not JSON; asking again", path
            )

    def record(
        self, path: str, *, key: str, entity: str, params: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A single record and the answer's ``included``."""
        payload = self.get(path, entity=entity, params=params)
        included = payload.get("included") if isinstance(payload, dict) else None
        return envelope_record(payload, key=key, what=entity), included or {}

    def list_page(
        self,
        path: str,
        *,
        key: str,
        entity: str,
        page: int = 1,
        page_size: int = LIST_PAGE_MAX,
        params: Mapping[str, Any] | None = None,
    ) -> ListPage:
        query = {**(params or {}), "page": page, "pageSize": min(page_size, LIST_PAGE_MAX)}
        payload = self.get(path, entity=entity, params=query)
        items = envelope_items(payload, key=key, platform=PLATFORM, what=entity)
        count, has_more = page_meta(payload)
        return ListPage(payload=payload, items=items, count=count, has_more=has_more)

    def list_all(
        self, path: str, *, key: str, entity: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[ListPage]:
        """Every page of a list, in order."""
        page = 1
        while True:
            listed = self.list_page(path, key=key, entity=entity, page=page, params=params)
            yield listed
            if not listed.has_more:
                return
            page += 1

    def count(self, path: str, *, key: str, entity: str, params: Mapping[str, Any]) -> int:
        """The records of a list that match ``params``, from one record's page."""
        listed = self.list_page(path, key=key, entity=entity, page_size=1, params=params)
        if listed.count is None:
            raise MalformedPayloadError(
                Message(
                    gettext_noop("%(platform)s returned a list without 'meta.page.count'."),
                    {"platform": PLATFORM},
                ),
                field="meta.page.count",
            )
        return listed.count

    def post(self, path: str, *, entity: str, body: Mapping[str, Any]) -> Any:
        return self._write("POST", path, entity=entity, body=body)

    def put(self, path: str, *, entity: str, body: Mapping[str, Any]) -> Any:
        return self._write("PUT", path, entity=entity, body=body)

    def patch(self, path: str, *, entity: str, body: Mapping[str, Any]) -> Any:
        return self._write("PATCH", path, entity=entity, body=body)

    def delete(self, path: str, *, entity: str) -> None:
        self.http.delete(API_PREFIX + path, entity=entity)

    def upload(self, *, reference: Mapping[str, Any], file: IO[bytes], entity: str) -> int:
        """A file uploaded in Teamwork Desk's three steps; returns its id.

        The reference answers an upload URL with the form fields to send beside the file
        (an S3 browser upload: no account credentials go there), then the file is
        confirmed.
        """
        answer = self.post("files/ref.json", entity=entity, body=reference)
        target = answer.get("url") if isinstance(answer, dict) else None
        fields = answer.get("params") if isinstance(answer, dict) else None
        described = envelope_record(answer, key="file", what="file reference")
        file_id = described.get("id")
        if (
            not isinstance(target, str)
            or not isinstance(fields, dict)
            or not isinstance(file_id, int)
        ):
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "%(platform)s returned a file reference without its upload URL and fields."
                    ),
                    {"platform": PLATFORM},
                ),
                field="url",
            )
        form = {name: str(value) for name, value in fields.items() if value not in (None, "")}
        name = str(described.get("filename") or "file")
        content_type = str(fields.get("Content-Type") or "application/octet-stream")
        try:
            # The same key and policy again overwrite the same object: safe to repeat.
            self.http.request(
                "POST",
                target,
                entity=entity,
                data=form,
                files={"file": (name, file, content_type)},
                idempotent=True,
            )
        except InvalidRecordError as refused:
            raise InvalidRecordError(
                Message(
                    gettext_noop("Teamwork Desk's file storage refused the attachment '%(name)s'"),
                    {"name": str(name)},
                ),
                status=refused.status,
                detail=refused.detail,
            ) from refused
        self.patch(f"files/{file_id}.json", entity=entity, body={})
        return file_id

    # ------------------------------------------------------------------- internals

    def _write(self, method: str, path: str, *, entity: str, body: Mapping[str, Any]) -> Any:
        try:
            response = self.http.request(method, API_PREFIX + path, entity=entity, json=dict(body))
        except InvalidRecordError as refused:
            raise InvalidRecordError(
                refusal_message(refused, what=entity),
                status=refused.status,
                detail=refused.detail,
            ) from refused
        try:
            return _decoded(response)
        except MalformedResponseError as garbled:
            # The write went through but its answer did not arrive whole.
            raise TransientError(
                Message(
                    gettext_noop(
                        "Teamwork Desk's answer to saving the %(noun)s was cut short; the change "
                        "may or may not have been applied"
                    ),
                    {"noun": _noun(entity)},
                ),
                status=response.status_code,
                ambiguous=True,
            ) from garbled


def _decoded(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise MalformedResponseError(
            Message(
                gettext_noop(
                    "Teamwork Desk answered with something that is not valid JSON (HTTP "
                    "%(status_code)s, %(len)s bytes)"
                ),
                {"status_code": response.status_code, "len": len(response.content)},
            ),
            status=response.status_code,
        ) from None


_NOUNS = {
    "agents": "agent",
    "contacts": "customer",
    "tickets": "ticket",
    "tags": "tag",
    "attachments": "attachment",
    "article_categories": "help docs site",
    "article_sections": "help docs category",
    "articles": "help docs article",
}


def _noun(entity: str) -> str:
    """What one record of a call's entity label is called on Teamwork Desk."""
    return _NOUNS.get(entity, entity)


def error_details(error: InvalidRecordError) -> list[str]:
    """The ``detail`` of each entry of a Teamwork Desk error body (``{"errors": [...]}``)."""
    try:
        parsed = json.loads(error.detail) if error.detail else None
    except ValueError:
        return []
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    return [
        str(item["detail"])
        for item in errors or []
        if isinstance(item, dict) and item.get("detail")
    ]


def refusal_message(error: InvalidRecordError, *, what: str) -> Message | str:
    """A plain sentence from Teamwork Desk's errors: "Teamwork Desk refused the ticket:
    subject: must be set"."""
    details = error_details(error)
    if not details:
        return error.message or error.user_message
    return refused_record(platform="Teamwork Desk", what=_noun(what), answer="; ".join(details))
