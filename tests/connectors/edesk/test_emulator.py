"""The eDesk Open API emulator: paths, shapes, pagination, errors and the token bucket."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, datetime

import httpx
import pytest
import time_machine

from connectors.edesk import emulator as ed
from connectors.edesk.sandbox import EdeskSandbox, sandbox_api_token, sandbox_read_only_token
from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan

pytestmark = pytest.mark.django_db

ROOT = "/sandbox/edesk/acme"
API = f"{ROOT}/v1"


class Api:
    """eDesk calls through Django's test client, with a Bearer token."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(API + path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(
            API + path, json.dumps(body or {}), "application/json", headers=self.headers
        )

    def put(self, path: str, body: dict | None = None):
        return self.client.put(
            API + path, json.dumps(body or {}), "application/json", headers=self.headers
        )

    def delete(self, path: str):
        return self.client.delete(API + path, headers=self.headers)

    def upload(self, name: str, content: bytes, content_type: str = "text/plain"):
        upload = io.BytesIO(content)
        upload.name = name
        return self.client.post(API + "/attachments", {"file": upload}, headers=self.headers)


@pytest.fixture(autouse=True)
def blobs_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def account():
    return EdeskSandbox().account_create(slug="acme", name="Acme", rate_limit_per_minute=0)


@pytest.fixture
def api(client, account) -> Api:
    return Api(client, sandbox_api_token("acme"))


@pytest.fixture
def channel(account) -> int:
    return EmulatedRecord.objects.get(account=account, collection="channels").number


@pytest.fixture
def agent(account) -> int:
    """The account's administrator, whose token the calls use."""
    return EmulatedRecord.objects.get(account=account, collection="users").number


def new_contact(api: Api, channel: int, **fields) -> dict:
    body = {"channel_id": channel, "full_name": "Ann Buyer", "email": "ann@example.com", **fields}
    response = api.post("/contacts", body)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def new_ticket(api: Api, channel: int, contact: int, **fields) -> dict:
    body = {
        "channel_id": channel,
        "contact_id": contact,
        "subject": "Where is my parcel?",
        "created_at": "2023-06-01 08:15:00",
        "messages": [
            {
                "type": "Message",
                "direction": "Incoming",
                "body": "<p>It never came.</p>",
                "created_at": "2023-06-01 08:15:00",
                "external_id": "hdm-1",
            }
        ],
        **fields,
    }
    response = api.post("/tickets", body)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def details(response) -> dict:
    body = response.json()
    assert body["error"]["httpCode"] == response.status_code == 400
    assert body["error"]["message"] == "Validation Failed"
    return {name: value["errorCode"] for name, value in body["error"]["details"].items()}


# --- Authentication, errors and the rate limit --------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_a_missing_or_wrong_token_gets_401_in_edesks_error_body(client, account, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(f"{API}/channels", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "httpCode": 401,
            "message": "Unauthorized",
            "details": "Invalid or expired token.",
        }
    }


def test_a_read_only_token_reads_but_cannot_change(client, account, channel):
    api = Api(client, sandbox_read_only_token("acme"))
    assert api.get("/channels").status_code == 200
    refused = api.post("/contacts", {"channel_id": channel, "full_name": "X"})
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "httpCode": 403,
        "message": "Forbidden",
        "details": "This API token is read-only.",
    }


def test_unknown_account_records_and_methods(api, client):
    assert client.get("/sandbox/edesk/nobody/v1/channels").status_code == 404
    missing = api.get("/tickets/1")
    assert missing.status_code == 404
    assert missing.json()["error"]["httpCode"] == 404
    not_allowed = api.delete("/channels")
    assert not_allowed.status_code == 405 and not_allowed["Allow"] == "GET"
    assert (
        api.client.post(
            API + "/contacts", "{nope", "application/json", headers=api.headers
        ).status_code
        == 400
    )


