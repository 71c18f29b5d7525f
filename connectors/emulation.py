"""What every platform emulator shares: accounts, ids, records, attachments' bytes, and
the behaviour of a real API around each call (latency, injected faults, per-minute rate
limits with 429 + Retry-After, authentication).

A platform's emulator (``connectors/<platform>/emulator.py``) describes itself with an
``EmulatorProfile`` and wraps each of its views in ``profile.endpoint``; its views only
deal with the platform's paths and JSON shapes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_started
from django.db import DatabaseError, connection, transaction
from django.db.models import F, JSONField, Model, QuerySet
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from connectors.models import EmulatedAccount, EmulatedBlob, EmulatedRecord, EmulatedSequence

BLOB_CHUNK_BYTES = 64 * 1024
# How long an injected "timeout" fault hangs before answering: longer than any client timeout.
TIMEOUT_FAULT_SECONDS = 35.0


class EmulatorError(Exception):
    """Stops a view with the platform's own error status and body."""

    def __init__(self, status: int, body: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


@dataclass(frozen=True)
class TokenBucket:
    """A limit of ``burst`` calls at once, refilled at ``refill_per_second`` (eDesk's kind)."""

    burst: int
    refill_per_second: float


@dataclass(frozen=True)
class EmulatorProfile:
    """How one platform's API behaves around every call."""

    platform: str
    #: The documented limit of the default plan, used when the account sets none.
    default_rate_limit_per_minute: int
    #: True when the request carries the account's credentials.
    authenticate: Callable[[HttpRequest, EmulatedAccount], bool]
    #: The platform's body for an error: (status, short code, message) -> JSON-able.
    error_body: Callable[[int, str, str], Any]
    #: Extra headers announcing the rate limit: (limit, remaining, seconds to reset) -> headers.
    rate_limit_headers: Callable[[int, int, int], dict[str, str]] = field(
        default=lambda limit, remaining, reset: {}
    )
    #: The documented bucket of a platform limited by burst and refill rather than per
    #: window; an account's ``rate_limit_per_minute`` then sets a bucket of that many
    #: calls refilled over ``options["rate_window_seconds"]`` (60 by default), and
    #: ``options["rate_burst"]``/``options["rate_refill_per_second"]`` set one outright.
    token_bucket: TokenBucket | None = None
    #: The window of the default plan's limit, for platforms that count over more than a
    #: minute (Halo: 500 calls in 300 seconds). An account's own ``rate_limit_per_minute``
    #: keeps a 60-second window unless ``options["rate_window_seconds"]`` says otherwise.
    default_rate_window_seconds: float = 60.0

    def error(self, status: int, code: str, message: str, **headers: str) -> EmulatorError:
        return EmulatorError(status, self.error_body(status, code, message), headers=headers)

    def endpoint(self, view: Callable[..., Any]) -> Callable[..., HttpResponseBase]:
        """Wrap a view ``view(request, account, **kwargs)`` returning JSON-able data, an
        response, or ``(status, data)``."""

        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, account_slug: str, **kwargs: Any) -> HttpResponseBase:
            if request.method not in ("GET", "HEAD"):
                _fast_commits()
                if request.content_type == "application/json":
                    # A platform's own limits apply, not the site's: a JSON body may carry
                    # a file in base64 (Halo) far above DATA_UPLOAD_MAX_MEMORY_SIZE.
                    request._body = request.read()  # type: ignore[attr-defined]
            return answer(request, account_slug, **kwargs)

        def answer(request: HttpRequest, account_slug: str, **kwargs: Any) -> HttpResponseBase:
            account = account_find(platform=self.platform, slug=account_slug)
            if account is None:
                return _json(404, self.error_body(404, "AccountNotFound", "No such account."))
            if account.latency_ms:
                time.sleep(account.latency_ms / 1000)
            extra_headers: dict[str, str] = {}
            try:
                extra_headers = self._spend_rate_budget(account)
                fault = _draw_fault(account)
                if fault == "timeout":
                    time.sleep(TIMEOUT_FAULT_SECONDS)
                if fault == "server_error":
                    raise self.error(
                        random.choice([500, 502, 503]),  # noqa: S311
                        "ServerError",
                        "Something went wrong on our side.",
                    )
                if not self.authenticate(request, account):
                    raise self.error(401, "Unauthorized", "Couldn't authenticate you")
                result = view(request, account, **kwargs)
            except EmulatorError as error:
                response = _json(error.status, error.body)
                for name, value in {**extra_headers, **error.headers}.items():
                    response[name] = value
                return response
            if isinstance(result, HttpResponseBase):
                response = result
            elif isinstance(result, tuple):
                status, body = result
                response = _json(status, body)
            else:
                response = _json(200, result)
            if fault == "malformed" and not isinstance(response, StreamingHttpResponse):
                response.content = response.content[: max(1, len(response.content) // 2)]
            for name, value in extra_headers.items():
                response[name] = value
            return response

        return wrapped

    def _spend_rate_budget(self, account: EmulatedAccount) -> dict[str, str]:
        """Count the call in the account's current window; past the limit, answer 429."""
        if self.token_bucket is not None:
            return self._spend_token(account)
        limit = account.rate_limit_per_minute
        default_window = 60.0
        if limit is None:
            limit = self.default_rate_limit_per_minute
            default_window = self.default_rate_window_seconds
        if not limit:
            return {}
        # Tests shorten the window ("rate_window_seconds") to see a reset without waiting.
        window_seconds = float(account.options.get("rate_window_seconds", default_window))
        now = time.time()
        window = int(now // window_seconds)
        reset_in = max(1, math.ceil((window + 1) * window_seconds - now))
        key = f"emulator-rate:{self.platform}:{account.pk}:{window}"
        # The count outlives its window, however long the window is.
        keep = max(120, math.ceil(window_seconds * 2))
        cache.add(key, 0, timeout=keep)
        try:
            used = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=keep)
            used = 1
        remaining = max(0, limit - used)
        headers = self.rate_limit_headers(limit, remaining, reset_in)
        if used > limit:
            raise self.error(
                429,
                "TooManyRequests",
                "Rate limit exceeded.",
                **{"Retry-After": str(reset_in), **headers},
            )
        return headers

    def account_bucket(self, account: EmulatedAccount) -> TokenBucket | None:
        """The bucket an account's calls draw from; ``None`` when unlimited."""
        assert self.token_bucket is not None
        options = account.options
        if "rate_burst" in options or "rate_refill_per_second" in options:
            return TokenBucket(
                burst=int(options.get("rate_burst", self.token_bucket.burst)),
                refill_per_second=float(
                    options.get("rate_refill_per_second", self.token_bucket.refill_per_second)
                ),
            )
        limit = account.rate_limit_per_minute
        if limit is None:
            return self.token_bucket
        if not limit:
            return None
        window_seconds = float(options.get("rate_window_seconds", 60))
        return TokenBucket(burst=limit, refill_per_second=limit / window_seconds)

    def _spend_token(self, account: EmulatedAccount) -> dict[str, str]:
        """Take a token from the account's bucket; an empty bucket answers 429 with the
        wait until the next token.

        The bucket is kept as one number, the moment it will be full again ("generic
        cell rate algorithm"): a call is let through while that moment is less than a
        full bucket ahead, and pushes it one refill interval further.
        """
        bucket = self.account_bucket(account)
        if bucket is None:
            return {}
        interval = 1 / bucket.refill_per_second
        # A microsecond over the burst: sums of epoch seconds round, and must not refuse
        # the last token of a burst.
        capacity = bucket.burst * interval + 1e-6
        key = f"emulator-bucket:{self.platform}:{account.pk}"
        # The cache has no compare-and-set; a lock keeps the read and the write together
        # for the threads of one process (the sandbox's server).
        with _bucket_lock:
            now = time.time()
            full_at = max(float(cache.get(key) or 0.0), now)
            if full_at + interval - now > capacity:
                wait = full_at + interval - now - capacity
                headers = self.rate_limit_headers(bucket.burst, 0, math.ceil(full_at - now))
                raise self.error(
                    429,
                    "TooManyRequests",
                    "Rate limit exceeded.",
                    **{"Retry-After": str(max(1, math.ceil(wait))), **headers},
                )
            full_at += interval
            cache.set(key, full_at, timeout=math.ceil(full_at - now) + 1)
        remaining = math.floor((capacity - (full_at - now)) / interval)
        return self.rate_limit_headers(bucket.burst, remaining, math.ceil(full_at - now))


_bucket_lock = threading.Lock()


SANDBOX_PATH_PREFIX = "/sandbox/"
#: Set on a thread's database wrapper: the raw connection its emulated writes switched
#: to commits that do not wait for the disk.
_FAST_COMMITS_ON = "emulator_fast_commits_on"


def _fast_commits() -> None:
    """An emulated help desk's writes need not wait for the disk: a crash of the
    database may lose its last moments, never the site's own data. The setting is the
    session's; it stays for the connection's next emulated calls (one statement the
    less each) and is put back before the connection serves a request of the site
    (:func:`_site_commits_durable`)."""
    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    raw = connection.connection
    if getattr(connection, _FAST_COMMITS_ON, None) is raw:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    if not connection.in_atomic_block:  # else a rollback may take the setting back
        setattr(connection, _FAST_COMMITS_ON, raw)


@receiver(request_started)
def _site_commits_durable(
    sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    if environ is not None and environ.get("PATH_INFO", "").startswith(SANDBOX_PATH_PREFIX):
        return
    raw = getattr(connection, _FAST_COMMITS_ON, None)
    if raw is None:
        return
    setattr(connection, _FAST_COMMITS_ON, None)
    if raw is not connection.connection:
        return  # closed or replaced since: a new session starts with the defaults
    try:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    except DatabaseError:
        # Not put back (a failed transaction): the connection goes, and the setting.
        connection.close()


def _draw_fault(account: EmulatedAccount) -> str | None:
    draw = random.random()  # noqa: S311
    for fault, ratio in (
        ("server_error", account.fault_server_error_ratio),
        ("timeout", account.fault_timeout_ratio),
        ("malformed", account.fault_malformed_ratio),
    ):
        if draw < ratio:
            return fault
        draw -= ratio
    return None


def _json(status: int, body: Any) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, encoder=DjangoJSONEncoder)


def request_json(request: HttpRequest, profile: EmulatorProfile) -> dict[str, Any]:
    """The request's JSON body, or the platform's 400 for a body that is not JSON."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise profile.error(400, "InvalidJSON", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise profile.error(400, "InvalidJSON", "The request body must be a JSON object.")
    return body


# --- Accounts, ids and records ------------------------------------------------------------


def account_get_or_create(
    *, platform: str, slug: str, name: str, secrets: dict[str, str], **fields: Any
) -> EmulatedAccount:
    account, _created = EmulatedAccount.objects.update_or_create(
        platform=platform, slug=slug, defaults={"name": name, "secrets": secrets, **fields}
    )
    return account


def account_reset(*, account: EmulatedAccount) -> None:
    """Forget every record, id and attachment of the account (re-seeding starts here)."""
    with transaction.atomic():
        EmulatedRecord.objects.filter(account=account).delete()
        EmulatedSequence.objects.filter(account=account).delete()
        EmulatedBlob.objects.filter(account=account).delete()


def number_next(*, account: EmulatedAccount, collection: str, start: int = 1) -> int:
    """The next id of a collection, unique even under concurrent requests.

    One statement (an upsert): the sequence's row is locked for no longer than it.
    """
    table = EmulatedSequence._meta.db_table
    with _plain_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, collection, last_number) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (account_id, collection) "
            f"DO UPDATE SET last_number = {table}.last_number + 1 RETURNING last_number",
            [account.pk, collection, start],
        )
        return int(cursor.fetchone()[0])


def numbers_reserve(
    *, account: EmulatedAccount, collection: str, count: int, start: int = 1
) -> int:
    """Reserve ``count`` consecutive ids of a collection and return the first one.

    Seeders that bulk-create records take their ids here, so that ids the API hands
    out afterwards (:func:`number_next`) follow them.
    """
    if count < 1:
        raise ValueError("reserve at least one id")
    with transaction.atomic():
        sequence, created = EmulatedSequence.objects.select_for_update().get_or_create(
            account=account, collection=collection, defaults={"last_number": start + count - 1}
        )
        if created:
            return start
        EmulatedSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + count)
        sequence.refresh_from_db(fields=["last_number"])
        return sequence.last_number - count + 1


def record_create(
    *,
    account: EmulatedAccount,
    collection: str,
    data: dict[str, Any],
    number: int | None = None,
    parent_number: int | None = None,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    id_start: int = 1,
) -> EmulatedRecord:
    if number is None:
        number = number_next(account=account, collection=collection, start=id_start)
    now = timezone.now()
    record = EmulatedRecord(
        account=account,
        collection=collection,
        number=number,
        parent_number=parent_number,
        data=data,
        created_at=created_at or now,
        updated_at=updated_at or created_at or now,
    )
    if not _plain_sql():
        record.save(force_insert=True)
        return record
    with _plain_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_RECORDS} (account_id, collection, number, parent_number, data, "  # noqa: S608
            "created_at, updated_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s) RETURNING id",
            [
                account.pk, collection, number, parent_number, json.dumps(data),
                record.created_at, record.updated_at,
            ],
        )  # fmt: skip
        record.pk = cursor.fetchone()[0]
    record._state.adding = False
    record._state.db = connection.alias
    return record


def record_data_save(record: EmulatedRecord) -> None:
    """Write a record's changed JSON and ``updated_at``."""
    if not _plain_sql():
        record.save(update_fields=["data", "updated_at"])
        return
    with _plain_cursor() as cursor:
        cursor.execute(
            f"UPDATE {_RECORDS} SET data = %s::jsonb, updated_at = %s WHERE id = %s",  # noqa: S608
            [json.dumps(record.data), record.updated_at, record.pk],
        )


def records(*, account: EmulatedAccount, collection: str) -> QuerySet[EmulatedRecord]:
    return EmulatedRecord.objects.filter(account=account, collection=collection).order_by("number")


def record_find(
    *, account: EmulatedAccount, collection: str | Sequence[str], number: int
) -> EmulatedRecord | None:
    """The record ``number`` of the collection (or of any of several)."""
    collections = [collection] if isinstance(collection, str) else list(collection)
    if not _plain_sql():
        return EmulatedRecord.objects.filter(
            account=account, collection__in=collections, number=number
        ).first()
    return _first_row(
        EmulatedRecord,
        "account_id = %s AND collection = ANY(%s) AND number = %s ORDER BY id",
        [account.pk, collections, number],
    )


def record_list(
    *, account: EmulatedAccount, collections: Sequence[str], numbers: Iterable[int] | None = None
) -> list[EmulatedRecord]:
    """The records of ``collections`` (only ``numbers`` when given), by number."""
    if not _plain_sql():
        found = EmulatedRecord.objects.filter(account=account, collection__in=list(collections))
        if numbers is not None:
            found = found.filter(number__in=list(numbers))
        return list(found.order_by("number"))
    where = "account_id = %s AND collection = ANY(%s)"
    params: list[Any] = [account.pk, list(collections)]
    if numbers is not None:
        where += " AND number = ANY(%s)"
        params.append(list(numbers))
    return _rows(EmulatedRecord, f"{where} ORDER BY number", params)


def record_first(*, account: EmulatedAccount, collection: str) -> EmulatedRecord | None:
    """The collection's record with the lowest id."""
    if not _plain_sql():
        return records(account=account, collection=collection).first()
    return _first_row(
        EmulatedRecord,
        "account_id = %s AND collection = %s ORDER BY number",
        [account.pk, collection],
    )


def record_numbers(
    *, account: EmulatedAccount, collections: Iterable[str], numbers: Iterable[int]
) -> set[int]:
    """Which of ``numbers`` name records of ``collections``."""
    collections, numbers = list(collections), list(numbers)
    if not _plain_sql():
        return set(
            EmulatedRecord.objects.filter(
                account=account, collection__in=collections, number__in=numbers
            ).values_list("number", flat=True)
        )
    with _plain_cursor() as cursor:
        cursor.execute(
            f"SELECT number FROM {_RECORDS} WHERE account_id = %s "  # noqa: S608
            "AND collection = ANY(%s) AND number = ANY(%s)",
            [account.pk, collections, numbers],
        )
        return {row[0] for row in cursor.fetchall()}


def record_get(
    *, account: EmulatedAccount, collection: str, number: int, profile: EmulatorProfile
) -> EmulatedRecord:
    record = record_find(account=account, collection=collection, number=number)
    if record is None:
        raise profile.error(404, "RecordNotFound", "Not found")
    return record


def sequence_started(*, account: EmulatedAccount, collection: str) -> bool:
    """Whether the collection has handed out an id (or the marker was set)."""
    if not _plain_sql():
        return EmulatedSequence.objects.filter(account=account, collection=collection).exists()
    return (
        _first_row(
            EmulatedSequence, "account_id = %s AND collection = %s", [account.pk, collection]
        )
        is not None
    )


def blob_find(*, token: str) -> EmulatedBlob | None:
    if not _plain_sql():
        return EmulatedBlob.objects.filter(token=token).first()
    return _first_row(EmulatedBlob, "token = %s", [token])


def account_find(*, platform: str, slug: str) -> EmulatedAccount | None:
    if not _plain_sql():
        return EmulatedAccount.objects.filter(platform=platform, slug=slug).first()
    return _first_row(EmulatedAccount, "platform = %s AND slug = %s", [platform, slug])


# The statements above run on nearly every emulated call. Building them with the ORM costs
# more CPU than the database spends answering them, so on PostgreSQL they are plain SQL
# (elsewhere the ORM's).
_RECORDS = EmulatedRecord._meta.db_table
_M = TypeVar("_M", bound=Model)


def _plain_sql() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def _plain_cursor() -> Iterator[Any]:
    """A cursor of the connection that sends the parameters apart from the statement:
    nothing is quoted in Python, and psycopg has PostgreSQL keep the plan of a statement
    run a few times. Django's query log and execute wrappers do not see its statements.
    On SQLite (numbers only), Django's cursor."""
    if not _plain_sql():
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


@functools.cache
def _select_of(model: type[Model]) -> tuple[str, tuple[str, ...], frozenset[str]]:
    fields = model._meta.concrete_fields
    columns = ", ".join(field.column for field in fields)
    json_names = frozenset(field.attname for field in fields if isinstance(field, JSONField))
    return (
        f"SELECT {columns} FROM {model._meta.db_table}",  # noqa: S608
        tuple(field.attname for field in fields),
        json_names,
    )


def _first_row(model: type[_M], where: str, params: list[Any]) -> _M | None:
    found = _rows(model, f"{where} LIMIT 1", params)
    return found[0] if found else None


def _rows(model: type[_M], where: str, params: list[Any]) -> list[_M]:
    select, names, json_names = _select_of(model)
    with _plain_cursor() as cursor:
        cursor.execute(f"{select} WHERE {where}", params)
        rows = cursor.fetchall()
    field_names = list(names)
    return [
        model.from_db(
            connection.alias,
            field_names,
            [
                json.loads(value) if name in json_names and isinstance(value, str) else value
                for name, value in zip(names, row, strict=True)
            ],
        )
        for row in rows
    ]


# --- Attachments' bytes --------------------------------------------------------------------


def _generated_chunks(*, seed: str, size: int) -> Iterator[bytes]:
    """Deterministic pseudo-random bytes: the same seed and size give the same file."""
    produced = 0
    counter = 0
    while produced < size:
        block = hashlib.sha256(f"{seed}:{counter}".encode()).digest() * (BLOB_CHUNK_BYTES // 32)
        take = min(len(block), size - produced)
        yield block[:take]
        produced += take
        counter += 1


def blob_generated(
    *, account: EmulatedAccount, token: str, file_name: str, content_type: str, size: int
) -> EmulatedBlob:
    """A seeded attachment whose bytes are produced when downloaded, never stored."""
    digest = hashlib.sha256()
    for chunk in _generated_chunks(seed=token, size=size):
        digest.update(chunk)
    return EmulatedBlob.objects.create(
        account=account,
        token=token,
        file_name=file_name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        seed=token,
    )


def blob_store(
    *,
    account: EmulatedAccount,
    token: str,
    file_name: str,
    content_type: str,
    chunks: Iterator[bytes],
) -> EmulatedBlob:
    """An uploaded attachment, written to the data folder as it arrives."""
    folder = Path(settings.DATA_DIR) / "emulator-blobs" / account.platform / account.slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / hashlib.sha256(token.encode()).hexdigest()
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as output:
        for chunk in chunks:
            output.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return EmulatedBlob.objects.create(
        account=account,
        token=token,
        file_name=file_name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        stored_path=str(path),
    )


def blob_chunks(blob: EmulatedBlob) -> Iterator[bytes]:
    if blob.stored_path:
        with open(blob.stored_path, "rb") as stored:
            while chunk := stored.read(BLOB_CHUNK_BYTES):
                yield chunk
    else:
        yield from _generated_chunks(seed=blob.seed, size=blob.size)


def blob_response(blob: EmulatedBlob) -> StreamingHttpResponse:
    response = StreamingHttpResponse(blob_chunks(blob), content_type=blob.content_type)
    response["Content-Length"] = str(blob.size)
    response["Content-Disposition"] = f'attachment; filename="{blob.file_name}"'
    return response


def isoformat(moment: datetime) -> str:
    """Dates as the platforms write them: UTC, seconds, a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
