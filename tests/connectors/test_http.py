"""Tests of the one HTTP layer: guard, retries, 429s, budgets, errors, streaming."""

from __future__ import annotations

import base64
import email.utils
import io
import ipaddress
import itertools
import json
import logging
import multiprocessing
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from connectors.errors import (
    AuthenticationError,
    BlockedAddressError,
    ConnectorError,
    InvalidRecordError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnreachableError,
)
from connectors.http import (
    UNLIMITED_BLOCK_RECHECK_SECONDS,
    HttpClient,
    LocalRateBudget,
    RedisRateBudget,
    http_client_from_settings,
    rate_budget,
)

ACCOUNT_HOST = "acme.zendesk.test"
BASE_URL = f"https://{ACCOUNT_HOST}/api/v2/"
PUBLIC_ADDRESS = "93.184.215.14"
REDIS_URL = os.environ.get("REDIS_URL")

needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="set REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run Redis tests"
)


# ----------------------------------------------------------------------------- helpers


class FakeTime:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            socket.inet_aton(host)
        except OSError:
            return False
    return True


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Resolve test names from a table; anything else but IP literals does not resolve,
    so no test depends on (or reaches) the real DNS."""
    table: dict[str, Any] = {
        ACCOUNT_HOST: [PUBLIC_ADDRESS],
        "files.cdn.test": ["151.101.1.1"],
        "internal.acme.test": ["10.0.0.7"],
        "mixed.acme.test": [PUBLIC_ADDRESS, "10.0.0.8"],
    }
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else host
        if name in table:
            entry = table[name]
            addresses = entry() if callable(entry) else entry
            port_number = int(port or 0)
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port_number, 0, 0))
                if ":" in address
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port_number))
                for address in addresses
            ]
        if name is not None and _is_ip_literal(name):
            return real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def make_client(
    fake_dns: dict[str, Any], fake_time: FakeTime
) -> Iterator[Callable[..., HttpClient]]:
    """A client on a mock transport with fake time and its own in-process budget."""
    clients: list[HttpClient] = []

    def make(handler: Handler, **options: Any) -> HttpClient:
        settings: dict[str, Any] = {
            "base_url": BASE_URL,
            "platform": "zendesk",
            "account": f"acme-{uuid.uuid4().hex}",
            "transport": httpx.MockTransport(handler),
            "sleep": fake_time.sleep,
            "clock": fake_time.time,
            "rng": random.Random(1234),
            "max_retries": 3,
        }
        settings.update(options)
        client = HttpClient(**settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 that records when each request arrived."""

    def __init__(self, respond: Callable[[int], tuple[int, dict[str, str], bytes]]) -> None:
        self.arrivals: list[float] = []
        self.request_headers: list[dict[str, str]] = []
        lock = threading.Lock()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; Nagle would hold the body
            # back for the client's delayed ACK.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                with lock:
                    server.arrivals.append(time.monotonic())
                    server.request_headers.append(dict(self.headers))
                    index = len(server.arrivals) - 1
                status, headers, body = respond(index)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def loopback() -> Iterator[Callable[..., LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(respond: Callable[[int], tuple[int, dict[str, str], bytes]]) -> LoopbackServer:
        server = LoopbackServer(respond)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def json_ok(_index: int) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, b'{"ok": true}'


def max_in_any_window(times: list[float], period: float) -> int:
    """The most events that fall in any half-open window of ``period`` seconds."""
    ordered = sorted(times)
    most = 0
    first = 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - period:
            first += 1
        most = max(most, last - first + 1)
    return most


def sequence(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that gives the answers in turn (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def unused_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -------------------------------------------------------------------------- SSRF guard


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1/", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]/", "::1"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),
        ("http://[::ffff:127.0.0.1]:8080/", "::ffff:127.0.0.1"),
        ("http://2130706433/", "2130706433 (127.0.0.1)"),
        ("http://0x7f000001/", "0x7f000001 (127.0.0.1)"),
        ("http://127.1/", "127.1 (127.0.0.1)"),
        # The unspecified address under test; nothing binds to it.
        ("http://0.0.0.0/", "0.0.0.0"),  # noqa: S104
        ("http://[::]/", "::"),
        ("http://192.168.1.10/", "192.168.1.10"),
        ("http://100.64.0.1/", "100.64.0.1"),
        ("http://224.0.0.1/", "224.0.0.1"),
        ("http://240.0.0.1/", "240.0.0.1"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://[fd00::1]/", "fd00::1"),
        ("http://[64:ff9b::a00:1]/", "64:ff9b::a00:1"),
        ("http://[2002:a9fe:a9fe::]/", "2002:a9fe:a9fe::"),
        ("http://internal.acme.test/api", "internal.acme.test (10.0.0.7)"),
        ("http://mixed.acme.test/api", "mixed.acme.test (10.0.0.8)"),
    ],
)
def test_guard_refuses_private_and_local_addresses(
    make_client: Callable[..., HttpClient], url: str, shown: str
) -> None:
    handler, seen = sequence(httpx.Response(200, json={}))
    client = make_client(handler)

    with pytest.raises(BlockedAddressError) as raised:
        client.get(url)

    assert raised.value.user_message == (
        f"refusing to connect to {shown}: it is a private or local address; "
        "an operator can allow private networks in the settings"
    )
    assert seen == [], "the refused request must never reach the transport"


def test_guard_refuses_a_private_base_url(make_client: Callable[..., HttpClient]) -> None:
    handler, seen = sequence(httpx.Response(200, json={}))
    client = make_client(handler, base_url="http://127.0.0.1:8000/api/")

    with pytest.raises(BlockedAddressError, match=r"refusing to connect to 127\.0\.0\.1:"):
        client.get("tickets")
    assert seen == []


def test_guard_allows_a_public_host(make_client: Callable[..., HttpClient]) -> None:
    handler, seen = sequence(httpx.Response(200, json={"tickets": []}))

    assert make_client(handler).get("tickets.json") == {"tickets": []}
    assert str(seen[0].url) == f"{BASE_URL}tickets.json"


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://internal.acme.test/admin",
        "http://[::ffff:10.0.0.1]/",
        "http://2130706433/",
    ],
)
def test_guard_refuses_a_redirect_to_an_internal_address(
    make_client: Callable[..., HttpClient], location: str
) -> None:
    hops: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hops.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})

    client = make_client(handler)

    with pytest.raises(BlockedAddressError, match=r"refusing to connect to .*private or local"):
        client.get("attachments/1")
    assert hops == [f"{BASE_URL}attachments/1"], "the internal hop must never be sent"


