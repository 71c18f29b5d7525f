"""The Zendesk layer over :class:`connectors.http.HttpClient`: how to sign in, which
rate budget an account spends, plain messages for Zendesk's refusals, and the walks
through Zendesk's paginated lists and exports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import urlsplit

from connectors.budgets import RateLimitHeaders
from connectors.errors import InvalidRecordError
from connectors.http import HttpClient
from connectors.messages import Message, gettext_noop
from connectors.wire import MalformedPayloadError
from connectors.zendesk import CAPABILITIES, KEY, ZendeskCredentials
from connectors.zendesk.payloads import PLATFORM

#: Zendesk's account-wide limit, in every Ticketing API answer (developer.zendesk.com,
#: "Best practices for avoiding rate limiting"): ``X-Rate-Limit`` / ``ratelimit-limit``,
#: ``X-Rate-Limit-Remaining`` / ``ratelimit-remaining``, and ``ratelimit-reset`` (seconds
#: until the minute starts again); a 429 carries ``Retry-After``.
RATE_LIMIT_HEADERS = RateLimitHeaders(
    limit=("X-Rate-Limit", "ratelimit-limit"),
    remaining=("X-Rate-Limit-Remaining", "ratelimit-remaining"),
    reset=("ratelimit-reset",),
    window_seconds=60.0,
    default_limit=CAPABILITIES.rate_limit_per_minute,
)
#: Records per page Zendesk allows on cursor-paginated lists and on show_many.
LIST_PAGE_MAX = 100
#: Records per page of the incremental exports.
EXPORT_PAGE_MAX = 1000


def rate_budget_account(url: str) -> str:
    """The rate budget's account key: the Zendesk host (plus the path of a sandbox account,
    several of which share one host)."""
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/").lower()


def refused_message(credentials: ZendeskCredentials) -> str:
    """What to tell the user when Zendesk does not accept the credentials."""
    if credentials.oauth_token is not None:
        return "Zendesk refused the OAuth token: it may have expired or been revoked"
    return (
        "Zendesk refused the e-mail and API token: check that token access is on in "
        "Admin Center > Apps and integrations > APIs and that the token still exists"
    )


def http_client_options(credentials: ZendeskCredentials) -> dict[str, Any]:
    """What :meth:`ConnectorBase.open_http_client` needs to reach one Zendesk account."""
    options: dict[str, Any] = {
        "base_url": credentials.url,
        "platform": KEY,
        "account": rate_budget_account(credentials.url),
        "rate_limit_headers": RATE_LIMIT_HEADERS,
    }
    if credentials.oauth_token is not None:
        options["headers"] = {
            "Authorization": f"Bearer {credentials.oauth_token.get_secret_value()}"
        }
    else:
        assert credentials.email is not None and credentials.api_token is not None
        options["auth"] = (f"{credentials.email}/token", credentials.api_token.get_secret_value())
    options["status_messages"] = {
        401: refused_message(credentials),
        403: (
            "Zendesk accepted the credentials but refused this operation: use an "
            "administrator's credentials"
        ),
    }
    return options


class ZendeskApi:
    """Calls to one Zendesk account, with the walks through its pages."""

    def __init__(self, *, http: HttpClient) -> None:
        self.http = http

    def get(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> Any:
        return _object(self.http.get(path, entity=entity, params=params), path=path)

    def post(self, path: str, *, entity: str, body: Any, idempotent: bool | None = None) -> Any:
        with _refusals_explained():
            answer = self.http.post(path, entity=entity, json=body, idempotent=idempotent)
        return _object(answer, path=path)

    def put(self, path: str, *, entity: str, body: Any, idempotent: bool | None = None) -> Any:
        with _refusals_explained():
            answer = self.http.put(path, entity=entity, json=body, idempotent=idempotent)
        return _object(answer, path=path)

    def upload(
        self,
        *,
        file_name: str,
        content: IO[bytes],
        size: int,
        content_type: str,
        token: str | None = None,
    ) -> tuple[str, str]:
        """Upload one file (``POST /api/v2/uploads``, the raw bytes as the body) under a new
        upload token, or add it to ``token``; returns the token and the file's content_url.

        Sending a file again under a new token only leaves an unused upload, which Zendesk
        drops after three days, so that upload is retried like a read. Added to ``token``,
        a file sent twice would be attached twice: that one is never sent again blindly
        (a lost answer is ambiguous, and the record is written again from its start).
        """
        params = {"filename": file_name, **({"token": token} if token else {})}
        payload = _object(
            self.http.post(
                "api/v2/uploads.json",
                entity="uploads",
                params=params,
                content=content,
                headers={"Content-Type": content_type, "Content-Length": str(size)},
                idempotent=token is None,
            ),
            path="api/v2/uploads.json",
        )
        upload = payload.get("upload")
        if not isinstance(upload, Mapping) or not isinstance(upload.get("attachment"), Mapping):
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "%(platform)s answered an upload without its token and attachment."
                    ),
                    {"platform": PLATFORM},
                ),
                field="upload",
            )
        return str(upload["token"]), str(upload["attachment"]["content_url"])

    def delete(self, path: str, *, entity: str) -> None:
        self.http.delete(path, entity=entity)

    def cursor_page(
        self,
        path: str,
        *,
        entity: str,
        page_size: int,
        after: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> tuple[Any, str | None, bool]:
        """One page of a cursor-paginated list: ``(payload, after_cursor, has_more)``."""
        query: dict[str, Any] = {**(params or {}), "page[size]": min(page_size, LIST_PAGE_MAX)}
        if after:
            query["page[after]"] = after
        payload = self.get(path, entity=entity, params=query)
        meta = payload.get("meta")
        if not isinstance(meta, Mapping) or "has_more" not in meta:
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "%(platform)s returned a list page without its cursor (meta.has_more)."
                    ),
                    {"platform": PLATFORM},
                ),
                field="meta",
            )
        has_more = bool(meta["has_more"])
        cursor = meta.get("after_cursor")
        if has_more and not cursor:
            raise MalformedPayloadError(
                Message(
                    gettext_noop(
                        "%(platform)s announced more records without a cursor (meta.after_cursor)."
                    ),
                    {"platform": PLATFORM},
                ),
                field="meta.after_cursor",
            )
        return payload, (str(cursor) if cursor else None), has_more

    def cursor_pages(
        self, path: str, *, entity: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[Any]:
        """Every page of a cursor-paginated list, largest pages first."""
        after: str | None = None
        while True:
            payload, after, has_more = self.cursor_page(
                path, entity=entity, page_size=LIST_PAGE_MAX, after=after, params=params
            )
            yield payload
            if not has_more:
                return

    def count(self, path: str, *, entity: str, params: Mapping[str, Any] | None = None) -> int:
        """A Support count endpoint's value (``{"count": {"value": n}}``)."""
        payload = self.get(path, entity=entity, params=params)
        count = payload.get("count")
        value = count.get("value") if isinstance(count, Mapping) else None
        if not isinstance(value, int):
            raise MalformedPayloadError(
                Message(
                    gettext_noop("%(platform)s returned a count without a number (count.value)."),
                    {"platform": PLATFORM},
                ),
                field="count.value",
            )
        return value