def test_the_bucket_holds_60_calls_refilled_at_2_a_second(api, account):
    account.rate_limit_per_minute = None
    account.save()
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        statuses = [api.get("/channels").status_code for _ in range(61)]
        assert statuses[:60] == [200] * 60
        limited = api.get("/channels")
        assert limited.status_code == 429
        assert limited["Retry-After"] == "1"
        assert limited.json()["error"] == {
            "httpCode": 429,
            "message": "Too Many Requests",
            "details": "Out of quota.",
        }
        traveller.shift(1.0)  # two tokens back
        assert [api.get("/channels").status_code for _ in range(3)] == [200, 200, 429]
        traveller.shift(30.0)  # the whole burst back
        assert [api.get("/channels").status_code for _ in range(60)] == [200] * 60


def test_the_bucket_is_adjustable_per_account(api, account):
    account.rate_limit_per_minute = 3
    account.options = {"rate_window_seconds": 2}
    account.save()
    with time_machine.travel(datetime(2026, 1, 5, 12, tzinfo=UTC), tick=False) as traveller:
        assert [api.get("/channels").status_code for _ in range(4)] == [200, 200, 200, 429]
        traveller.shift(2.0)
        assert api.get("/channels").status_code == 200
    account.options = {"rate_burst": 1, "rate_refill_per_second": 0.1}
    account.save()
    with time_machine.travel(datetime(2026, 1, 6, 12, tzinfo=UTC), tick=False):
        assert api.get("/channels").status_code == 200
        limited = api.get("/channels")
        assert (limited.status_code, limited["Retry-After"]) == (429, "10")
    account.options = {}
    account.rate_limit_per_minute = 0
    account.save()
    assert all(api.get("/channels").status_code == 200 for _ in range(80))


# --- Channels, users, tags ---------------------------------------------------------------


def test_lists_are_paged_with_the_references_paginator(api, account):
    EdeskSandbox().seed(account=account, plan=SeedPlan(agents=5, contacts=7, tickets=0))
    first = api.get("/contacts", {"itemsPerPage": 3, "page": 1}).json()
    assert first["paginator"] == {"currentPage": 1, "itemsPerPage": 3, "totalItemsCount": 7}
    last = api.get("/contacts", {"itemsPerPage": 3, "page": 3}).json()
    assert len(last["data"]) == 1
    assert api.get("/contacts").json()["paginator"]["itemsPerPage"] == ed.DEFAULT_ITEMS_PER_PAGE
    capped = api.get("/contacts", {"itemsPerPage": 500}).json()["paginator"]
    assert capped["itemsPerPage"] == ed.MAX_ITEMS_PER_PAGE
    assert details(api.get("/contacts", {"page": "x"})) == {"page": ed.NOT_NUMERIC}
    channels = api.get("/channels").json()["data"]
    assert [(c["type"], set(c)) for c in channels] == [
        ("Email", {"id", "type", "country", "currency", "name"}),
        ("Amazon", {"id", "type", "country", "currency", "name"}),
    ]
    users = api.get("/users").json()["data"]
    assert set(users[0]) == {"id", "name", "email", "active", "username", "role"}
    assert api.get(f"/users/{users[0]['id']}").json()["data"] == users[0]


# --- Contacts ----------------------------------------------------------------------------


def test_contacts_are_written_found_and_unique_per_channel(api, channel):
    contact = new_contact(api, channel, phone_number="+44 20 7946 0000")
    assert set(contact) == {"id", "channel_id", "client_id", "full_name", "phone_number", "email"}
    assert api.get("/contacts", {"email": "ANN@example.com"}).json()["data"] == [contact]
    assert api.get("/contacts", {"fsf_query": "buyer"}).json()["data"] == [contact]
    assert api.get("/contacts", {"consumer_id": contact["id"]}).json()["data"] == [contact]
    duplicate = api.post(
        "/contacts", {"channel_id": channel, "full_name": "A", "email": "ann@example.com"}
    )
    assert details(duplicate) == {"email": ed.NOT_UNIQUE}
    missing = api.post("/contacts", {"channel_id": 1, "email": 5})
    assert details(missing) == {
        "channel_id": ed.NOT_FOUND,
        "email": ed.NOT_STRING,
        "full_name": ed.MISSING_REQUIRED,
    }
    changed = api.put(f"/contacts/{contact['id']}", {"full_name": "Ann B."}).json()["data"]
    assert changed["full_name"] == "Ann B." and changed["email"] == "ann@example.com"
    assert api.delete(f"/contacts/{contact['id']}").status_code == 200
    assert api.get(f"/contacts/{contact['id']}").status_code == 404


