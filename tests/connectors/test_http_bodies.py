"""The HTTP layer and success answers whose body is cut short or is not JSON: a request
that may be sent again is asked again (a bounded number of times), a write that may not
is reported as possibly applied, never sent twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from connectors.errors import MalformedResponseError, TransientError
from connectors.http import MALFORMED_BODY_RETRIES, HttpClient, LocalRateBudget

WHOLE = b'{"ticket": {"id": 7, "subject": "Printer on fire"}}'
CUT = WHOLE[: len(WHOLE) // 2]


def answering(*bodies: bytes, status: int = 200) -> tuple[HttpClient, list[httpx.Request]]:
    """A client whose server gives ``bodies`` in turn (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=bodies[min(len(seen), len(bodies)) - 1])

    client = HttpClient(
        base_url="http://127.0.0.1/api/v2/",
        platform="zendesk",
        account=f"acme-{uuid.uuid4().hex}",
        transport=httpx.MockTransport(handler),
        allow_private_networks=True,
        budget=LocalRateBudget(limit=None),
        sleep=lambda seconds: None,
        max_retries=3,
    )
    return client, seen


def test_a_get_whose_body_is_cut_short_is_asked_again() -> None:
    client, seen = answering(CUT, b"<html>Bad gateway</html>", WHOLE)
    with client:
        assert client.get("tickets/7.json") == {"ticket": {"id": 7, "subject": "Printer on fire"}}
        assert client.retries == 2
    assert len(seen) == 3


def test_a_body_never_whole_gives_up_after_a_bounded_number_of_tries() -> None:
    client, seen = answering(CUT)
    with client, pytest.raises(MalformedResponseError) as garbled:
        client.get("tickets/7.json")
    assert len(seen) == 1 + MALFORMED_BODY_RETRIES
    assert garbled.value.retryable
    assert "not valid JSON" in garbled.value.user_message


@pytest.mark.parametrize(
    "write",
    [
        lambda client: client.post("tickets.json", json={"ticket": {"subject": "x"}}),
        lambda client: client.put(
            "tickets/7.json", json={"ticket": {"comment": {"body": "x"}}}, idempotent=False
        ),
    ],
    ids=["create", "comment added by a PUT"],
)
def test_a_write_whose_answer_is_cut_short_is_ambiguous_and_sent_once(
    write: Callable[[HttpClient], object],
) -> None:
    client, seen = answering(CUT, WHOLE, status=201)
    with client, pytest.raises(TransientError) as unsure:
        write(client)
    assert len(seen) == 1, "a write that may have been applied was sent again"
    assert unsure.value.ambiguous
    assert unsure.value.retryable
    assert "may or may not have been applied" in unsure.value.user_message


@pytest.mark.parametrize(
    "write",
    [
        lambda client: client.put("tickets/7.json", json={"ticket": {"status": "open"}}),
        lambda client: client.post("uploads.json", content=b"file", idempotent=True),
    ],
    ids=["update", "deduplicated post"],
)
def test_an_idempotent_write_whose_answer_is_cut_short_is_sent_again(
    write: Callable[[HttpClient], object],
) -> None:
    client, seen = answering(CUT, WHOLE)
    with client:
        assert write(client) == {"ticket": {"id": 7, "subject": "Printer on fire"}}
    assert len(seen) == 2


def test_a_deletion_whose_answer_is_cut_short_is_done_and_not_sent_again() -> None:
    client, seen = answering(CUT)
    with client:
        assert client.delete("tickets/7.json") is None
    assert len(seen) == 1