@contextmanager
def _refusals_explained() -> Iterator[None]:
    """A refused write says why in Zendesk's words (``details`` of a 422, ``message`` of a
    Help Center 400); the whole answer stays in the error's detail."""
    try:
        yield
    except InvalidRecordError as error:
        reasons = _refusal_reasons(error.detail)
        if not reasons:
            raise
        raise InvalidRecordError(
            Message(
                gettext_noop("Zendesk refused the record: %(join)s"), {"join": "; ".join(reasons)}
            ),
            status=error.status,
            detail=error.detail,
        ) from error


def _refusal_reasons(detail: str) -> list[str]:
    try:
        body = json.loads(detail)
    except ValueError:
        return []
    if not isinstance(body, Mapping):
        return []
    details = body.get("details")
    if isinstance(details, Mapping):
        return [
            str(problem["description"])
            for problems in details.values()
            if isinstance(problems, list)
            for problem in problems
            if isinstance(problem, Mapping) and problem.get("description")
        ]
    for key in ("message", "description", "error"):
        if isinstance(body.get(key), str) and body[key].strip():
            return [body[key].strip()]
    return []


def _object(payload: Any, *, path: str) -> Any:
    """Zendesk answers with JSON objects; anything else is not its API answering."""
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise MalformedPayloadError(
            Message(
                gettext_noop(
                    "%(platform)s answered %(path)s with something that is not a JSON object."
                ),
                {"platform": PLATFORM, "path": path},
            ),
            detail=repr(payload)[:200],
        )
    return payload
