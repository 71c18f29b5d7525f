"""The Freshdesk API v2 emulator: paths, shapes, pagination, errors and limits of the real API."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from connectors import emulation
from connectors.freshdesk import emulator
from connectors.models import EmulatedRecord
from tests.fixtures_util import fixture_payload

pytestmark = pytest.mark.django_db

API_KEY = "fd-sandbox-key"
AGENT_KEY = "fd-agent-key"
ROOT = "/sandbox/freshdesk/acme"
API = f"{ROOT}/api/v2"


PLACEHOLDER_PASSWORD = "X"  # Freshdesk only reads the API key, sent as the user name


def basic(key: str, secret: str = PLACEHOLDER_PASSWORD) -> str:
    """An HTTP Basic header: the API key as user name, a placeholder password."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class Api:
    """Freshdesk calls through Django's test client, signed with an API key."""

    def __init__(self, client, key: str = API_KEY) -> None:
        self.client = client
        self.headers = {"Authorization": basic(key)}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(API + path, params or {}, headers=self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(
            API + path, json.dumps(body or {}), "application/json", headers=self.headers
        )

    def post_form(self, path: str, form: dict):
        return self.client.post(API + path, form, headers=self.headers)

    def put(self, path: str, body: dict | None = None):
        return self.client.put(
            API + path, json.dumps(body or {}), "application/json", headers=self.headers
        )

    def delete(self, path: str):
        return self.client.delete(API + path, headers=self.headers)


@pytest.fixture
def account():
    return emulation.account_get_or_create(
        platform="freshdesk",
        slug="acme",
        name="Acme",
        secrets={"api_key": API_KEY, "agent_api_key": AGENT_KEY},
        rate_limit_per_minute=0,
    )


@pytest.fixture
def api(client, account) -> Api:
    return Api(client)


@pytest.fixture(autouse=True)
def blobs_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def new_ticket(api: Api, **fields) -> dict:
    body = {
        "email": "rachel@example.com",
        "subject": "Printer on fire",
        "description": "<div>It <b>burns</b></div>",
        **fields,
    }
    response = api.post("/tickets", body)
    assert response.status_code == 201, response.content
    return response.json()


def backdate(account, number: int, *, days: int) -> None:
    """A ticket created and last changed ``days`` ago (the API cannot set dates)."""
    moment = timezone.now() - timedelta(days=days)
    record = EmulatedRecord.objects.get(account=account, collection="tickets", number=number)
    record.created_at = record.updated_at = moment
    record.data.update(
        created_at=emulation.isoformat(moment), updated_at=emulation.isoformat(moment)
    )
    record.save()


def upload(name: str, content: bytes, content_type: str = "text/plain") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def validation(*errors: tuple[str, str, str]) -> dict:
    return {
        "description": "Validation failed",
        "errors": [
            {"field": field, "message": message, "code": code} for field, message, code in errors
        ],
    }


# --- Authentication, errors and limits ---------------------------------------------------


def test_api_key_authenticates_and_me_is_the_owner_agent(api, client, account):
    response = api.get("/agents/me")
    assert response.status_code == 200
    me = response.json()
    assert me["contact"]["email"] == "admin@acme.example.com"
    assert me["id"] >= emulator.USER_ID_START
    assert response["X-Freshdesk-API-Version"] == "latest=v2; requested=v2"
    # Freshdesk ignores the password that goes with the key.
    other = client.get(f"{API}/agents/me", headers={"Authorization": basic(API_KEY, "anything")})
    assert other.json()["id"] == me["id"]


@pytest.mark.parametrize(
    "authorization", [None, basic("wrong-key"), "Bearer " + API_KEY, "Basic not-base64!"]
)
def test_bad_credentials_get_freshdesks_401(client, account, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(f"{API}/tickets", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "You have to be logged in to perform this action.",
    }


def test_an_agents_key_is_refused_admin_calls_with_403(client, account):
    agent_api = Api(client, AGENT_KEY)
    assert agent_api.get("/tickets").status_code == 200
    response = agent_api.post("/agents", {"email": "new@example.com", "ticket_scope": 1})
    assert response.status_code == 403
    assert response.json() == {
        "code": "access_denied",
        "message": "You are not authorized to perform this action.",
    }


def test_missing_records_and_routes_are_bare_404s(api):
    for path in ("/tickets/999", "/contacts/1", "/nothing/here", "/tickets/abc"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.content == b""


def test_wrong_method_is_405_with_allow(api):
    response = api.delete("/tickets")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert response.json() == {
        "code": "method_not_allowed",
        "message": "DELETE method is not allowed. It should be one of these method(s): GET, POST",
    }


def test_malformed_json_and_wrong_content_type(api, client):
    broken = client.post(f"{API}/tickets", "{oops", "application/json", headers=api.headers)
    assert broken.status_code == 400
    assert broken.json() == {
        "code": "invalid_json",
        "message": "Request body has invalid json format",
    }
    xml = client.post(f"{API}/tickets", "<ticket/>", "application/xml", headers=api.headers)
    assert xml.status_code == 415
    assert xml.json()["code"] == "invalid_content_type"


def test_rate_limit_answers_429_with_retry_after_and_headers(api, account):
    account.rate_limit_per_minute = 3
    account.save()
    # Within one minute of the limiter, whatever the clock says.
    with time_machine.travel(datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC), tick=False):
        answers = [api.get("/tickets") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer["X-RateLimit-Remaining"] for answer in answers] == ["2", "1", "0", "0"]
    limited = answers[3]
    assert limited["X-RateLimit-Total"] == "3"
    assert limited["X-RateLimit-Used-CurrentRequest"] == "1"
    assert limited["Retry-After"] == "55"
    assert limited.json() == {"message": "You have exceeded the limit of requests per minute"}


def test_default_limit_is_the_growth_plan(api, account):
    account.rate_limit_per_minute = None
    account.save()
    assert emulator.PROFILE.default_rate_limit_per_minute == 200
    assert api.get("/tickets")["X-RateLimit-Total"] == "200"


def test_unknown_query_parameters_are_refused(api):
    response = api.get("/contacts", {"updated_since": "2020-01-01"})
    assert response.status_code == 400
    assert response.json() == validation(
        ("updated_since", "Unexpected/invalid field in request", "invalid_field")
    )


# --- Tickets -----------------------------------------------------------------------------


def test_ticket_create_read_update_delete(api, account):
    created = new_ticket(api, priority=3, tags=["vip", "printer"], cc_emails=["boss@example.com"])
    assert created["id"] == 1
    assert created["status"] == 2 and created["priority"] == 3 and created["source"] == 2
    assert created["description_text"] == "It burns"
    assert created["tags"] == ["vip", "printer"]
    assert created["cc_emails"] == ["boss@example.com"]
    # The unknown requester became a contact.
    contacts = api.get("/contacts", {"email": "rachel@example.com"}).json()
    assert [contact["id"] for contact in contacts] == [created["requester_id"]]
    assert contacts[0]["name"] == "rachel"

    shown = api.get("/tickets/1").json()
    assert shown == created
    assert "stats" not in shown and "requester" not in shown

    updated = api.put("/tickets/1", {"status": 4, "tags": ["closed-case"], "subject": "Fixed"})
    assert updated.status_code == 200
    assert updated.json()["tags"] == ["closed-case"]
    assert updated.json()["subject"] == "Fixed"
    record = EmulatedRecord.objects.get(account=account, collection="tickets", number=1)
    assert record.data["updated_at"] == emulation.isoformat(record.updated_at)
    stats = api.get("/tickets/1", {"include": "stats"}).json()["stats"]
    assert stats["resolved_at"] is not None and stats["status_updated_at"] is not None

    assert api.delete("/tickets/1").status_code == 204
    assert api.get("/tickets/1").json()["deleted"] is True
    assert api.get("/tickets").json() == []
    assert [t["id"] for t in api.get("/tickets", {"filter": "deleted"}).json()] == [1]
    assert api.put("/tickets/1", {"priority": 1}).status_code == 404
    assert api.delete("/tickets/1").status_code == 404
    assert api.put("/tickets/1/restore").status_code == 204
    assert [t["id"] for t in api.get("/tickets").json()] == [1]


def test_ticket_requester_by_id_and_company_from_requester(api):
    company = api.post("/companies", {"name": "Globex"}).json()
    contact = api.post(
        "/contacts", {"name": "Homer", "email": "homer@globex.com", "company_id": company["id"]}
    ).json()
    ticket = new_ticket(api, email=None, requester_id=contact["id"])
    assert ticket["requester_id"] == contact["id"]
    assert ticket["company_id"] == company["id"]


def test_ticket_validation_errors_use_freshdesks_body(api):
    response = api.post(
        "/tickets",
        {"subject": "x", "status": 9, "created_at": "2015-01-01T00:00:00Z", "email": "nope"},
    )
    assert response.status_code == 400
    assert response.json() == validation(
        ("created_at", "Unexpected/invalid field in request", "invalid_field"),
        ("description", "It should not be blank as this is a mandatory field", "missing_field"),
        ("email", "It should be in the 'valid email address' format", "invalid_value"),
        ("status", "It should be one of these values: '2,3,4,5'", "invalid_value"),
    )
    response = api.post("/tickets", {"subject": "x", "description": "y"})
    assert response.json() == validation(
        ("requester_id", emulator.REQUESTER_MISSING, "missing_field")
    )
    unknown_agent = api.post(
        "/tickets",
        {"email": "a@example.com", "subject": "s", "description": "d", "responder_id": 5},
    )
    assert unknown_agent.json() == validation(
        ("responder_id", "There is no agent matching the given responder_id", "invalid_value")
    )
    assert api.put("/tickets/1", {}).status_code == 404
    ticket = new_ticket(api)
    empty = api.put(f"/tickets/{ticket['id']}", {})
    assert empty.status_code == 400
    assert empty.json()["code"] == "missing_params"


def test_custom_ticket_fields_are_validated(api):
    field = api.post(
        "/admin/ticket_fields",
        {
            "label": "Order reference",
            "type": "custom_text",
        },
    )
    assert field.status_code == 201
    assert field.json()["name"] == "cf_order_reference"
    dropdown = api.post(
        "/admin/ticket_fields",
        {
            "label": "Plan",
            "type": "custom_dropdown",
            "choices": [{"value": "Gold"}, {"value": "Free"}],
        },
    ).json()
    assert dropdown["choices"][0] == {"id": 1, "value": "Gold", "position": 1}

    ticket = new_ticket(api, custom_fields={"cf_order_reference": "A-42", "cf_plan": "Gold"})
    assert ticket["custom_fields"] == {"cf_order_reference": "A-42", "cf_plan": "Gold"}
    other = new_ticket(api)
    assert other["custom_fields"] == {"cf_order_reference": None, "cf_plan": None}

    response = api.post(
        "/tickets",
        {
            "email": "a@example.com",
            "subject": "s",
            "description": "d",
            "custom_fields": {"cf_plan": "Platinum", "cf_missing": 1},
        },
    )
    assert response.json() == validation(
        ("cf_plan", "It should be one of these values: 'Gold,Free'", "invalid_value"),
        ("cf_missing", "Unexpected/invalid field in request", "invalid_field"),
    )
    fields = {f["name"]: f for f in api.get("/ticket_fields").json()}
    assert fields["cf_plan"]["choices"] == ["Gold", "Free"]
    admin_fields = {f["name"]: f for f in api.get("/admin/ticket_fields").json()}
    assert admin_fields["cf_plan"]["choices"][1] == {"id": 2, "value": "Free", "position": 2}
    same_label = api.post("/admin/ticket_fields", {"label": "plan", "type": "custom_text"})
    assert same_label.status_code == 409
    renamed = api.put(f"/admin/ticket_fields/{dropdown['id']}", {"label": "Tier"}).json()
    assert (renamed["label"], renamed["name"]) == ("Tier", "cf_plan")
    assert api.get(f"/admin/ticket_fields/{dropdown['id']}").json()["label"] == "Tier"
    assert api.delete(f"/admin/ticket_fields/{dropdown['id']}").status_code == 204
    assert "cf_plan" not in {f["name"] for f in api.get("/ticket_fields").json()}


def test_ticket_list_pages_with_link_header(api):
    for number in range(7):
        new_ticket(api, subject=f"ticket {number}")
    seen, url, links = [], f"{API}/tickets?per_page=3&include=description", []
    while url:
        response = api.client.get(url, headers=api.headers)
        assert response.status_code == 200
        seen += [ticket["id"] for ticket in response.json()]
        link = response.get("Link")
        links.append(link)
        url = None
        if link:
            target, rel = link.split("; ")
            assert rel == 'rel="next"'
            url = target.strip("<>")
            assert urlsplit(url).netloc == "testserver"
    # Newest first, by creation; three pages, the last without a Link.
    assert seen == [7, 6, 5, 4, 3, 2, 1]
    assert len(links) == 3 and links[-1] is None
    assert (
        links[0]
        == f'<http://testserver{API}/tickets?per_page=3&include=description&page=2>; rel="next"'
    )
    ascending = api.get("/tickets", {"order_type": "asc", "per_page": 100}).json()
    assert [ticket["id"] for ticket in ascending] == [1, 2, 3, 4, 5, 6, 7]


def test_ticket_list_limits(api):
    response = api.get("/tickets", {"page": 301})
    assert response.status_code == 400
    assert response.json() == validation(
        (
            "page",
            "You cannot access tickets beyond the 300th page. "
            "Please provide a smaller page number.",
            "invalid_value",
        )
    )
    assert api.get("/tickets", {"page": 300}).status_code == 200
    assert api.get("/tickets/", {"page": 300}).status_code == 200  # a trailing slash is fine
    too_many = api.get("/tickets", {"per_page": 101})
    assert too_many.json() == validation(
        ("per_page", "It should be a Positive Integer less than or equal to 100", "invalid_value")
    )
    assert api.get("/tickets", {"order_by": "subject"}).status_code == 400
    assert api.get("/tickets", {"include": "conversations"}).status_code == 400


def test_ticket_list_shows_30_days_unless_updated_since(api, account):
    old = new_ticket(api, subject="old")
    recent = new_ticket(api, subject="recent")
    backdate(account, old["id"], days=45)
    assert [t["id"] for t in api.get("/tickets").json()] == [recent["id"]]
    since = (timezone.now() - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    everything = api.get("/tickets", {"updated_since": since, "order_by": "updated_at"}).json()
    assert [t["id"] for t in everything] == [recent["id"], old["id"]]
    assert [t["id"] for t in api.get("/tickets", {"updated_since": "2000-01-01"}).json()] == [
        recent["id"],
        old["id"],
    ]
    later = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [t["id"] for t in api.get("/tickets", {"updated_since": later}).json()] == [recent["id"]]
    bad = api.get("/tickets", {"updated_since": "yesterday"})
    assert bad.json()["errors"][0]["field"] == "updated_since"
    # Changing an old ticket brings it back into the window of updated_since.
    api.put(f"/tickets/{old['id']}", {"priority": 2})
    assert {t["id"] for t in api.get("/tickets", {"updated_since": later}).json()} == {
        old["id"],
        recent["id"],
    }


def test_ticket_list_includes_requester_stats_description(api):
    ticket = new_ticket(api)
    plain = api.get("/tickets").json()[0]
    assert not {"description", "description_text", "requester", "stats", "attachments"} & set(plain)
    rich = api.get("/tickets", {"include": "requester,stats,description"}).json()[0]
    assert rich["description"] == ticket["description"]
    assert rich["requester"] == {
        "id": ticket["requester_id"],
        "name": "rachel",
        "email": "rachel@example.com",
        "mobile": None,
        "phone": None,
    }
    assert set(rich["stats"]) >= {"first_responded_at", "resolved_at", "closed_at"}
    by_requester = api.get("/tickets", {"email": "rachel@example.com"}).json()
    assert [t["id"] for t in by_requester] == [ticket["id"]]
    assert api.get("/tickets", {"email": "nobody@example.com"}).status_code == 400


def test_ticket_list_reads_in_a_constant_number_of_queries(api, django_assert_max_num_queries):
    for _ in range(12):
        new_ticket(api)
    with django_assert_max_num_queries(4):
        response = api.get("/tickets", {"include": "requester,stats,company", "per_page": 100})
    assert len(response.json()) == 12


def test_multipart_ticket_with_attachments_downloads_the_same_bytes(api, client):
    content = bytes(range(256)) * 1000
    response = api.post_form(
        "/tickets",
        {
            "email": "rachel@example.com",
            "subject": "Logs",
            "description": "<p>see attached</p>",
            "priority": "2",
            "tags[]": ["logs", "urgent"],
            "attachments[]": [
                upload("a.bin", content, "application/octet-stream"),
                upload("b.txt", b"hi"),
            ],
        },
    )
    assert response.status_code == 201, response.content
    ticket = response.json()
    assert ticket["priority"] == 2 and ticket["tags"] == ["logs", "urgent"]
    first, second = ticket["attachments"]
    assert second["name"] == "b.txt" and second["size"] == 2
    assert set(first) == {
        "id",
        "name",
        "content_type",
        "size",
        "attachment_url",
        "created_at",
        "updated_at",
    }
    assert (first["name"], first["size"], first["content_type"]) == (
        "a.bin",
        len(content),
        "application/octet-stream",
    )
    assert first["attachment_url"].startswith(f"http://testserver{ROOT}/attachments/")
    download = client.get(first["attachment_url"])  # a signed URL: no credentials
    assert download.status_code == 200
    assert (
        hashlib.sha256(b"".join(download.streaming_content)).digest()
        == hashlib.sha256(content).digest()
    )
    assert client.get(f"{ROOT}/attachments/unknown").status_code == 404
    # Attachments only come with a single ticket, never in lists.
    assert "attachments" not in api.get("/tickets").json()[0]
    assert api.get(f"/tickets/{ticket['id']}").json()["attachments"] == ticket["attachments"]


def test_multipart_put_appends_attachments_and_reads_custom_field_types(api):
    api.post("/admin/ticket_fields", {"label": "Seats", "type": "custom_number"})
    api.post("/admin/ticket_fields", {"label": "Renewal", "type": "custom_checkbox"})
    ticket = new_ticket(api)
    form = {
        "custom_fields[cf_seats]": "12",
        "custom_fields[cf_renewal]": "true",
        "attachments[]": [upload("later.txt", b"added later")],
    }
    response = api.client.put(
        f"{API}/tickets/{ticket['id']}",
        encode_multipart(BOUNDARY, form),
        MULTIPART_CONTENT,
        headers=api.headers,
    )
    assert response.status_code == 200, response.content
    updated = response.json()
    assert updated["custom_fields"] == {"cf_seats": 12, "cf_renewal": True}
    assert [attachment["name"] for attachment in updated["attachments"]] == ["later.txt"]
    wrong = api.put(f"/tickets/{ticket['id']}", {"custom_fields": {"cf_seats": "twelve"}})
    assert wrong.json() == validation(
        ("cf_seats", "It should be a/an Integer", "datatype_mismatch")
    )


def test_impossible_dates_are_validation_errors(api):
    ticket = new_ticket(api)
    response = api.put(f"/tickets/{ticket['id']}", {"due_by": "2024-02-30T10:00:00Z"})
    assert response.json() == validation(
        (
            "due_by",
            "It should be a valid date in the 'combined date and time ISO8601' format",
            "invalid_value",
        )
    )
    assert api.get("/tickets", {"updated_since": "2024-13-01"}).status_code == 400
    assert api.get("/search/tickets", {"query": "\"created_at:>'2024-02-30'\""}).status_code == 400


def test_updates_without_fields_are_refused(api):
    contact = api.post("/contacts", {"name": "Rachel", "email": "rachel@freshdesk.com"}).json()
    group = api.post("/groups", {"name": "Billing"}).json()
    for path in (f"/contacts/{contact['id']}", f"/groups/{group['id']}"):
        response = api.put(path, {})
        assert response.status_code == 400
        assert response.json() == {
            "code": "missing_params",
            "message": "Your update call does not have any parameter. "
            "Atleast one parameter is required.",
        }


def test_attachments_over_20_mb_are_refused(api):
    ticket = new_ticket(api)
    big = upload("big.bin", b"\0" * (21 * 1024 * 1024), "application/octet-stream")
    response = api.post_form(
        f"/tickets/{ticket['id']}/notes", {"body": "huge", "attachments[]": [big]}
    )
    assert response.status_code == 400
    assert response.json() == validation(
        (
            "attachments",
            "Total attachment(s) size is 21 MB, it should not exceed 20 MB",
            "invalid_size",
        )
    )


# --- Conversations -----------------------------------------------------------------------


def test_notes_and_replies_with_attachments(api, account, client):
    ticket = new_ticket(api)
    backdate(account, ticket["id"], days=2)
    me = api.get("/agents/me").json()
    note = api.post_form(
        f"/tickets/{ticket['id']}/notes",
        {
            "body": "<div>Internal</div>",
            "private": "true",
            "attachments[]": [upload("n.txt", b"note")],
        },
    )
    assert note.status_code == 201, note.content
    note = note.json()
    assert (note["private"], note["source"], note["user_id"]) == (True, 2, me["id"])
    assert note["body_text"] == "Internal"
    assert note["notified_to"] == []
    assert client.get(note["attachments"][0]["attachment_url"]).getvalue() == b"note"

    reply = api.post_form(
        f"/tickets/{ticket['id']}/reply",
        {
            "body": "<p>On it</p>",
            "cc_emails[]": ["cc@example.com"],
            "attachments[]": [upload("fix.patch", b"--- a\n+++ b\n")],
        },
    )
    assert reply.status_code == 201, reply.content
    reply = reply.json()
    assert client.get(reply["attachments"][0]["attachment_url"]).getvalue() == b"--- a\n+++ b\n"
    assert (reply["private"], reply["source"], reply["incoming"]) == (False, 0, False)
    assert reply["to_emails"] == ["rachel@example.com"]
    assert reply["cc_emails"] == ["cc@example.com"]

    public_note = api.post(
        f"/tickets/{ticket['id']}/notes",
        {"body": "Hello", "private": False, "user_id": ticket["requester_id"], "incoming": True},
    ).json()
    assert (public_note["private"], public_note["user_id"]) == (False, ticket["requester_id"])

    conversations = api.get(f"/tickets/{ticket['id']}/conversations", {"per_page": 2})
    assert [c["id"] for c in conversations.json()] == [note["id"], reply["id"]]
    assert "page=2" in conversations["Link"]
    assert [
        c["id"]
        for c in api.get(
            f"/tickets/{ticket['id']}/conversations", {"page": 2, "per_page": 2}
        ).json()
    ] == [public_note["id"]]
    # A conversation makes the ticket "updated" again; the reply counts as a response.
    shown = api.get(f"/tickets/{ticket['id']}", {"include": "stats"}).json()
    assert shown["updated_at"] >= public_note["created_at"]
    assert shown["stats"]["first_responded_at"] == reply["created_at"]
    assert shown["stats"]["requester_responded_at"] == public_note["created_at"]

    edited = api.put(f"/conversations/{note['id']}", {"body": "<div>Edited</div>"}).json()
    assert edited["body_text"] == "Edited" and edited["last_edited_at"]
    assert api.delete(f"/conversations/{reply['id']}").status_code == 204
    assert len(api.get(f"/tickets/{ticket['id']}/conversations").json()) == 2


def test_conversation_validation(api):
    ticket = new_ticket(api)
    response = api.post(f"/tickets/{ticket['id']}/notes", {"private": "yes", "user_id": 12})
    assert response.json() == validation(
        ("body", "It should not be blank as this is a mandatory field", "missing_field"),
        ("private", "It should be a/an Boolean", "datatype_mismatch"),
        ("user_id", "There is no user matching the given user_id", "invalid_value"),
    )
    assert api.post("/tickets/999/reply", {"body": "x"}).status_code == 404


def test_ticket_show_embeds_at_most_ten_conversations(api):
    ticket = new_ticket(api)
    for number in range(12):
        api.post(f"/tickets/{ticket['id']}/notes", {"body": f"note {number}"})
    shown = api.get(f"/tickets/{ticket['id']}", {"include": "conversations,requester"}).json()
    assert [c["body"] for c in shown["conversations"]] == [f"note {n}" for n in range(10)]
    assert shown["requester"]["email"] == "rachel@example.com"


# --- Search ------------------------------------------------------------------------------


def test_search_finds_tickets_by_tag_and_custom_field(api):
    api.post("/admin/ticket_fields", {"label": "Source id", "type": "custom_text"})
    marked = new_ticket(
        api, tags=["migrated-123"], custom_fields={"cf_source_id": "zd-123"}, priority=4
    )
    new_ticket(api, tags=["migrated-124"], custom_fields={"cf_source_id": "zd-124"})
    new_ticket(api, tags=["other"])

    def ids(query: str, **params) -> list[int]:
        response = api.get("/search/tickets", {"query": query, **params})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["total"] == len(body["results"])
        return [ticket["id"] for ticket in body["results"]]

    assert ids("\"tag:'migrated-123'\"") == [marked["id"]]
    assert ids("\"cf_source_id:'zd-123'\"") == [marked["id"]]
    assert ids("\"source_id:'ZD-123'\"") == [marked["id"]]
    assert ids("\"priority:4 AND (tag:'migrated-123' OR tag:'other')\"") == [marked["id"]]
    assert ids('"priority:>2"') == [marked["id"]]
    assert len(ids(f"\"created_at:>'{timezone.now().date().isoformat()}'\"")) == 3
    assert ids("\"status:2 AND tag:'nothing'\"") == []


def test_search_refuses_bad_queries_and_pages(api):
    unquoted = api.get("/search/tickets", {"query": "status:2"})
    assert unquoted.status_code == 400
    assert unquoted.json()["errors"][0]["field"] == "query"
    assert api.get("/search/tickets", {"query": '"status:2 priority:1"'}).status_code == 400
    assert api.get("/search/tickets", {"query": '"status:open"'}).status_code == 400
    page = api.get("/search/tickets", {"query": '"status:2"', "page": 11})
    assert page.json() == validation(
        ("page", "It should be a Positive Integer less than or equal to 10", "invalid_value")
    )
    unknown = api.get("/search/tickets", {"query": "\"colour:'red'\""})
    assert unknown.json()["errors"][0]["code"] == "invalid_field"


def test_search_pages_hold_thirty_results(api):
    for _ in range(31):
        new_ticket(api, tags=["bulk"])
    first = api.get("/search/tickets", {"query": "\"tag:'bulk'\""}).json()
    second = api.get("/search/tickets", {"query": "\"tag:'bulk'\"", "page": 2}).json()
    assert (len(first["results"]), len(second["results"]), first["total"]) == (30, 1, 31)


# --- Contacts, companies, groups, agents --------------------------------------------------


def test_contacts_crud_and_filters(api, account):
    created = api.post(
        "/contacts",
        {"name": "Rachel", "email": "rachel@freshdesk.com", "phone": "555", "tags": ["vip"]},
    )
    assert created.status_code == 201
    rachel = created.json()
    assert rachel["id"] == emulator.USER_ID_START
    assert rachel["deleted"] is False and rachel["tags"] == ["vip"]
    assert created["Location"] == f"http://testserver{API}/contacts/{rachel['id']}"
    bob = api.post("/contacts", {"name": "Bob", "mobile": "666"}).json()

    assert [c["id"] for c in api.get("/contacts").json()] == [rachel["id"], bob["id"]]
    assert [c["id"] for c in api.get("/contacts", {"email": "RACHEL@freshdesk.com"}).json()] == [
        rachel["id"]
    ]
    assert [c["id"] for c in api.get("/contacts", {"mobile": "666"}).json()] == [bob["id"]]

    updated = api.put(f"/contacts/{bob['id']}", {"job_title": "CEO"}).json()
    assert updated["job_title"] == "CEO"
    later = (timezone.now() - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = EmulatedRecord.objects.get(account=account, collection="contacts", number=rachel["id"])
    record.updated_at -= timedelta(days=3)
    record.save()
    assert [c["id"] for c in api.get("/contacts", {"_updated_since": later}).json()] == [bob["id"]]

    assert api.delete(f"/contacts/{bob['id']}").status_code == 204
    assert api.get(f"/contacts/{bob['id']}").json()["deleted"] is True
    assert [c["id"] for c in api.get("/contacts").json()] == [rachel["id"]]
    assert [c["id"] for c in api.get("/contacts", {"state": "deleted"}).json()] == [bob["id"]]

    matches = api.get("/contacts/autocomplete", {"term": "rac"}).json()
    assert matches == [{"id": rachel["id"], "name": "Rachel"}]


def test_contact_email_is_unique_409(api):
    first = api.post("/contacts", {"name": "Rachel", "email": "rachel@freshdesk.com"}).json()
    again = api.post("/contacts", {"name": "Other", "email": "Rachel@Freshdesk.com"})
    assert again.status_code == 409
    assert again.json() == {
        "description": "Validation failed",
        "errors": [
            {
                "field": "email",
                "additional_info": {"user_id": first["id"]},
                "message": "It should be a unique value",
                "code": "duplicate_value",
            }
        ],
    }
    other = api.post("/contacts", {"name": "Other", "email": "other@freshdesk.com"}).json()
    clash = api.put(f"/contacts/{other['id']}", {"email": "rachel@freshdesk.com"})
    assert clash.status_code == 409


def test_contact_validation(api):
    response = api.post("/contacts", {"email": "bad", "colour": "red"})
    assert response.status_code == 400
    assert response.json() == validation(
        ("colour", "Unexpected/invalid field in request", "invalid_field"),
        ("name", "It should not be blank as this is a mandatory field", "missing_field"),
        ("email", "It should be in the 'valid email address' format", "invalid_value"),
    )
    nothing = api.post("/contacts", {"name": "Ghost"})
    assert nothing.json()["errors"][0]["code"] == "missing_field"


def test_companies_crud_and_unique_name(api):
    created = api.post("/companies", {"name": "Super Nova", "domains": ["supernova"]})
    assert created.status_code == 201
    company = created.json()
    assert company["domains"] == ["supernova"]
    duplicate = api.post("/companies", {"name": "super nova"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {
        "description": "Validation failed",
        "errors": [
            {"field": "name", "message": "It should be a unique value", "code": "duplicate_value"}
        ],
    }
    assert api.put(f"/companies/{company['id']}", {"note": "big"}).json()["note"] == "big"
    assert api.get(f"/companies/{company['id']}").json()["note"] == "big"
    assert api.delete(f"/companies/{company['id']}").status_code == 204
    assert api.get(f"/companies/{company['id']}").status_code == 404
    assert api.post("/companies", {}).json() == validation(
        ("name", "It should not be blank as this is a mandatory field", "missing_field")
    )


def test_groups_crud(api):
    group = api.post("/groups", {"name": "Billing", "description": "Money"}).json()
    assert group["unassigned_for"] == "30m"
    assert api.post("/groups", {"name": "Billing"}).status_code == 409
    assert [g["name"] for g in api.get("/groups").json()] == ["Billing"]
    assert api.put(f"/groups/{group['id']}", {"name": "Finance"}).json()["name"] == "Finance"
    assert api.delete(f"/groups/{group['id']}").status_code == 204
    assert api.get("/groups").json() == []


def test_agents_crud(api):
    group = api.post("/groups", {"name": "Tier 1"}).json()
    created = api.post(
        "/agents",
        {"email": "ann@example.com", "name": "Ann", "ticket_scope": 2, "group_ids": [group["id"]]},
    )
    assert created.status_code == 201
    ann = created.json()
    assert ann["contact"]["email"] == "ann@example.com" and ann["group_ids"] == [group["id"]]
    assert api.post("/agents", {"email": "ann@example.com", "ticket_scope": 1}).status_code == 409
    bad = api.post("/agents", {"email": "x@example.com", "ticket_scope": 7, "group_ids": [5]})
    assert bad.json() == validation(
        ("ticket_scope", "It should be one of these values: '1,2,3'", "invalid_value"),
    )
    collaborator = api.post(
        "/agents", {"email": "col@example.com", "ticket_scope": 3, "agent_type": 3}
    ).json()
    assert collaborator["type"] == "collaborator"
    assert collaborator["contact"]["name"] == "col"
    listed = api.get("/agents", {"email": "ANN@example.com"}).json()
    assert [agent["id"] for agent in listed] == [ann["id"]]
    assert len(api.get("/agents").json()) == 3  # with the owner
    updated = api.put(f"/agents/{ann['id']}", {"occasional": True, "job_title": "Lead"}).json()
    assert updated["occasional"] is True and updated["contact"]["job_title"] == "Lead"
    assert [a["id"] for a in api.get("/agents", {"state": "occasional"}).json()] == [ann["id"]]
    # A deleted agent stays as a contact with the same id.
    assert api.delete(f"/agents/{ann['id']}").status_code == 204
    assert api.get(f"/agents/{ann['id']}").status_code == 404
    assert api.get(f"/contacts/{ann['id']}").json()["email"] == "ann@example.com"


def test_contact_becomes_agent(api):
    contact = api.post("/contacts", {"name": "Rachel", "email": "rachel@freshdesk.com"}).json()
    response = api.put(f"/contacts/{contact['id']}/make_agent", {"ticket_scope": 3})
    assert response.status_code == 200
    assert response.json()["agent"]["ticket_scope"] == 3
    assert api.get(f"/agents/{contact['id']}").json()["contact"]["name"] == "Rachel"
    assert api.get(f"/contacts/{contact['id']}").status_code == 404


# --- Fields and the knowledge base -------------------------------------------------------


def test_ticket_contact_and_company_fields(api):
    fields = {field["name"]: field for field in api.get("/ticket_fields").json()}
    assert fields["status"]["choices"]["2"] == ["Open", "Being Processed"]
    assert fields["priority"]["choices"] == {"Low": 1, "Medium": 2, "High": 3, "Urgent": 4}
    assert fields["source"]["choices"]["Email"] == 1
    assert fields["ticket_type"]["choices"][0] == "Question"
    assert [f["type"] for f in api.get("/ticket_fields", {"type": "default_status"}).json()] == [
        "default_status"
    ]
    contact_fields = [field["name"] for field in api.get("/contact_fields").json()]
    assert {"name", "email", "phone"} <= set(contact_fields)
    assert api.get("/company_fields").json()[0]["name"] == "name"


def test_solutions_categories_folders_articles(api):
    category = api.post("/solutions/categories", {"name": "General", "description": "All"}).json()
    assert api.post("/solutions/categories", {"name": "general"}).status_code == 409
    missing_visibility = api.post(
        f"/solutions/categories/{category['id']}/folders", {"name": "FAQ"}
    )
    assert missing_visibility.json() == validation(
        ("visibility", "It should not be blank as this is a mandatory field", "missing_field")
    )
    folder = api.post(
        f"/solutions/categories/{category['id']}/folders", {"name": "FAQ", "visibility": 1}
    ).json()
    assert folder["category_id"] == category["id"]
    assert (
        api.post("/solutions/categories/999/folders", {"name": "x", "visibility": 1}).status_code
        == 404
    )

    bad = api.post(f"/solutions/folders/{folder['id']}/articles", {"title": "T", "status": 3})
    assert bad.json() == validation(
        ("description", "It should not be blank as this is a mandatory field", "missing_field"),
        ("status", "It should be one of these values: '1,2'", "invalid_value"),
    )
    article = api.post(
        f"/solutions/folders/{folder['id']}/articles",
        {
            "title": "Reset",
            "description": "<p>Click <b>reset</b></p>",
            "status": 2,
            "tags": ["howto"],
        },
    ).json()
    assert (article["folder_id"], article["category_id"]) == (folder["id"], category["id"])
    assert article["description_text"] == "Click reset"
    assert article["agent_id"] == api.get("/agents/me").json()["id"]

    assert [c["id"] for c in api.get("/solutions/categories").json()] == [category["id"]]
    assert [f["id"] for f in api.get(f"/solutions/categories/{category['id']}/folders").json()] == [
        folder["id"]
    ]
    assert [a["id"] for a in api.get(f"/solutions/folders/{folder['id']}/articles").json()] == [
        article["id"]
    ]
    updated = api.put(
        f"/solutions/articles/{article['id']}", {"status": 1, "description": "Draft"}
    ).json()
    assert (updated["status"], updated["description_text"]) == (1, "Draft")
    assert api.put(f"/solutions/folders/{folder['id']}", {"name": "Help"}).json()["name"] == "Help"

    # Deleting a category deletes its folders and their articles.
    assert api.delete(f"/solutions/categories/{category['id']}").status_code == 204
    assert api.get(f"/solutions/folders/{folder['id']}").status_code == 404
    assert api.get(f"/solutions/articles/{article['id']}").status_code == 404


# --- Shapes of the real payloads --------------------------------------------------------


def fixture(name: str):
    return fixture_payload(name)


@pytest.fixture
def one_of_everything(api) -> dict[str, list[dict]]:
    """The emulator's objects of each kind, keyed by the fixture recorded from Freshdesk, in
    the fixture's order (a private note, then a reply...)."""
    ticket = new_ticket(api)
    api.post(f"/tickets/{ticket['id']}/notes", {"body": "<div>This is a private note</div>"})
    api.post(f"/tickets/{ticket['id']}/reply", {"body": "<div>This is a reply</div>"})
    contact = api.post("/contacts", {"name": "Rachel", "email": "rachel@freshdesk.com"}).json()
    agent = api.put(f"/contacts/{contact['id']}/make_agent", {"ticket_scope": 1}).json()
    another = api.post("/contacts", {"name": "Bob", "email": "bob@example.com"}).json()
    for name in ("Super Nova", "Poseidon"):
        api.post("/companies", {"name": name})
    for name in ("Entertainers", "Helpdesk"):
        api.post("/groups", {"name": name})
    category = api.post("/solutions/categories", {"name": "General Category"}).json()
    folder = api.post(
        f"/solutions/categories/{category['id']}/folders",
        {"name": "Getting Started", "visibility": 1},
    ).json()
    for title in ("Changing account details", "Adding a payment method"):
        api.post(
            f"/solutions/folders/{folder['id']}/articles",
            {"title": title, "description": "<p>Steps</p>", "status": 2},
        )
    ticket_path = f"/tickets/{ticket['id']}"
    return {
        "freshdesk_tickets.json": api.get(
            "/tickets", {"include": "requester,stats,description"}
        ).json(),
        "freshdesk_ticket_1.json": [api.get(ticket_path, {"include": "requester,stats"}).json()],
        "freshdesk_conversations.json": api.get(f"{ticket_path}/conversations").json(),
        "freshdesk_contact.json": [api.get(f"/contacts/{another['id']}").json()],
        "freshdesk_companies.json": api.get("/companies").json(),
        "freshdesk_groups.json": api.get("/groups").json(),
        "freshdesk_solution_categories.json": api.get("/solutions/categories").json(),
        "freshdesk_solution_folders.json": api.get(
            f"/solutions/categories/{category['id']}/folders"
        ).json(),
        "freshdesk_solution_articles.json": api.get(
            f"/solutions/folders/{folder['id']}/articles"
        ).json(),
        "freshdesk_contact_1_agent.json#agent": [api.get(f"/agents/{contact['id']}").json()],
        "freshdesk_contact_1_agent.json": [agent],
    }


@pytest.mark.parametrize(
    "fixture_name",
    [
        "freshdesk_tickets.json",
        "freshdesk_ticket_1.json",
        "freshdesk_conversations.json",
        "freshdesk_contact.json",
        "freshdesk_companies.json",
        "freshdesk_groups.json",
        "freshdesk_solution_categories.json",
        "freshdesk_solution_folders.json",
        "freshdesk_solution_articles.json",
        "freshdesk_contact_1_agent.json#agent",
        "freshdesk_contact_1_agent.json",
    ],
)
def test_emulated_objects_carry_every_field_of_the_real_payloads(one_of_everything, fixture_name):
    file_name, _, part = fixture_name.partition("#")
    real = fixture(file_name)
    if part:
        real = real[part]
    real_objects = real if isinstance(real, list) else [real]
    ours = one_of_everything[fixture_name]
    assert len(ours) == len(real_objects)
    for real_object, our_object in zip(real_objects, ours, strict=True):
        missing = set(real_object) - set(our_object)
        assert not missing, f"{fixture_name}: the emulator lacks {sorted(missing)}"


# --- Over real HTTP ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_over_loopback_http(live_server, settings, tmp_path):
    emulation.account_get_or_create(
        platform="freshdesk",
        slug="acme",
        name="Acme",
        secrets={"api_key": API_KEY},
        rate_limit_per_minute=0,
    )
    content = b"%PDF-1.4 " + bytes(range(256)) * 300
    with httpx.Client(base_url=f"{live_server.url}{ROOT}", auth=(API_KEY, "X"), timeout=10) as http:
        assert http.get("/api/v2/agents/me").status_code == 200
        assert http.get("/api/v2/tickets", auth=("wrong", "X")).status_code == 401
        created = http.post(
            "/api/v2/tickets",
            data={
                "email": "rachel@example.com",
                "subject": "Invoice",
                "description": "<p>attached</p>",
            },
            files=[("attachments[]", ("invoice.pdf", content, "application/pdf"))],
        )
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert created.headers["Location"].endswith(f"/api/v2/tickets/{ticket['id']}")
        for _ in range(2):
            http.post(
                "/api/v2/tickets",
                json={"email": "a@example.com", "subject": "s", "description": "d"},
            )
        page = http.get("/api/v2/tickets", params={"per_page": 2})
        next_url = page.links["next"]["url"]
        assert next_url.startswith(live_server.url)
        assert [t["id"] for t in http.get(next_url).json()] == [ticket["id"]]
        url = ticket["attachments"][0]["attachment_url"]
        assert url.startswith(live_server.url)
        with httpx.stream("GET", url, timeout=10) as download:  # no credentials needed
            assert download.status_code == 200
            assert download.headers["Content-Type"] == "application/pdf"
            assert b"".join(download.iter_bytes()) == content


# --- the multilingual knowledge base ------------------------------------------------------


def multilingual(account, *, supported=("fr", "de"), primary="en"):
    account.options = {
        **account.options,
        "primary_language": primary,
        "supported_languages": list(supported),
        "portal_languages": list(supported[:1]),
    }
    account.save(update_fields=["options"])


def knowledge_base(api) -> tuple[dict, dict, dict]:
    category = api.post("/solutions/categories", {"name": "General"}).json()
    folder = api.post(
        f"/solutions/categories/{category['id']}/folders", {"name": "FAQ", "visibility": 1}
    ).json()
    article = api.post(
        f"/solutions/folders/{folder['id']}/articles",
        {"title": "Reset", "description": "<p>Click</p>", "status": 2, "tags": ["a"]},
    ).json()
    return category, folder, article


def test_helpdesk_settings_name_the_account_languages(api, account):
    # A new account: English, no other language (the multilingual feature is off).
    assert api.get("/settings/helpdesk").json() == {
        "primary_language": "en",
        "supported_languages": [],
        "portal_languages": [],
    }
    multilingual(account)
    assert api.get("/settings/helpdesk").json() == {
        "primary_language": "en",
        "supported_languages": ["fr", "de"],
        "portal_languages": ["fr"],
    }
    assert api.get("/settings/helpdesk", {"x": 1}).status_code == 400


def test_translated_category_folder_and_article(api, account):
    multilingual(account)
    category, folder, article = knowledge_base(api)
    # Parents first: a folder is translated once its category is, an article once its folder is.
    early = api.post(
        f"/solutions/articles/{article['id']}/fr",
        {"title": "Réinitialiser", "description": "<p>Cliquez</p>", "status": 2},
    )
    assert early.status_code == 400 and early.json()["errors"][0]["field"] == "folder_id"
    assert api.post(f"/solutions/folders/{folder['id']}/fr", {"name": "Aide"}).status_code == 400

    created = api.post(f"/solutions/categories/{category['id']}/fr", {"name": "Général"})
    assert created.status_code == 201
    assert created.json()["id"] == category["id"] and created.json()["name"] == "Général"
    assert created["Location"].endswith(f"/api/v2/solutions/categories/{category['id']}/fr")
    assert api.post(f"/solutions/folders/{folder['id']}/fr", {"name": "Aide"}).status_code == 201
    created = api.post(
        f"/solutions/articles/{article['id']}/fr",
        {"title": "Réinitialiser", "description": "<p>Cliquez ici</p>", "status": 1},
    )
    assert created.status_code == 201, created.content
    french = created.json()
    assert french["id"] == article["id"] and french["folder_id"] == folder["id"]
    assert (french["title"], french["description_text"], french["status"]) == (
        "Réinitialiser",
        "Cliquez ici",
        1,
    )
    assert french["language"] == "fr" and french["hits"] == 0

    # Viewing: the translation in its language, the article itself in the primary one.
    assert api.get(f"/solutions/articles/{article['id']}/fr").json()["title"] == "Réinitialiser"
    assert api.get(f"/solutions/articles/{article['id']}/en").json()["title"] == "Reset"
    assert api.get(f"/solutions/articles/{article['id']}").json()["title"] == "Reset"
    assert api.get(f"/solutions/articles/{article['id']}/de").status_code == 404
    assert api.get("/solutions/articles/999/fr").status_code == 404

    # One translation per language: a second POST is a conflict, PUT changes it.
    again = api.post(
        f"/solutions/articles/{article['id']}/fr",
        {"title": "Encore", "description": "<p>x</p>", "status": 2},
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "duplicate_value"
    updated = api.put(f"/solutions/articles/{article['id']}/fr", {"status": 2})
    assert updated.status_code == 200 and updated.json()["status"] == 2
    assert api.put(f"/solutions/articles/{article['id']}/de", {"status": 2}).status_code == 404
    assert api.put(f"/solutions/articles/{article['id']}/fr", {}).status_code == 400
    assert api.put(f"/solutions/articles/{article['id']}/fr", {"type": 2}).status_code == 400
    rows = EmulatedRecord.objects.filter(collection="solution_article_translations")
    assert rows.count() == 1

    # Listing in a language: the translated objects only, as read in it.
    assert [c["name"] for c in api.get("/solutions/categories/fr").json()] == ["Général"]
    assert api.get("/solutions/categories/de").json() == []
    listed = api.get(f"/solutions/categories/{category['id']}/folders/fr").json()
    assert [f["name"] for f in listed] == ["Aide"]
    listed = api.get(f"/solutions/folders/{folder['id']}/articles/fr").json()
    assert [(a["id"], a["title"]) for a in listed] == [(article["id"], "Réinitialiser")]
    assert api.get(f"/solutions/folders/{folder['id']}/articles/de").json() == []
    assert api.get("/solutions/folders/999/articles/fr").status_code == 404
    assert [
        a["title"] for a in api.get(f"/solutions/folders/{folder['id']}/articles/en").json()
    ] == ["Reset"]

    # Removing the category removes its translations and those of what it holds.
    assert api.delete(f"/solutions/categories/{category['id']}").status_code == 204
    assert not EmulatedRecord.objects.filter(collection__endswith="_translations").exists()


def test_translations_in_languages_the_account_lacks(api, account):
    category, _folder, article = knowledge_base(api)
    body = {"title": "Zurücksetzen", "description": "<p>x</p>", "status": 2}
    # Without the multilingual feature, no language but the primary one.
    refused = api.post(f"/solutions/categories/{category['id']}/de", {"name": "Allgemein"})
    assert refused.status_code == 403 and refused.json()["code"] == "require_feature"
    multilingual(account, supported=("fr",))
    refused = api.post(f"/solutions/articles/{article['id']}/de", body)
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "field": "language_code",
            "message": "It should be one of these values: 'fr'",
            "code": "invalid_value",
        }
    ]
    assert api.get(f"/solutions/folders/{_folder['id']}/articles/de").status_code == 400
    # The primary language is the object itself: never a second translation of it.
    duplicate = api.post(f"/solutions/categories/{category['id']}/en", {"name": "General"})
    assert duplicate.status_code == 409
    # A missing object is missing in every language.
    assert api.post("/solutions/articles/999/fr", body).status_code == 404
    # Mandatory fields, as for the article itself.
    multilingual(account, supported=("fr",))
    missing = api.post(f"/solutions/categories/{category['id']}/fr", {"description": "x"})
    assert missing.status_code == 400
    assert missing.json()["errors"][0] == {
        "field": "name",
        "message": "It should not be blank as this is a mandatory field",
        "code": "missing_field",
    }