def test_an_address_without_email_is_accepted(api, channel):
    # Marketplace contacts carry user names or relay addresses in "email".
    contact = new_contact(api, channel, email="jane-doe+without-email.com")
    assert contact["email"] == "jane-doe+without-email.com"


# --- Tickets and messages ----------------------------------------------------------------


def test_a_ticket_is_created_with_its_messages_dates_and_authors(api, channel, agent):
    contact = new_contact(api, channel)
    ticket = new_ticket(
        api,
        channel,
        contact["id"],
        status="Pending",
        type="ShippingQuery",
        owner_user_id=agent,
        messages=[
            {"type": "Message", "direction": "Incoming", "body": "<p>Help</p>",
             "created_at": "2023-06-01 08:15:00", "external_id": "hdm-1"},
            {"type": "Message", "direction": "Outgoing", "body": "<p>On it</p>",
             "created_at": "2023-06-01 09:00:00", "from_user_id": agent},
            {"type": "Note", "body": "<p>Carrier called</p>", "created_at": "2023-06-02 10:00:00"},
        ],
    )  # fmt: skip
    assert set(ticket) >= {
        "id", "subject", "type", "channel_id", "status", "sales_order_id", "created_at",
        "last_updated_at", "owner_user_id", "custom_fields", "tags_ids", "contact_id",
        "messages_ids", "uri", "replies",
    }  # fmt: skip
    assert ticket["created_at"] == "2023-06-01 08:15:00"
    assert ticket["last_updated_at"] == "2023-06-02 10:00:00"
    assert (ticket["status"], ticket["type"], ticket["replies"]) == ("Pending", "ShippingQuery", 1)
    first, reply, note = (
        api.get(f"/messages/{number}").json()["data"] for number in ticket["messages_ids"]
    )
    assert (first["direction"], first["from_consumer_id"], first["external_id"]) == (
        "Incoming",
        contact["id"],
        "hdm-1",
    )
    assert reply["from_user"]["email"] == "admin@acme.example"
    assert (note["type"], note["direction"], note["created_at"]) == (
        "Note",
        "Other",
        "2023-06-02 10:00:00",
    )
    # A note written without an author is the token owner's.
    assert note["from_user"]["id"] == agent
    assert api.get(f"/tickets/{ticket['id']}").json()["data"] == ticket


def test_ticket_validation_uses_the_references_error_codes(api, channel):
    contact = new_contact(api, channel)
    missing = api.post("/tickets", {"messages": "none", "status": "Lost", "created_at": "soon"})
    assert details(missing) == {
        "channel_id": ed.MISSING_REQUIRED,
        "contact_id": ed.MISSING_REQUIRED,
        "subject": ed.MISSING_REQUIRED,
        "status": ed.NOT_ALLOWED_VALUE,
        "created_at": ed.NOT_DATE,
        "messages": ed.NOT_ARRAY,
    }
    base = {"channel_id": channel, "contact_id": contact["id"], "subject": "S"}
    too_many = [{"type": "Message", "body": "x"}] * (ed.MAX_MESSAGE_ITEMS + 1)
    assert details(api.post("/tickets", {**base, "messages": too_many})) == {
        "messages": ed.TOO_MANY_MESSAGE_ITEMS
    }
    bad_items = [
        {"type": "Chat", "body": 3, "from_user_id": 99},
        {"type": "Note", "body": "x", "attachments": [{"url": "x"}]},
        {"type": "Note", "body": "x", "attachments": [{"name": "a", "url": "https://x/a"}]},
    ]
    assert details(api.post("/tickets", {**base, "messages": bad_items, "subject": "s" * 256})) == {
        "subject": ed.TOO_LONG,
        "messages.0.type": ed.NOT_ALLOWED_VALUE,
        "messages.0.body": ed.NOT_STRING,
        "messages.0.from_user_id": ed.NOT_FOUND,
        "messages.1.attachments.0": ed.NOT_ATTACHMENT_REQUEST,
        "messages.2.attachments.0.url": ed.NOT_FILE_URL,
    }
    assert details(api.post("/tickets", {**base, "contact_id": 1, "owner_user_id": 2})) == {
        "contact_id": ed.NOT_FOUND,
        "owner_user_id": ed.NOT_FOUND,
    }