def test_guard_refuses_a_redirect_to_another_scheme(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, seen = sequence(httpx.Response(302, headers={"Location": "file:///etc/passwd"}))

    with pytest.raises(BlockedAddressError, match="only http and https"):
        make_client(handler).get("attachments/1")
    assert len(seen) == 1


def test_guard_checks_the_address_again_when_connecting(fake_dns: dict[str, Any]) -> None:
    """A name that answers a public address to the hop check and a loopback one to
    the connection (DNS rebinding) is refused before any connection is made."""
    answers = iter([[PUBLIC_ADDRESS], ["127.0.0.1"]])
    fake_dns["rebind.test"] = lambda: next(answers)
    client = HttpClient(
        base_url="http://rebind.test/", platform="zendesk", account=uuid.uuid4().hex
    )

    with pytest.raises(BlockedAddressError, match=r"rebind\.test \(127\.0\.0\.1\)"):
        client.get("anything")


def test_guard_checks_hosts_with_a_custom_transport() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"emulated": true}']

    refused = HttpClient(
        base_url="http://127.0.0.1/",
        platform="zendesk",
        account=uuid.uuid4().hex,
        transport=httpx.WSGITransport(app=app),
    )
    with pytest.raises(BlockedAddressError):
        refused.get("api/v2/users/me.json")

    allowed = HttpClient(
        base_url="http://127.0.0.1/",
        platform="zendesk",
        account=uuid.uuid4().hex,
        transport=httpx.WSGITransport(app=app),
        allow_private_networks=True,
    )
    assert allowed.get("api/v2/users/me.json") == {"emulated": True}


def test_allow_private_networks_lets_loopback_through(
    loopback: Callable[..., LoopbackServer],
) -> None:
    server = loopback(json_ok)
    guarded = HttpClient(base_url=server.url, platform="test", account=uuid.uuid4().hex)
    with pytest.raises(BlockedAddressError, match=r"refusing to connect to 127\.0\.0\.1:"):
        guarded.get("/")
    assert server.arrivals == []

    with HttpClient(
        base_url=server.url,
        platform="test",
        account=uuid.uuid4().hex,
        allow_private_networks=True,
    ) as client:
        assert client.get("/") == {"ok": True}
    assert len(server.arrivals) == 1


# ------------------------------------------------------------------------------ retries


