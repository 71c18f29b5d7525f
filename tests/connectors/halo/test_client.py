"""The Halo client's token: fetched with the client-credentials grant, cached, renewed a
minute before it expires and once when the API answers 401. Narrow tests with respx; the
connector against the emulator is in test_connector.py."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from connectors.errors import AuthenticationError, NotFoundError
from connectors.halo import HaloCredentials
from connectors.halo.client import (
    REFUSED_ACCESS,
    REFUSED_CLIENT,
    TOKEN_RENEW_MARGIN_SECONDS,
    HaloApi,
    TokenSource,
    forget_tokens,
    http_client_options,
    token_client_options,
)
from connectors.http import HttpClient, LocalRateBudget

API = "https://acme.halopsa.com/api"
AUTH = "https://acme.halopsa.com/auth"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def no_cached_tokens() -> Iterator[None]:
    forget_tokens()
    yield
    forget_tokens()


def credentials(**overrides: str) -> HaloCredentials:
    values = {
        "resource_server": API,
        "auth_server": AUTH,
        "client_id": "app-1",
        "client_secret": "s3cret-value",
        **overrides,
    }
    return HaloCredentials.model_validate(values)


def client(options: dict) -> HttpClient:
    budget = LocalRateBudget(limit=None, learned_seconds=0)
    options = {**options, "budget": budget, "max_retries": 0}
    return HttpClient(allow_private_networks=True, **options)


def api_for(creds: HaloCredentials, clock: Clock) -> HaloApi:
    tokens = TokenSource(http=client(token_client_options(creds)), credentials=creds, clock=clock)
    return HaloApi(http=client(http_client_options(creds)), tokens=tokens)


def token_answers(*tokens: str, lifetime: int = 3600) -> list[httpx.Response]:
    return [
        httpx.Response(
            200, json={"access_token": t, "token_type": "Bearer", "expires_in": lifetime}
        )
        for t in tokens
    ]


@respx.mock
def test_the_token_is_fetched_with_client_credentials_and_cached():
    token_route = respx.post(f"{AUTH}/token").mock(side_effect=token_answers("one"))
    status_route = respx.get(f"{API}/Status").mock(return_value=httpx.Response(200, json=[]))
    api = api_for(credentials(tenant="acme"), Clock())
    api.get("Status", entity="fields")
    api.get("Status", entity="fields")
    assert token_route.call_count == 1
    sent = token_route.calls[0].request
    form = parse_qs(sent.content.decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": ["app-1"],
        "client_secret": ["s3cret-value"],
        "scope": ["all"],
    }
    assert sent.url.params["tenant"] == "acme"
    assert [c.request.headers["Authorization"] for c in status_route.calls] == ["Bearer one"] * 2


@respx.mock
def test_the_token_is_renewed_a_minute_before_it_expires():
    token_route = respx.post(f"{AUTH}/token").mock(side_effect=token_answers("one", "two"))
    status_route = respx.get(f"{API}/Status").mock(return_value=httpx.Response(200, json=[]))
    clock = Clock()
    api = api_for(credentials(), clock)
    api.get("Status", entity="fields")
    clock.now += 3600 - TOKEN_RENEW_MARGIN_SECONDS - 1
    api.get("Status", entity="fields")
    assert token_route.call_count == 1
    clock.now += 2
    api.get("Status", entity="fields")
    assert token_route.call_count == 2
    used = [c.request.headers["Authorization"] for c in status_route.calls]
    assert used == ["Bearer one", "Bearer one", "Bearer two"]


@respx.mock
def test_a_401_fetches_a_new_token_once():
    respx.post(f"{AUTH}/token").mock(side_effect=token_answers("old", "new"))
    denied = httpx.Response(
        401, json={"Message": "Authorization has been denied for this request."}
    )
    status_route = respx.get(f"{API}/Status").mock(
        side_effect=[denied, httpx.Response(200, json=[{"id": 1, "name": "New"}])]
    )
    api = api_for(credentials(), Clock())
    assert api.get("Status", entity="fields") == [{"id": 1, "name": "New"}]
    used = [c.request.headers["Authorization"] for c in status_route.calls]
    assert used == ["Bearer old", "Bearer new"]


@respx.mock
def test_a_token_refused_twice_is_an_authentication_error():
    respx.post(f"{AUTH}/token").mock(side_effect=token_answers("a", "b"))
    respx.get(f"{API}/Status").mock(return_value=httpx.Response(401, json={"Message": "no"}))
    with pytest.raises(AuthenticationError) as refused:
        api_for(credentials(), Clock()).get("Status", entity="fields")
    assert refused.value.user_message == REFUSED_ACCESS


@respx.mock
def test_wrong_client_credentials_are_refused_in_plain_words():
    respx.post(f"{AUTH}/token").mock(
        return_value=httpx.Response(400, json={"error": "invalid_client"})
    )
    with pytest.raises(AuthenticationError) as refused:
        api_for(credentials(), Clock()).get("Status", entity="fields")
    assert refused.value.user_message == REFUSED_CLIENT
    assert "s3cret-value" not in refused.value.user_message + refused.value.detail


@respx.mock
def test_a_wrong_authorization_server_says_so():
    respx.post(f"{AUTH}/token").mock(return_value=httpx.Response(404, text="Not Found"))
    with pytest.raises(NotFoundError) as missing:
        api_for(credentials(), Clock()).get("Status", entity="fields")
    assert "authorization server" in missing.value.user_message


@respx.mock
def test_objects_are_posted_as_arrays():
    respx.post(f"{AUTH}/token").mock(side_effect=token_answers("t"))
    route = respx.post(f"{API}/Team").mock(
        return_value=httpx.Response(201, json={"id": 9, "name": "Billing"})
    )
    saved = api_for(credentials(), Clock()).save("Team", entity="groups", body={"name": "Billing"})
    assert saved["id"] == 9
    assert route.calls[0].request.content == b'[{"name":"Billing"}]'


@respx.mock
def test_a_download_refused_with_401_is_opened_again_with_a_new_token():
    respx.post(f"{AUTH}/token").mock(side_effect=token_answers("old", "new"))
    route = respx.get(f"{API}/Attachment/4").mock(
        side_effect=[
            httpx.Response(401, json={"Message": "no"}),
            httpx.Response(200, content=b"ab"),
        ]
    )
    api = api_for(credentials(), Clock())
    with api.download(f"{API}/Attachment/4", entity="attachments") as chunks:
        assert b"".join(chunks) == b"ab"
    assert [c.request.headers["Authorization"] for c in route.calls] == ["Bearer old", "Bearer new"]
