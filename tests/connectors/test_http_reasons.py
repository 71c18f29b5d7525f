# ruff: noqa: RUF001
"""Every error a platform's answer (or its silence) becomes names the platform, in plain
words, with what it said: never the address it is reached at (a sandbox's 127.0.0.1:port),
and in the reader's language when shown on a page."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from django.utils import translation

from connectors.errors import (
    AuthenticationError,
    ConnectorError,
    InvalidRecordError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnreachableError,
)
from connectors.http import HttpClient
from connectors.messages import Message

LOOPBACK = "http://127.0.0.1:9611/api/v2/"


def _client(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> HttpClient:
    settings: dict[str, Any] = {
        "base_url": LOOPBACK,
        "platform": "freshdesk",
        "account": uuid.uuid4().hex,
        "transport": httpx.MockTransport(handler),
        "allow_private_networks": True,
        "max_retries": 1,
        "sleep": lambda _seconds: None,
        "max_wait": 5,
    }
    settings.update(options)
    return HttpClient(**settings)


def _answer(status: int, **body: Any) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _request: httpx.Response(status, **body)


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def _assert_plain(error: ConnectorError) -> None:
    text = error.user_message
    assert "127.0.0.1" not in text
    assert ":9611" not in text
    assert "Freshdesk" in text
    assert isinstance(error.message, Message)
    assert str(error.message) == text


CASES = [
    pytest.param(
        _answer(404),
        "GET",
        NotFoundError,
        "Freshdesk answered 404 (no such record)",
        "Freshdesk a répondu 404 (aucun enregistrement de ce type)",
        id="404",
    ),
    pytest.param(
        _answer(404, json={"message": "Ticket not found"}),
        "GET",
        NotFoundError,
        "Freshdesk answered 404 (no such record): Ticket not found",
        "Freshdesk a répondu 404 (aucun enregistrement de ce type) : Ticket not found",
        id="404-with-words",
    ),
    pytest.param(
        _answer(400, json={"description": "Validation failed"}),
        "POST",
        InvalidRecordError,
        "Freshdesk refused the record (HTTP 400): Validation failed",
        "Freshdesk a refusé l’enregistrement (HTTP 400) : Validation failed",
        id="400",
    ),
    pytest.param(
        _answer(422, json={"message": "Email is invalid"}),
        "POST",
        InvalidRecordError,
        "Freshdesk refused the record (HTTP 422): Email is invalid",
        "Freshdesk a refusé l’enregistrement (HTTP 422) : Email is invalid",
        id="422",
    ),
    pytest.param(
        _answer(401),
        "GET",
        AuthenticationError,
        "Freshdesk rejected the credentials (HTTP 401); check the API token or password",
        "Freshdesk a refusé les identifiants (HTTP 401) ; vérifiez le jeton d’API ou le mot "
        "de passe",
        id="401",
    ),
    pytest.param(
        _answer(403),
        "GET",
        AuthenticationError,
        "Freshdesk accepted the credentials but refused access (HTTP 403); the account may "
        "lack the permissions this migration needs",
        "Freshdesk a accepté les identifiants mais refusé l’accès (HTTP 403) ; le compte n’a "
        "peut-être pas les droits dont cette migration a besoin",
        id="403",
    ),
    pytest.param(
        _answer(409, json={"message": "Duplicate value"}),
        "POST",
        InvalidRecordError,
        "Freshdesk answered 409 (a conflict with what it already holds): Duplicate value",
        "Freshdesk a répondu 409 (un conflit avec ce qu’il contient déjà) : Duplicate value",
        id="409",
    ),
    pytest.param(
        _answer(413),
        "POST",
        InvalidRecordError,
        "Freshdesk answered 413 (too large to accept)",
        "Freshdesk a répondu 413 (trop volumineux pour être accepté)",
        id="413",
    ),
    pytest.param(
        _answer(429, headers={"Retry-After": "900"}),
        "GET",
        RateLimitedError,
        "Freshdesk asked us to wait 900 seconds before the next request (HTTP 429); the run "
        "can continue later",
        "Freshdesk a demandé d’attendre 900 secondes avant la prochaine requête (HTTP 429) ; "
        "la migration pourra reprendre plus tard",
        id="429",
    ),
    pytest.param(
        _answer(500),
        "POST",
        TransientError,
        "Freshdesk had a server error (HTTP 500) while saving; the change may or may not "
        "have been applied",
        "Freshdesk a eu une erreur serveur (HTTP 500) pendant l’enregistrement ; la "
        "modification a pu être appliquée ou non",
        id="500",
    ),
    pytest.param(
        _answer(502),
        "GET",
        TransientError,
        "Freshdesk had a server error (HTTP 502) that lasted through 2 attempts; try again later",
        "Freshdesk a eu une erreur serveur (HTTP 502) qui a duré 2 tentatives ; réessayez "
        "plus tard",
        id="502",
    ),
    pytest.param(
        _raise(httpx.ReadTimeout("timed out")),
        "GET",
        TransientError,
        "Freshdesk did not answer within 60 seconds (after 2 attempts)",
        "Freshdesk n’a pas répondu en 60 secondes (après 2 tentatives)",
        id="timeout",
    ),
    pytest.param(
        _raise(httpx.RemoteProtocolError("Server disconnected")),
        "POST",
        TransientError,
        "the connection to Freshdesk dropped before the answer arrived; the change may or "
        "may not have been applied",
        "la connexion à Freshdesk a été coupée avant la réponse ; la modification a pu être "
        "appliquée ou non",
        id="dropped",
    ),
    pytest.param(
        _answer(200, text='{"id": 1, "subj'),
        "GET",
        MalformedResponseError,
        "Freshdesk answered with something that is not valid JSON (HTTP 200)",
        "Freshdesk a répondu par autre chose que du JSON valide (HTTP 200)",
        id="cut-short-read",
    ),
    pytest.param(
        _answer(201, text='{"id": 1, "subj'),
        "POST",
        TransientError,
        "the answer of Freshdesk was cut short or not JSON (HTTP 201); the change may or "
        "may not have been applied",
        "la réponse de Freshdesk était tronquée ou n’était pas du JSON (HTTP 201) ; la "
        "modification a pu être appliquée ou non",
        id="cut-short-write",
    ),
]


@pytest.mark.parametrize(("handler", "method", "error_class", "english", "french"), CASES)
def test_each_kind_of_answer_names_the_platform_in_plain_words(
    handler: Callable[[httpx.Request], httpx.Response],
    method: str,
    error_class: type[ConnectorError],
    english: str,
    french: str,
) -> None:
    client = _client(handler)
    with pytest.raises(error_class) as raised:
        client.request_json(method, "tickets/7", json={} if method == "POST" else None)

    error = raised.value
    assert type(error) is error_class
    assert error.user_message == english
    _assert_plain(error)
    with translation.override("fr"):
        assert error.message is not None
        assert error.message.render(translate=True) == french


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield port


def test_a_refused_connection_names_the_platform_not_the_address(closed_port: int) -> None:
    client = HttpClient(
        base_url=f"http://127.0.0.1:{closed_port}/",
        platform="freshdesk",
        account=uuid.uuid4().hex,
        allow_private_networks=True,
        max_retries=0,
        sleep=lambda _seconds: None,
    )
    with pytest.raises(UnreachableError) as raised:
        client.get("tickets")

    assert raised.value.user_message == "could not reach Freshdesk: the connection was refused"
    _assert_plain(raised.value)
    with translation.override("fr"):
        assert raised.value.message is not None
        assert raised.value.message.render(translate=True) == (
            "impossible de joindre Freshdesk : la connexion a été refusée"
        )


def test_a_download_cut_short_names_the_platform() -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        client = HttpClient(
            base_url=f"http://127.0.0.1:{port}/",
            platform="freshdesk",
            account=uuid.uuid4().hex,
            allow_private_networks=True,
            max_retries=0,
        )
        with (
            pytest.raises(TransientError) as raised,
            client.download(f"http://127.0.0.1:{port}/file") as chunks,
        ):
            b"".join(chunks)
    finally:
        server.shutdown()
        server.server_close()

    assert raised.value.user_message == "the download from Freshdesk was interrupted"
    _assert_plain(raised.value)


def test_a_message_round_trips_through_json_and_renders_nested_parts() -> None:
    inner = Message("the connection was refused")
    outer = Message("could not reach %(platform)s: %(why)s %(tried)s", {"platform": "Halo"})
    outer = Message(outer.key, {"platform": "Halo", "why": inner, "tried": ""})

    again = Message.from_json(outer.to_json())

    assert again == outer
    assert str(again) == "could not reach Halo: the connection was refused"