def test_get_retries_server_errors_with_bounded_full_jitter(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    handler, seen = sequence(
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(500),
        httpx.Response(200, json={"id": 7}),
    )
    client = make_client(handler, backoff_base=0.5)

    assert client.get("tickets/7.json", entity="tickets") == {"id": 7}

    assert len(seen) == 4
    assert len(fake_time.sleeps) == 3
    for attempt, delay in enumerate(fake_time.sleeps):
        assert 0 <= delay <= 0.5 * 2**attempt
    assert client.retries == 3
    assert client.calls["tickets"] == 4


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    handler, _ = sequence(httpx.Response(500))
    client = make_client(handler, max_retries=8, backoff_base=0.5, backoff_cap=4.0)

    with pytest.raises(TransientError):
        client.get("tickets.json")

    ceilings = [min(4.0, 0.5 * 2**attempt) for attempt in range(8)]
    assert len(fake_time.sleeps) == 8
    assert all(0 <= d <= c for d, c in zip(fake_time.sleeps, ceilings, strict=True))
    # Full jitter: the delays are spread below their ceilings, not the ceilings.
    assert len(set(fake_time.sleeps)) == 8
    assert sum(fake_time.sleeps) < sum(ceilings) * 0.9


def test_get_retries_timeouts_and_dropped_connections(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    handler, seen = sequence(
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        httpx.Response(200, json={"ok": True}),
    )
    client = make_client(handler)

    assert client.get("users.json") == {"ok": True}
    assert len(seen) == 4
    assert len(fake_time.sleeps) == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(504),
    ],
)
def test_post_is_not_retried_when_it_may_have_been_applied(
    make_client: Callable[..., HttpClient], fake_time: FakeTime, failure: Any
) -> None:
    handler, seen = sequence(failure, httpx.Response(201, json={"id": 1}))
    client = make_client(handler)

    with pytest.raises(TransientError) as raised:
        client.post("tickets.json", json={"ticket": {"subject": "hi"}}, entity="tickets")

    assert raised.value.ambiguous is True
    assert "may or may not have been applied" in raised.value.user_message
    assert "Zendesk" in raised.value.user_message
    assert ACCOUNT_HOST not in raised.value.user_message
    assert len(seen) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "3"}),
    ],
)
def test_post_is_retried_when_it_certainly_was_not_applied(
    make_client: Callable[..., HttpClient], failure: Any
) -> None:
    handler, seen = sequence(failure, failure, httpx.Response(201, json={"id": 1}))
    client = make_client(handler)

    assert client.post("tickets.json", json={"ticket": {}}, entity="tickets") == {"id": 1}
    assert len(seen) == 3
    assert client.retries == 2


