"""The Teamwork Desk API v2 emulator: paths, shapes, pages, filters, errors and limits of the
real API."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.test.client import MULTIPART_CONTENT
from django.utils import timezone

from connectors import emulation
from connectors.models import EmulatedRecord
from connectors.teamwork_desk import emulator as tw

pytestmark = pytest.mark.django_db

API_KEY = "tw-sandbox-key"
OAUTH_TOKEN = "tw-oauth-token"
ROOT = "/sandbox/teamwork_desk/acme"
API = f"{ROOT}/desk/api/v2"


PLACEHOLDER_PASSWORD = "X"  # Teamwork Desk only reads the API key, sent as the user name


def basic(key: str, secret: str = PLACEHOLDER_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class Api:
    """Teamwork Desk calls through Django's test client."""

    def __init__(self, client, authorization: str = basic(API_KEY)) -> None:
        self.client = client
        self.headers = {"Authorization": authorization}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(API + path, params or {}, headers=self.headers)

    def send(self, method: str, path: str, body: dict | None = None):
        return self.client.generic(
            method, API + path, json.dumps(body or {}), "application/json", headers=self.headers
        )

    def post(self, path: str, body: dict | None = None):
        return self.send("POST", path, body)


@pytest.fixture
def account():
    return emulation.account_get_or_create(
        platform="teamwork_desk",
        slug="acme",
        name="Acme",
        secrets={"api_key": API_KEY, "oauth_token": OAUTH_TOKEN},
        rate_limit_per_minute=0,
    )


@pytest.fixture
def api(client, account) -> Api:
    return Api(client)


@pytest.fixture(autouse=True)
def blobs_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def details(response) -> list[str]:
    return [error["detail"] for error in response.json()["errors"]]


def inbox_id(api: Api) -> int:
    return api.get("/inboxes.json").json()["inboxes"][0]["id"]


def new_ticket(api: Api, **fields: Any) -> dict[str, Any]:
    body = {
        "subject": "Printer on fire",
        "message": "<p>It burns</p>",
        "inbox": {"id": inbox_id(api)},
        "customer": {"email": "rachel@example.com"},
        **fields,
    }
    response = api.post("/tickets.json", {"ticket": body})
    assert response.status_code == 201, response.content
    return response.json()["ticket"]


def upload(api: Api, client, content: bytes, *, name: str = "report.pdf") -> int:
    """The three steps of a file upload; returns the confirmed file's id."""
    reference = api.post(
        "/files/ref.json",
        {
            "type": "attachment",
            "filename": name,
            "mimeType": "application/pdf",
            "disposition": "attachment",
        },
    )
    assert reference.status_code == 201, reference.content
    answer = reference.json()
    assert answer["file"]["state"] == "temp"
    form = {**answer["params"], "file": _named(content, name)}
    stored = client.post(answer["url"].removeprefix("http://testserver"), form, MULTIPART_CONTENT)
    assert stored.status_code == 201 and b"<PostResponse>" in stored.content
    confirmed = api.send("PATCH", f"/files/{answer['file']['id']}.json")
    assert confirmed.status_code == 200 and confirmed.json()["file"]["state"] == "active"
    return answer["file"]["id"]


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- Authentication, errors and limits ----------------------------------------------------


def test_the_api_key_signs_in_with_basic_or_bearer_and_so_does_the_oauth_token(client, account):
    for authorization in (
        basic(API_KEY),
        basic(API_KEY, "anything"),
        f"Bearer {OAUTH_TOKEN}",
        f"Bearer {API_KEY}",
    ):
        response = Api(client, authorization).get("/me.json")
        assert response.status_code == 200, authorization
    owner = response.json()["user"]
    assert owner["role"] == "admin" and owner["email"] == "owner@acme.example"


@pytest.mark.parametrize(
    "authorization", [basic("wrong"), "Bearer wrong", basic(OAUTH_TOKEN), "", "Token x"]
)
def test_refused_credentials_are_401_with_an_errors_body(client, account, authorization):
    response = Api(client, authorization).get("/tickets.json")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "unauthorized"


def test_every_site_has_an_owner_and_an_inbox(api):
    [inbox] = api.get("/inboxes.json").json()["inboxes"]
    assert inbox["name"] == "Support" and inbox["email"] == "support@acme.teamwork.com"