def test_messages_are_added_and_tickets_updated_and_deleted(api, channel, agent):
    contact = new_contact(api, channel)
    ticket = new_ticket(api, channel, contact["id"])
    added = api.post(
        f"/tickets/{ticket['id']}/messages",
        {
            "type": "Message",
            "direction": "Outgoing",
            "body": "Done",
            "created_at": "2023-07-01 00:00:00",
        },
    ).json()["data"]
    assert added["ticket_id"] == ticket["id"]
    shown = api.get(f"/tickets/{ticket['id']}").json()["data"]
    assert shown["messages_ids"] == [*ticket["messages_ids"], added["id"]]
    assert shown["last_updated_at"] == "2023-07-01 00:00:00"
    changed = api.put(
        f"/tickets/{ticket['id']}", {"status": "Closed", "owner_user_id": agent, "id": 1}
    ).json()["data"]
    assert (changed["id"], changed["status"], changed["owner_user_id"]) == (
        ticket["id"],
        "Closed",
        agent,
    )
    assert details(api.put(f"/tickets/{ticket['id']}", {"status": "Spam"})) == {
        "status": ed.NOT_ALLOWED_VALUE
    }
    assert api.delete(f"/tickets/{ticket['id']}").status_code == 200
    assert api.get(f"/tickets/{ticket['id']}").status_code == 404
    assert api.get(f"/messages/{added['id']}").status_code == 404


def test_the_ticket_list_filters_orders_and_pages(api, account, channel):
    ann = new_contact(api, channel)["id"]
    bob = new_contact(api, channel, email="bob@example.com", full_name="Bob")["id"]
    first = new_ticket(api, channel, ann)
    second = new_ticket(api, channel, bob, status="Closed")
    third = new_ticket(
        api,
        channel,
        ann,
        messages=[{"type": "Message", "body": "x", "created_at": "2024-02-10 23:30:00"}],
    )
    ids = lambda response: [t["id"] for t in response.json()["data"]]  # noqa: E731
    assert ids(api.get("/tickets")) == [first["id"], second["id"], third["id"]]
    assert ids(api.get("/tickets", {"order_direction": "desc"})) == [
        third["id"],
        second["id"],
        first["id"],
    ]
    assert ids(api.get("/tickets", {"filter_contact_id_equals": ann})) == [first["id"], third["id"]]
    assert ids(api.get("/tickets", {"filter_status_equals": "Closed"})) == [second["id"]]
    assert ids(api.get("/tickets", {"filter_channel_id_equals": channel + 1})) == []
    assert ids(api.get("/tickets", {"filter_last_updated_at_gte": "2024-02-10"})) == [third["id"]]
    assert ids(api.get("/tickets", {"filter_last_updated_at_lte": "2024-02-09"})) == [
        first["id"],
        second["id"],
    ]
    assert ids(api.get("/tickets", {"filter_created_at_gte": "2023-06-02"})) == []
    paged = api.get("/tickets", {"itemsPerPage": 2, "page": 2}).json()
    assert [t["id"] for t in paged["data"]] == [third["id"]]
    assert paged["paginator"]["totalItemsCount"] == 3
    assert details(
        api.get(
            "/tickets",
            {"filter_status_equals": "Lost", "filter_last_updated_at_gte": "May", "order_by": "x"},
        )
    ) == {
        "filter_status_equals": ed.NOT_ALLOWED_VALUE,
        "filter_last_updated_at_gte": ed.NOT_DATE,
        "order_by": ed.NOT_ALLOWED_VALUE,
    }


def test_the_ticket_list_reads_in_a_constant_number_of_queries(
    api, account, django_assert_max_num_queries
):
    EdeskSandbox().seed(account=account, plan=SeedPlan(agents=2, contacts=3, tickets=30))
    with django_assert_max_num_queries(8):
        assert len(api.get("/tickets", {"itemsPerPage": 30}).json()["data"]) == 30


# --- Attachments -------------------------------------------------------------------------