def test_post_marked_idempotent_retries_like_a_get(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, seen = sequence(
        httpx.ReadTimeout("timed out"), httpx.Response(500), httpx.Response(200, json={"id": 3})
    )
    client = make_client(handler)

    result = client.post("tickets/create_or_update", json={}, idempotent=True)
    assert result == {"id": 3}
    assert len(seen) == 3


def test_put_and_delete_are_retried(make_client: Callable[..., HttpClient]) -> None:
    handler, seen = sequence(httpx.Response(500), httpx.Response(200, json={"ok": 1}))
    client = make_client(handler)
    assert client.put("tickets/1.json", json={"ticket": {}}) == {"ok": 1}

    handler, seen = sequence(httpx.ReadTimeout("timed out"), httpx.Response(204))
    client = make_client(handler)
    assert client.delete("tickets/1.json") is None
    assert len(seen) == 2


def test_a_raw_file_body_is_sent_again_whole_on_a_retry(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, seen = sequence(httpx.Response(503), httpx.Response(201, json={"upload": 1}))
    client = make_client(handler)
    content = io.BytesIO(b"attachment bytes" * 1000)

    result = client.post(
        "uploads.json",
        content=content,
        headers={"Content-Length": str(len(content.getvalue()))},
        idempotent=True,
    )
    assert result == {"upload": 1}
    assert [request.read() for request in seen] == [content.getvalue()] * 2
    assert all("Transfer-Encoding" not in request.headers for request in seen)


def test_a_put_marked_not_idempotent_is_not_sent_again(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, seen = sequence(httpx.Response(500), httpx.Response(200, json={"ok": 1}))
    client = make_client(handler)
    with pytest.raises(TransientError) as failure:
        client.put("tickets/1.json", json={"ticket": {"comment": {}}}, idempotent=False)
    assert failure.value.ambiguous
    assert len(seen) == 1


def test_exhausted_server_errors_raise_transient_error(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, seen = sequence(httpx.Response(503, json={"error": "maintenance"}))
    client = make_client(handler, max_retries=2)

    with pytest.raises(TransientError) as raised:
        client.get("tickets.json")

    error = raised.value
    assert len(seen) == 3
    assert error.status == 503
    assert error.ambiguous is False
    assert error.retryable is True
    assert error.user_message == (
        "Zendesk had a server error (HTTP 503) that lasted through 3 attempts; try again later"
    )
    assert "maintenance" in error.detail


def test_exhausted_timeouts_raise_transient_error(make_client: Callable[..., HttpClient]) -> None:
    handler, seen = sequence(httpx.ReadTimeout("timed out"))
    client = make_client(handler, max_retries=2, read_timeout=30)

    with pytest.raises(TransientError) as raised:
        client.get("tickets.json")

    assert len(seen) == 3
    assert raised.value.user_message == (
        "Zendesk did not answer within 30 seconds (after 3 attempts)"
    )


def test_exhausted_429s_raise_rate_limited_error(make_client: Callable[..., HttpClient]) -> None:
    handler, seen = sequence(httpx.Response(429, headers={"Retry-After": "2"}))
    client = make_client(handler, max_retries=2)

    with pytest.raises(RateLimitedError) as raised:
        client.get("tickets.json")

    assert len(seen) == 3
    assert raised.value.status == 429
    assert raised.value.retry_after == 2
    assert "kept asking us to slow down (HTTP 429) after 3 attempts" in raised.value.user_message
    assert client.rate_limited == 3


# ---------------------------------------------------------------------------------- 429


def test_429_waits_for_retry_after_seconds(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    moments: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        moments.append(fake_time.now)
        if len(moments) == 1:
            return httpx.Response(429, headers={"Retry-After": "17"})
        return httpx.Response(200, json={"ok": True})

    assert make_client(handler).get("tickets.json") == {"ok": True}
    assert moments[1] - moments[0] >= 17


def test_429_waits_for_a_retry_after_http_date(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    retry_at = email.utils.formatdate(time.time() + 8, usegmt=True)
    handler, _ = sequence(
        httpx.Response(429, headers={"Retry-After": retry_at}), httpx.Response(200, json={})
    )

    make_client(handler).get("tickets.json")

    # An HTTP-date has whole seconds, so the wait is within a second of 8.
    assert len(fake_time.sleeps) == 1
    assert 6.9 <= fake_time.sleeps[0] <= 8.0


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"X-RateLimit-Reset": "12"}, 12, 12),
        ({"RateLimit-Reset": "5"}, 5, 5),
        ({"X-RateLimit-Reset": "epoch+9"}, 8, 9),
    ],
)
def test_429_without_retry_after_uses_reset_headers(
    make_client: Callable[..., HttpClient],
    fake_time: FakeTime,
    headers: dict[str, str],
    low: float,
    high: float,
) -> None:
    headers = {
        name: str(int(time.time()) + 9) if value == "epoch+9" else value
        for name, value in headers.items()
    }
    handler, _ = sequence(httpx.Response(429, headers=headers), httpx.Response(200, json={}))

    make_client(handler).get("tickets.json")

    assert len(fake_time.sleeps) == 1
    assert low <= fake_time.sleeps[0] <= high + 0.01


def test_429_without_any_wait_header_backs_off_exponentially(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    handler, _ = sequence(
        httpx.Response(429), httpx.Response(429), httpx.Response(429), httpx.Response(200, json={})
    )

    make_client(handler, backoff_base=0.5).get("tickets.json")

    assert len(fake_time.sleeps) == 3
    for attempt, delay in enumerate(fake_time.sleeps):
        step = 0.5 * 2 ** (attempt + 1)
        assert step / 2 <= delay <= step


def test_429_asking_for_too_long_a_wait_raises_at_once(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    handler, seen = sequence(httpx.Response(429, headers={"Retry-After": "900"}))
    client = make_client(handler, max_wait=120)

    with pytest.raises(RateLimitedError) as raised:
        client.get("tickets.json")

    assert raised.value.retry_after == 900
    assert "asked us to wait 900 seconds" in raised.value.user_message
    assert len(seen) == 1
    assert fake_time.sleeps == []


def test_429_seen_by_one_client_holds_back_another_sharing_the_budget(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    budget = LocalRateBudget(limit=None, clock=fake_time.time, sleep=fake_time.sleep)
    first_handler, _ = sequence(httpx.Response(429, headers={"Retry-After": "30"}))
    first = make_client(first_handler, budget=budget, max_retries=0)
    arrivals: list[float] = []

    def second_handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(fake_time.now)
        return httpx.Response(200, json={})

    second = make_client(second_handler, budget=budget)
    started = fake_time.now

    with pytest.raises(RateLimitedError):
        first.get("tickets.json")
    second.get("users.json")

    assert arrivals[0] - started >= 30


def test_clients_of_one_account_share_the_in_process_budget(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    """Without an explicit budget, clients of the same account share one."""
    account = f"acme-{uuid.uuid4().hex}"
    first_handler, _ = sequence(httpx.Response(429, headers={"Retry-After": "12"}))
    second_handler, _ = sequence(httpx.Response(200, json={}))
    first = make_client(first_handler, account=account, max_retries=0)
    second = make_client(second_handler, account=account)
    other_account = make_client(second_handler)

    with pytest.raises(RateLimitedError):
        first.get("tickets.json")
    other_account.get("users.json")
    assert fake_time.sleeps == []
    second.get("users.json")
    assert fake_time.sleeps == [12]


def test_429_storm_over_real_loopback_honours_retry_after(
    loopback: Callable[..., LoopbackServer],
) -> None:
    def respond(index: int) -> tuple[int, dict[str, str], bytes]:
        if index < 3:
            return 429, {"Retry-After": "1", "Content-Type": "application/json"}, b"{}"
        return 200, {"Content-Type": "application/json"}, b'{"tickets": [1, 2]}'

    server = loopback(respond)
    with HttpClient(
        base_url=server.url,
        platform="test",
        account=uuid.uuid4().hex,
        allow_private_networks=True,
    ) as client:
        assert client.get("/api/v2/tickets.json", entity="tickets") == {"tickets": [1, 2]}

    assert len(server.arrivals) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(server.arrivals)]
    assert all(gap >= 1.0 for gap in gaps), gaps
    assert client.rate_limited == 3
    assert client.calls["tickets"] == 4


# ------------------------------------------------------------------------------ budgets


def test_local_budget_keeps_to_its_limit_with_a_fake_clock(fake_time: FakeTime) -> None:
    budget = LocalRateBudget(
        limit=3, period=10, margin=0, clock=fake_time.time, sleep=fake_time.sleep
    )
    grants = []
    for _ in range(7):
        budget.acquire()
        grants.append(fake_time.now)

    # Two at once (the small burst), then one every period / limit seconds; never more
    # than the limit a window.
    assert grants == pytest.approx([1000, 1000, 1000 + 10 / 3, 1010, 1010, 1010 + 10 / 3, 1020])
    assert max_in_any_window(grants, 10) == 3


def test_local_budget_block_holds_every_request(fake_time: FakeTime) -> None:
    budget = LocalRateBudget(limit=100, clock=fake_time.time, sleep=fake_time.sleep)
    budget.block_for(seconds=5)
    budget.block_for(seconds=2)  # a shorter block does not shorten the longer one

    assert budget.try_acquire() == pytest.approx(5)
    budget.acquire()
    assert fake_time.now == pytest.approx(1005)


@pytest.mark.parametrize("limit", [None, 0])
def test_budget_of_none_or_zero_is_unlimited(fake_time: FakeTime, limit: int | None) -> None:
    budget = LocalRateBudget(limit=limit, clock=fake_time.time, sleep=fake_time.sleep)
    assert all(budget.try_acquire() == 0 for _ in range(10_000))


def test_client_rate_limit_spaces_out_requests(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    handler, _ = sequence(httpx.Response(200, json={}))
    client = make_client(handler, rate_limit=2, rate_period=10)

    for _ in range(3):
        client.get("tickets.json")

    # Two at once, then the third when the first leaves the window (plus the 2% margin).
    assert fake_time.sleeps == [pytest.approx(10.2)]


def test_local_budget_shared_by_threads_never_exceeds_its_limit() -> None:
    limit, period, duration = 10, 0.5, 1.5
    budget = LocalRateBudget(limit=limit, period=period)
    grants: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker() -> None:
        while time.monotonic() < stop_at:
            budget.acquire()
            with lock:
                grants.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert max_in_any_window(grants, period) <= limit
    first = min(grants)
    in_duration = [moment for moment in grants if moment < first + duration]
    # The budget is also used, not just never exceeded (loosely: the machine is shared).
    assert len(in_duration) >= 0.6 * limit * duration / period


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    prefix = f"test-http:{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(f"{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.mark.redis
@needs_redis
def test_redis_budget_counts_and_blocks(redis_prefix: str) -> None:
    assert REDIS_URL
    budget = RedisRateBudget(
        redis_url=REDIS_URL,
        platform="zendesk",
        account="acme",
        limit=3,
        period=1,
        margin=0,
        key_prefix=redis_prefix,
    )
    assert [budget.try_acquire() for _ in range(2)] == [0, 0]
    # The next slot comes a third of the period after the first: requests are spaced.
    wait = budget.try_acquire()
    assert 0 < wait <= 1 / 3 + 0.01

    budget.reset()
    assert budget.try_acquire() == 0
    budget.block_for(seconds=5)
    assert 4 < budget.try_acquire() <= 5
    budget.reset()


@pytest.mark.redis
@needs_redis
def test_an_unlimited_redis_budget_asks_redis_again_only_after_a_moment(
    redis_prefix: str,
) -> None:
    assert REDIS_URL
    now = [100.0]

    def budget() -> RedisRateBudget:
        return RedisRateBudget(
            redis_url=REDIS_URL,
            platform="zendesk",
            account="acme",
            limit=None,
            key_prefix=redis_prefix,
            clock=lambda: now[0],
        )

    this_process, another_process = budget(), budget()
    assert this_process.try_acquire() == 0
    another_process.block_for(seconds=5)
    # Told "no block" a moment ago, it does not ask again yet...
    assert this_process.try_acquire() == 0
    # ...and learns of the other process's block once the moment is over.
    now[0] += UNLIMITED_BLOCK_RECHECK_SECONDS
    assert 4 < this_process.try_acquire() <= 5
    # Its own 429 holds it back at once.
    another_process.reset()
    assert this_process.try_acquire() == 0
    this_process.block_for(seconds=3)
    assert 2 < this_process.try_acquire() <= 3
    this_process.reset()


def _redis_budget_worker(
    *,
    redis_url: str,
    key_prefix: str,
    base_url: str,
    limit: int,
    period: float,
    start_at: float,
    stop_at: float,
) -> None:
    budget = RedisRateBudget(
        redis_url=redis_url,
        platform="loadtest",
        account="shared",
        limit=limit,
        period=period,
        # The budget counts when a request leaves, the server when it arrives. At a real
        # minute the default margin (2%, 1.2 s) covers the delay between the two; at this
        # test's 2 s period it would be 40 ms, less than a loaded machine's scheduling delay.
        margin=period / 4,
        key_prefix=key_prefix,
    )
    with HttpClient(
        base_url=base_url,
        platform="loadtest",
        account="shared",
        budget=budget,
        allow_private_networks=True,
    ) as client:
        time.sleep(max(0.0, start_at - time.time()))
        while time.time() < stop_at:
            client.get("/", entity="probe")


@pytest.mark.redis
@needs_redis
def test_redis_budget_holds_across_four_processes(
    loopback: Callable[..., LoopbackServer], redis_prefix: str
) -> None:
    assert REDIS_URL
    limit, period, duration = 20, 2.0, 6.0
    server = loopback(json_ok)
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 2.0  # time for the spawned interpreters to start
    workers = [
        context.Process(
            target=_redis_budget_worker,
            kwargs={
                "redis_url": REDIS_URL,
                "key_prefix": redis_prefix,
                "base_url": server.url,
                "limit": limit,
                "period": period,
                "start_at": start_at,
                "stop_at": start_at + duration,
            },
        )
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]

    arrivals = server.arrivals
    assert max_in_any_window(arrivals, period) <= limit
    first = min(arrivals)
    in_duration = [moment for moment in arrivals if moment < first + duration]
    # The budget is also used, not just never exceeded (its margin takes a quarter).
    assert len(in_duration) >= 0.6 * limit * duration / period


@pytest.mark.redis
@needs_redis
def test_429_blocks_every_client_sharing_a_redis_budget(
    fake_dns: dict[str, Any], redis_prefix: str
) -> None:
    assert REDIS_URL
    arrivals: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(time.monotonic())
        if request.url.path.endswith("tickets.json"):
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(200, json={})

    def client() -> HttpClient:
        budget = RedisRateBudget(
            redis_url=REDIS_URL,
            platform="zendesk",
            account="acme",
            limit=100,
            key_prefix=redis_prefix,
        )
        return HttpClient(
            base_url=BASE_URL,
            platform="zendesk",
            account="acme",
            budget=budget,
            max_retries=0,
            transport=httpx.MockTransport(handler),
        )

    with pytest.raises(RateLimitedError):
        client().get("tickets.json")
    client().get("users.json")

    assert arrivals[1] - arrivals[0] >= 1.0


# ------------------------------------------------------------------------ call counting


def test_calls_are_counted_per_entity(make_client: Callable[..., HttpClient]) -> None:
    handler, _ = sequence(
        httpx.Response(200, json={}),
        httpx.Response(500),
        httpx.Response(200, json={}),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, json={}),
    )
    client = make_client(handler)

    client.get("tickets.json", entity="tickets")
    client.get("tickets.json", entity="tickets")
    client.get("users.json", entity="contacts")
    client.get("groups.json")

    assert client.calls == {"tickets": 3, "contacts": 2, "other": 1}
    assert client.total_calls == 6
    assert client.retries == 2
    assert client.rate_limited == 1


# ----------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("status", "error_class", "message"),
    [
        (
            401,
            AuthenticationError,
            "Zendesk rejected the credentials (HTTP 401); check the API token or password",
        ),
        (
            403,
            AuthenticationError,
            "Zendesk accepted the credentials but refused access (HTTP 403); "
            "the account may lack the permissions this migration needs",
        ),
        (404, NotFoundError, "Zendesk answered 404 (no such record)"),
        (410, NotFoundError, "Zendesk answered 410 (the record is gone)"),
        (400, InvalidRecordError, "Zendesk refused the record (HTTP 400)"),
        (409, InvalidRecordError, "Zendesk answered 409 (a conflict with what it already holds)"),
        (413, InvalidRecordError, "Zendesk answered 413 (too large to accept)"),
        (418, ConnectorError, "Zendesk refused the request (HTTP 418)"),
    ],
)
def test_status_codes_map_to_errors(
    make_client: Callable[..., HttpClient],
    fake_time: FakeTime,
    status: int,
    error_class: type[ConnectorError],
    message: str,
) -> None:
    handler, seen = sequence(httpx.Response(status))

    with pytest.raises(error_class) as raised:
        make_client(handler).get("tickets.json")

    assert type(raised.value) is error_class
    assert raised.value.user_message == message
    assert raised.value.status == status
    assert len(seen) == 1, "client errors are not retried"
    assert fake_time.sleeps == []


def test_connector_messages_replace_the_generic_ones(
    make_client: Callable[..., HttpClient],
) -> None:
    messages = {401: "the API token was rejected", 404: "no such Zendesk subdomain"}
    for status, expected in messages.items():
        handler, _ = sequence(httpx.Response(status, json={"error": "x"}))
        with pytest.raises(ConnectorError) as raised:
            make_client(handler, status_messages=messages).get("users/me.json")
        assert raised.value.user_message == expected


def test_validation_errors_carry_the_platform_details(
    make_client: Callable[..., HttpClient],
) -> None:
    body = {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"requester": [{"description": "Requester: is invalid", "error": "Invalid"}]},
    }
    handler, _ = sequence(httpx.Response(422, json=body))

    with pytest.raises(InvalidRecordError) as raised:
        make_client(handler).post("tickets.json", json={"ticket": {}})

    error = raised.value
    assert error.user_message == ("Zendesk refused the record (HTTP 422): Record validation errors")
    assert json.loads(error.detail) == body


def test_validation_errors_that_are_not_json_keep_their_text(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, _ = sequence(httpx.Response(400, text="subject can't be blank"))

    with pytest.raises(InvalidRecordError) as raised:
        make_client(handler).post("tickets.json", json={})
    assert raised.value.detail == "subject can't be blank"


def test_invalid_json_on_success_is_a_malformed_response(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, _ = sequence(httpx.Response(200, text="<html>maintenance</html>"))

    with pytest.raises(MalformedResponseError) as raised:
        make_client(handler).get("tickets.json")

    assert raised.value.user_message == (
        "Zendesk answered with something that is not valid JSON (HTTP 200)"
    )
    assert "maintenance" in raised.value.detail


def test_empty_success_bodies_parse_to_none(make_client: Callable[..., HttpClient]) -> None:
    handler, _ = sequence(httpx.Response(204), httpx.Response(200, text=""))
    client = make_client(handler)
    assert client.delete("tickets/1.json") is None
    assert client.put("tickets/1.json", json={}) is None


def test_a_name_that_does_not_resolve_is_unreachable_without_retries(
    make_client: Callable[..., HttpClient], fake_time: FakeTime
) -> None:
    handler, seen = sequence(httpx.Response(200, json={}))
    client = make_client(handler, base_url="https://nosuchaccount.zendesk.test/api/v2/")

    with pytest.raises(UnreachableError) as raised:
        client.get("users/me.json")

    assert raised.value.user_message == (
        "could not reach Zendesk (nosuchaccount.zendesk.test): its address does not resolve"
    )
    assert seen == []
    assert fake_time.sleeps == []


def test_a_refused_connection_is_unreachable_after_retries(fake_time: FakeTime) -> None:
    port = unused_loopback_port()
    client = HttpClient(
        base_url=f"http://127.0.0.1:{port}/",
        platform="test",
        account=uuid.uuid4().hex,
        allow_private_networks=True,
        max_retries=2,
        sleep=fake_time.sleep,
        clock=fake_time.time,
    )

    with pytest.raises(UnreachableError) as raised:
        client.post("tickets.json", json={})

    assert raised.value.user_message == (
        "could not reach test: the connection was refused (after 3 attempts)"
    )
    assert len(fake_time.sleeps) == 2


# ------------------------------------------------------------------------- credentials

TOKEN = "SECRET-TOKEN-8c1f7e2a"
HEADER_SECRET = "HEADER-SECRET-53b9d0"
BASIC_USER = "agent@acme.test/token"


@pytest.mark.parametrize(
    "answer",
    [
        "401",
        "422",
        "500",
        "invalid json",
        "transport failure",
    ],
)
def test_credentials_never_appear_in_errors_or_logs(
    make_client: Callable[..., HttpClient],
    caplog: pytest.LogCaptureFixture,
    answer: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    received: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request)
        # A careless platform that echoes what it was sent.
        echo = json.dumps(
            {
                "error": f"bad credentials {request.headers.get('Authorization')} {TOKEN}",
                "description": f"key {request.headers.get('X-Api-Key')} token {TOKEN}",
            }
        )
        if answer == "transport failure":
            raise httpx.ReadError(f"reset while sending {request.headers.get('Authorization')}")
        if answer == "invalid json":
            return httpx.Response(200, text=f"<html>{echo}")
        return httpx.Response(int(answer), text=echo)

    client = make_client(
        handler,
        auth=httpx.BasicAuth(BASIC_USER, TOKEN),
        headers={"X-Api-Key": HEADER_SECRET},
        max_retries=1,
    )

    with pytest.raises(ConnectorError) as raised:
        client.get("users/me.json", entity="contacts")

    encoded = base64.b64encode(f"{BASIC_USER}:{TOKEN}".encode()).decode()
    assert received[0].headers["Authorization"] == f"Basic {encoded}"
    assert received[0].headers["X-Api-Key"] == HEADER_SECRET
    error = raised.value
    exposed = "\n".join(
        [str(error), error.user_message, error.detail, repr(error.args), caplog.text]
    )
    for secret in (TOKEN, HEADER_SECRET, encoded):
        assert secret not in exposed
    assert caplog.text, "the client logs its requests"


def test_credentials_never_appear_in_logs_over_real_loopback(
    loopback: Callable[..., LoopbackServer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def respond(index: int) -> tuple[int, dict[str, str], bytes]:
        if index == 0:
            return 503, {}, f"overloaded {TOKEN}".encode()
        return 401, {"Content-Type": "application/json"}, json.dumps({"error": TOKEN}).encode()

    server = loopback(respond)
    client = HttpClient(
        base_url=server.url,
        platform="test",
        account=uuid.uuid4().hex,
        auth=(BASIC_USER, TOKEN),
        allow_private_networks=True,
        sleep=lambda _seconds: None,
    )

    with client, pytest.raises(AuthenticationError) as raised:
        client.get("/api/v2/users/me.json")

    encoded = base64.b64encode(f"{BASIC_USER}:{TOKEN}".encode()).decode()
    assert server.request_headers[0]["Authorization"] == f"Basic {encoded}"
    assert "httpcore" in caplog.text, "the transport's own debug logs are captured too"
    exposed = "\n".join([str(raised.value), raised.value.detail, caplog.text])
    for secret in (TOKEN, encoded):
        assert secret not in exposed


def test_credentials_are_not_sent_to_other_hosts(
    make_client: Callable[..., HttpClient],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == ACCOUNT_HOST:
            return httpx.Response(302, headers={"Location": "https://files.cdn.test/blob/1"})
        return httpx.Response(200, content=b"file body")

    client = make_client(
        handler, auth=httpx.BasicAuth(BASIC_USER, TOKEN), headers={"X-Api-Key": HEADER_SECRET}
    )

    with client.download("attachments/1") as chunks:
        assert b"".join(chunks) == b"file body"

    account_hop, storage_hop = seen
    assert "Authorization" in account_hop.headers
    assert "X-Api-Key" in account_hop.headers
    assert "Authorization" not in storage_hop.headers
    assert "X-Api-Key" not in storage_hop.headers


# --------------------------------------------------------------------------- streaming


def test_download_streams_chunks_without_reading_everything_first(
    make_client: Callable[..., HttpClient],
) -> None:
    produced: list[int] = []

    def body() -> Iterator[bytes]:
        for index in range(32):
            produced.append(index)
            yield bytes([index]) * 32 * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "image/png"}, content=body())

    client = make_client(handler)
    chunks = []
    with client.download("attachments/9", entity="attachments", chunk_size=64 * 1024) as stream:
        assert stream.content_type == "image/png"
        chunks.append(next(stream))
        assert len(produced) < 32, "the body is read as it is consumed"
        chunks.extend(stream)

    assert len(chunks) == 16
    assert all(len(chunk) == 64 * 1024 for chunk in chunks)
    assert b"".join(chunks) == b"".join(bytes([index]) * 32 * 1024 for index in range(32))
    assert client.calls["attachments"] == 1


def test_download_over_real_loopback(loopback: Callable[..., LoopbackServer]) -> None:
    payload = os.urandom(300_000)
    server = loopback(lambda _index: (200, {"Content-Type": "application/pdf"}, payload))
    client = HttpClient(
        base_url=server.url, platform="test", account=uuid.uuid4().hex, allow_private_networks=True
    )
    with client, client.download("/files/report.pdf", chunk_size=16 * 1024) as stream:
        assert stream.content_length == len(payload)
        chunks = list(stream)

    assert len(chunks) > 1
    assert max(len(chunk) for chunk in chunks) <= 16 * 1024
    assert b"".join(chunks) == payload


def test_download_of_a_missing_file_raises_not_found(
    make_client: Callable[..., HttpClient],
) -> None:
    handler, _ = sequence(httpx.Response(404, json={"error": "RecordNotFound"}))

    with pytest.raises(NotFoundError), make_client(handler).download("attachments/404"):
        pass


# ---------------------------------------------------------------------------- settings


def test_factory_uses_defaults_when_django_is_not_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import django.conf

    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.setattr(django.conf, "settings", django.conf.LazySettings())

    client = http_client_from_settings(base_url=BASE_URL, platform="zendesk", account="acme")

    assert client.allow_private_networks is False
    assert isinstance(client.budget, LocalRateBudget)


def test_factory_reads_the_django_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import django.conf

    settings = type("Settings", (), {"CONNECTOR_ALLOW_PRIVATE_NETWORKS": True})()
    monkeypatch.setattr(django.conf, "settings", settings)

    client = http_client_from_settings(
        base_url=BASE_URL, platform="zendesk", account="acme", rate_limit=700
    )

    assert client.allow_private_networks is True
    assert isinstance(client.budget, LocalRateBudget)
    assert client.budget.limit == 700


@needs_redis
@pytest.mark.redis
def test_factory_uses_redis_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    import django.conf

    settings = type("Settings", (), {"REDIS_URL": REDIS_URL})()
    monkeypatch.setattr(django.conf, "settings", settings)

    client = http_client_from_settings(base_url=BASE_URL, platform="zendesk", account="acme")

    assert isinstance(client.budget, RedisRateBudget)
    assert client.allow_private_networks is False


def test_rate_budget_is_shared_per_account() -> None:
    account = uuid.uuid4().hex
    first = rate_budget(platform="zendesk", account=account, limit=10)
    assert rate_budget(platform="zendesk", account=account, limit=10) is first
    assert rate_budget(platform="zendesk", account=uuid.uuid4().hex, limit=10) is not first