def test_missing_records_paths_and_methods(api):
    assert api.get("/tickets/1.json").status_code == 404
    assert details(api.get("/nothing-here.json")) == ["Not found"]
    wrong = api.send("PUT", "/tickets.json")
    assert wrong.status_code == 405 and wrong["Allow"] == "GET, POST"
    bad = api.client.post(API + "/tickets.json", "subject=x", "text/plain", headers=api.headers)
    assert bad.status_code == 400


def test_rate_limit_answers_429_with_retry_after_and_headers(api, account):
    account.rate_limit_per_minute = 2
    account.save()
    first = api.get("/me.json")
    assert first["X-Rate-Limit-Limit"] == "2" and first["X-Rate-Limit-Remaining"] == "1"
    reset = int(first["X-Rate-Limit-Reset"])
    assert timezone.now().timestamp() < reset <= timezone.now().timestamp() + 61
    api.get("/me.json")
    refused = api.get("/me.json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["errors"][0]["code"] == "rate_limited"


def test_the_default_limit_is_120_a_minute(api, account):
    account.rate_limit_per_minute = None
    account.save()
    assert api.get("/me.json")["X-Rate-Limit-Limit"] == "120"


# --- Tickets ------------------------------------------------------------------------------


def test_a_ticket_is_created_with_its_first_message_from_a_new_customer(api):
    ticket = new_ticket(api, priority={"id": 2}, tags=[])
    assert ticket["status"] == {"id": 1, "type": "ticketstatuses"}
    assert ticket["messageCount"] == 1 and ticket["previewText"] == "It burns"
    shown = api.get(f"/tickets/{ticket['id']}.json", {"includes": "messages,customers"}).json()
    [message] = shown["included"]["messages"]
    [customer] = shown["included"]["customers"]
    assert message["createdBy"] == {"id": customer["id"], "type": "customers"}
    assert message["threadType"] == "message" and customer["email"] == "rachel@example.com"
    again = new_ticket(api)
    assert again["customer"] == ticket["customer"]  # the same address is the same customer


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"subject": ""}, "subject: must be set"),
        ({"message": ""}, "message: must be set"),
        ({"inbox": None}, "inbox: must be set"),
        (
            {"customer": {"id": 1, "email": "a@b.co"}},
            "customer: Customer ID or Email is required, but not both",
        ),
        ({"customer": {"id": 99}}, "customer: customer 99 does not exist"),
        ({"status": {"id": 42}}, "status: status 42 does not exist"),
        ({"agent": {"id": 1}}, "agent: agent 1 does not exist"),
        ({"tags": [{"id": 5}]}, "tags: tag 5 does not exist"),
        ({"files": [{"id": 5}]}, "files: file 5 does not exist"),
    ],
)
def test_ticket_validation_errors_in_teamwork_desks_words(api, change, detail):
    body = {
        "subject": "s",
        "message": "m",
        "inbox": {"id": inbox_id(api)},
        "customer": {"email": "a@b.co"},
        **change,
    }
    response = api.post("/tickets.json", {"ticket": body})
    assert response.status_code == 400
    assert details(response) == [detail]


def test_ticket_patch_and_trash(api):
    ticket = new_ticket(api)
    changed = api.send("PATCH", f"/tickets/{ticket['id']}.json", {"ticket": {"status": {"id": 4}}})
    assert changed.status_code == 200 and changed.json()["ticket"]["status"]["id"] == 4
    refused = api.send(
        "PATCH", f"/tickets/{ticket['id']}.json", {"ticket": {"customer": {"id": 1}}}
    )
    assert refused.status_code == 400
    assert api.send("DELETE", f"/tickets/{ticket['id']}.json").status_code == 204
    assert api.get(f"/tickets/{ticket['id']}.json").status_code == 404
    assert api.get("/tickets.json").json()["tickets"] == []
    trash = api.get("/tickets.json", {"filter": json.dumps({"state": {"$eq": "deleted"}})})
    assert [t["id"] for t in trash.json()["tickets"]] == [ticket["id"]]