def test_uploaded_files_are_named_by_messages_and_download_whole(api, channel):
    content = b"\x00receipt\xff" * 1000
    uploaded = api.upload("receipt.pdf", content).json()["data"]
    assert set(uploaded) == {"id", "name", "link", "mime", "size"}
    assert uploaded["size"] == len(content)
    contact = new_contact(api, channel)
    ticket = new_ticket(
        api,
        channel,
        contact["id"],
        messages=[
            {
                "type": "Message",
                "body": "See attached",
                "attachments": [{"name": "receipt.pdf", "url": uploaded["link"]}],
            }
        ],
    )
    shown = api.get(f"/messages/{ticket['messages_ids'][0]}").json()["data"]
    (attachment,) = shown["attachments"]
    assert attachment["name"] == "receipt.pdf"
    assert attachment["link"] == uploaded["link"]
    download = api.client.get(attachment["link"], headers=api.headers)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert api.client.get(attachment["link"]).status_code == 401


def test_files_over_10_mb_are_refused(api):
    too_big = api.upload("video.mp4", b"x" * (10 * 1024 * 1024 + 1))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["httpCode"] == 413
    assert api.upload("ok.bin", b"x" * (10 * 1024 * 1024)).status_code == 200
    assert details(api.client.post(API + "/attachments", {}, headers=api.headers)) == {
        "file": ed.MISSING_REQUIRED
    }


# --- Seeded data -------------------------------------------------------------------------


def test_seeded_tickets_read_like_created_ones(api, account):
    EdeskSandbox().seed(
        account=account, plan=SeedPlan(agents=3, contacts=4, tickets=5, attachment_ratio=1.0)
    )
    tickets = api.get("/tickets").json()["data"]
    assert len(tickets) == 5
    for ticket in tickets:
        messages = [api.get(f"/messages/{n}").json()["data"] for n in ticket["messages_ids"]]
        assert messages[0]["direction"] == "Incoming"
        assert messages[0]["from_consumer_id"] == ticket["contact_id"]
        assert ticket["last_updated_at"] == messages[-1]["created_at"]
    links = [
        attachment["link"]
        for ticket in tickets
        for number in ticket["messages_ids"]
        for attachment in api.get(f"/messages/{number}").json()["data"]["attachments"]
    ]
    assert links and all(link.startswith("http://testserver/") for link in links)
    tag = api.get("/tags").json()["data"][0]
    assert api.get(f"/tags/{tag['id']}").json()["data"] == tag


# --- Over real HTTP ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_over_loopback_http(live_server, settings, tmp_path):
    settings.ALLOWED_HOSTS = ["*"]
    account = EdeskSandbox().account_create(slug="acme", name="Acme", rate_limit_per_minute=0)
    EdeskSandbox().seed(account=account, plan=SeedPlan(agents=2, contacts=2, tickets=2))
    headers = {"Authorization": f"Bearer {sandbox_api_token('acme')}"}
    with httpx.Client(base_url=f"{live_server.url}{ROOT}", headers=headers, timeout=10) as http:
        tickets = http.get("/v1/tickets").json()["data"]
        assert len(tickets) == 2
        channel = http.get("/v1/channels").json()["data"][0]["id"]
        uploaded = http.post(
            "/v1/attachments", files={"file": ("a.txt", b"hello", "text/plain")}
        ).json()["data"]
        assert uploaded["link"].startswith(live_server.url)
        contact = http.post(
            "/v1/contacts", json={"channel_id": channel, "full_name": "Z", "email": "z@z.example"}
        ).json()["data"]
        created = http.post(
            "/v1/tickets",
            json={
                "channel_id": channel,
                "contact_id": contact["id"],
                "subject": "Over HTTP",
                "messages": [
                    {
                        "type": "Message",
                        "body": "hi",
                        "attachments": [{"name": "a.txt", "url": uploaded["link"]}],
                    }
                ],
            },
        ).json()["data"]
        message = http.get(f"/v1/messages/{created['messages_ids'][0]}").json()["data"]
        content = http.get(message["attachments"][0]["link"]).content
        assert hashlib.sha256(content).hexdigest() == hashlib.sha256(b"hello").hexdigest()
        assert http.get("/v1/tickets", headers={"Authorization": "Bearer no"}).status_code == 401