def test_ticket_lists_page_filter_and_order(api, account):
    tickets = [new_ticket(api, subject=f"T{index}") for index in range(5)]
    record = EmulatedRecord.objects.get(
        account=account, collection="tickets", number=tickets[1]["id"]
    )
    past = timezone.now() - timedelta(days=3)
    record.updated_at = past
    record.data["updatedAt"] = emulation.isoformat(past)
    record.save()
    first = api.get("/tickets.json", {"pageSize": 2, "orderBy": "id"}).json()
    assert [t["id"] for t in first["tickets"]] == [t["id"] for t in tickets[:2]]
    assert first["meta"]["page"] == {"pageOffset": 0, "pageSize": 2, "count": 5, "hasMore": True}
    last = api.get("/tickets.json", {"pageSize": 2, "page": 3}).json()
    assert len(last["tickets"]) == 1 and last["meta"]["page"]["hasMore"] is False
    ordered = api.get("/tickets.json", {"orderBy": "updatedAt", "orderMode": "asc"}).json()
    assert ordered["tickets"][0]["id"] == tickets[1]["id"]
    since = emulation.isoformat(timezone.now() - timedelta(days=1))
    recent = api.get("/tickets.json", {"filter": json.dumps({"updatedAt": {"$gte": since}})})
    assert recent.json()["meta"]["page"]["count"] == 4
    either = {"$or": [{"subject": {"$eq": "t0"}}, {"id": {"$in": [tickets[4]["id"]]}}]}
    found = api.get("/tickets.json", {"filter": json.dumps(either)}).json()["tickets"]
    assert [t["subject"] for t in found] == ["T0", "T4"]
    assert api.get("/tickets.json", {"pageSize": 500}).json()["meta"]["page"]["pageSize"] == 100


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"filter": "{nope"}, "filter: must be a JSON object"),
        ({"filter": json.dumps({"tags": {"$eq": 1}})}, "filter: tags is not a filterable field"),
        ({"filter": json.dumps({"id": {"$like": 1}})}, "filter: unknown operator $like"),
        ({"orderBy": "tags"}, "orderBy: tags is not a sortable field"),
        ({"page": "0"}, "page: must be a positive integer"),
        ({"includes": "secrets"}, "includes: secrets cannot be included"),
    ],
)
def test_list_parameters_are_checked(api, params, detail):
    response = api.get("/tickets.json", params)
    assert response.status_code == 400
    assert details(response)[0].startswith(detail)


def test_messages_and_notes_with_files_and_downloads(api, client):
    ticket = new_ticket(api)
    content = b"%PDF-1.4 " + bytes(range(256)) * 40
    file_id = upload(api, client, content)
    note = api.post(
        f"/tickets/{ticket['id']}/messages.json",
        {"message": "<p>Internal</p>", "threadType": "note", "files": [{"id": file_id}]},
    )
    assert note.status_code == 201, note.content
    assert note.json()["message"]["createdBy"]["type"] == "users"
    shown = api.get(f"/tickets/{ticket['id']}.json", {"includes": "all"}).json()
    assert [m["threadType"] for m in shown["included"]["messages"]] == ["message", "note"]
    [file] = shown["included"]["files"]
    assert file["size"] == len(content) and file["url"].startswith("http://testserver/")
    downloaded = client.get(file["url"].removeprefix("http://testserver"), headers=api.headers)
    assert b"".join(downloaded.streaming_content) == content
    assert client.get(file["url"].removeprefix("http://testserver")).status_code == 401
    bad = api.post(f"/tickets/{ticket['id']}/messages.json", {"message": "x", "threadType": "sms"})
    assert bad.status_code == 400


def test_files_must_be_uploaded_and_confirmed_and_at_most_20_mb(api, client, monkeypatch):
    reference = api.post("/files/ref.json", {"type": "attachment", "filename": "a.txt"}).json()
    assert api.send("PATCH", f"/files/{reference['file']['id']}.json").status_code == 400
    ticket = new_ticket(api)
    unconfirmed = api.post(
        f"/tickets/{ticket['id']}/messages.json",
        {"message": "x", "files": [{"id": reference["file"]["id"]}]},
    )
    assert details(unconfirmed) == [f"files: file {reference['file']['id']} has not been uploaded"]
    forged = client.post(
        reference["url"].removeprefix("http://testserver"),
        {**reference["params"], "policy": "forged", "file": _named(b"x", "a.txt")},
    )
    assert forged.status_code == 403
    monkeypatch.setattr(tw, "MAX_MESSAGE_FILES_BYTES", 10)
    too_big = client.post(
        reference["url"].removeprefix("http://testserver"),
        {**reference["params"], "file": _named(b"eleven bytes", "a.txt")},
    )
    assert too_big.status_code == 400 and b"EntityTooLarge" in too_big.content


# --- People -------------------------------------------------------------------------------


def test_customers_create_find_update_and_delete(api):
    created = api.post(
        "/customers.json",
        {"customer": {"firstName": "Rachel", "email": "rachel@example.com", "externalId": "hdm-1"}},
    )
    assert created.status_code == 201
    customer = created.json()["customer"]
    duplicate = api.post("/customers.json", {"customer": {"email": "RACHEL@example.com"}})
    assert duplicate.status_code == 409
    by_email = {"contacts.value": {"$eq": "rachel@example.com"}}
    listed = api.get("/customers.json", {"filter": json.dumps(by_email), "includes": "contacts"})
    assert [c["id"] for c in listed.json()["customers"]] == [customer["id"]]
    assert listed.json()["included"]["contacts"][0]["value"] == "rachel@example.com"
    by_marker = api.get("/customers.json", {"filter": json.dumps({"externalId": {"$eq": "hdm-1"}})})
    assert by_marker.json()["meta"]["page"]["count"] == 1
    updated = api.send(
        "PUT", f"/customers/{customer['id']}.json", {"customer": {"lastName": "Green"}}
    )
    assert updated.json()["customer"]["lastName"] == "Green"
    assert updated.json()["customer"]["externalId"] == "hdm-1"
    assert api.send("DELETE", f"/customers/{customer['id']}.json").status_code == 204
    assert api.get("/customers.json").json()["meta"]["page"]["count"] == 0
    assert api.post("/customers.json", {"customer": {"email": "nope"}}).status_code == 400


def test_users_and_pending_agent_invites(api, account):
    api.get("/me.json")
    invited = emulation.record_create(
        account=account,
        collection="users",
        data={"id": 5, "firstName": "Ines", "email": "ines@acme.example", "state": "active"},
        number=5,
    )
    emulation.record_create(
        account=account,
        collection="agentinvites",
        data={"id": 1, "state": "pending", "user": {"id": invited.number, "type": "users"}},
        number=1,
    )
    by_email = api.get(
        "/users.json", {"filter": json.dumps({"email": {"$eq": "INES@acme.example"}})}
    )
    assert [u["id"] for u in by_email.json()["users"]] == [5]
    pending = api.get(
        "/agentinvites.json",
        {"filter": json.dumps({"state": {"$eq": "pending"}}), "includes": "users"},
    ).json()
    assert pending["agentinvites"][0]["user"]["id"] == 5
    assert pending["included"]["users"][0]["email"] == "ines@acme.example"
    assert api.send("POST", "/users.json", {"user": {}}).status_code == 405


def test_tags_are_unique_by_name(api):
    created = api.post("/tags.json", {"tag": {"name": "VIP"}})
    assert created.status_code == 201
    assert api.post("/tags.json", {"tag": {"name": "vip"}}).status_code == 409
    found = api.get("/tags.json", {"filter": json.dumps({"name": {"$eq": "vip"}})}).json()
    assert [tag["name"] for tag in found["tags"]] == ["VIP"]


def test_reference_lists(api):
    statuses = api.get("/ticketstatuses.json").json()["ticketstatuses"]
    assert [s["code"] for s in statuses] == ["active", "onhold", "waiting", "solved", "closed"]
    assert len(api.get("/ticketpriorities.json").json()["ticketpriorities"]) == 4
    assert api.get("/tickettypes.json").json()["meta"]["page"]["count"] == 4


# --- Help docs ----------------------------------------------------------------------------


def test_help_docs_sites_categories_and_articles(api):
    site = api.post("/helpdocssites.json", {"helpdocssite": {"name": "Help", "subdomain": "help"}})
    assert site.status_code == 201
    site_id = site.json()["helpdocssite"]["id"]
    taken = api.post(
        "/helpdocssites.json", {"helpdocssite": {"name": "Other", "subdomain": "help"}}
    )
    assert taken.status_code == 409
    other = api.post(
        "/helpdocssites.json", {"helpdocssite": {"name": "Other", "subdomain": "other"}}
    ).json()["helpdocssite"]["id"]
    top = api.post(
        "/helpdocscategories.json",
        {"helpdocscategory": {"name": "Basics", "helpDocsSites_id": site_id}},
    ).json()["helpdocscategory"]
    nested = api.post(
        "/helpdocscategories.json",
        {"helpdocscategory": {"name": "More", "helpDocsSites_id": site_id, "parent_id": top["id"]}},
    )
    assert nested.status_code == 201
    elsewhere = api.post(
        "/helpdocscategories.json",
        {"helpdocscategory": {"name": "X", "helpDocsSites_id": other, "parent_id": top["id"]}},
    )
    assert details(elsewhere) == ["parent_id: the parent category is not in this site"]
    of_site = {"sites.id": {"$eq": site_id}}
    listed = api.get("/helpdocscategories.json", {"filter": json.dumps(of_site)}).json()
    assert [c["name"] for c in listed["helpdocscategories"]] == ["Basics", "More"]

    articles = f"/helpdocssites/{site_id}/helpdocarticles"
    body = {
        "title": "Reset",
        "contents": "<p>Do it</p>",
        "status": "Published",
        "categories": [top["id"]],
    }
    created = api.post(f"{articles}.json", {"helpdocarticle": body})
    assert created.status_code == 201, created.content
    article = created.json()["helpdocarticle"]
    assert article["status"] == "published" and article["helpdocsite"]["id"] == site_id
    for change, detail in (
        ({"categories": []}, "categories: at least one category is required"),
        ({"contents": ""}, "contents: must be set"),
        ({"editMethod": "markdown"}, "contents: must be set"),
        ({"status": "Archived"}, "status: must be Draft or Published"),
    ):
        refused = api.post(f"{articles}.json", {"helpdocarticle": {**body, **change}})
        assert details(refused) == [detail]
    patched = api.send(
        "PATCH", f"{articles}/{article['id']}.json", {"helpdocarticle": {"status": "Draft"}}
    )
    assert patched.json()["helpdocarticle"]["status"] == "draft"
    assert (
        api.get(f"/helpdocssites/{other}/helpdocarticles/{article['id']}.json").status_code == 404
    )
    assert api.send("DELETE", f"{articles}/{article['id']}.json").status_code == 204


# --- Over real HTTP -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_over_loopback_http(live_server, settings, tmp_path):
    settings.ALLOWED_HOSTS = ["*"]
    emulation.account_get_or_create(
        platform="teamwork_desk",
        slug="acme",
        name="Acme",
        secrets={"api_key": API_KEY},
        rate_limit_per_minute=0,
    )
    content = b"%PDF-1.4 " + bytes(range(256)) * 300
    base = f"{live_server.url}{ROOT}/desk/api/v2"
    with httpx.Client(base_url=base, auth=(API_KEY, "X"), timeout=10) as http:
        assert http.get("/me.json").status_code == 200
        assert http.get("/tickets.json", auth=("wrong", "X")).status_code == 401
        inbox = http.get("/inboxes.json").json()["inboxes"][0]["id"]
        reference = http.post(
            "/files/ref.json", json={"type": "attachment", "filename": "i.pdf"}
        ).json()
        stored = httpx.post(
            reference["url"],
            data=reference["params"],
            files={"file": ("i.pdf", content, "application/pdf")},
            timeout=10,
        )
        assert stored.status_code == 201
        assert http.patch(f"/files/{reference['file']['id']}.json", json={}).status_code == 200
        created = http.post(
            "/tickets.json",
            json={
                "ticket": {
                    "subject": "Invoice",
                    "message": "<p>attached</p>",
                    "inbox": {"id": inbox},
                    "customer": {"email": "rachel@example.com"},
                    "files": [{"id": reference["file"]["id"]}],
                }
            },
        )
        assert created.status_code == 201, created.text
        ticket = created.json()["ticket"]
        listed = http.get("/tickets.json", params={"includes": "files"}).json()
        assert [t["id"] for t in listed["tickets"]] == [ticket["id"]]
        url = listed["included"]["files"][0]["url"]
        assert url.startswith(live_server.url)
        with http.stream("GET", url) as download:
            assert download.status_code == 200
            assert b"".join(download.iter_bytes()) == content
