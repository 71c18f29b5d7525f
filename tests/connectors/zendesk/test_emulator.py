"""The Zendesk emulator answers as Zendesk does: paths, JSON shapes, pagination, exports,
errors, rate limits and attachments, through Django's test client and over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors import emulation
from connectors.zendesk import emulator
from tests.fixtures_util import fixture_payload

pytestmark = pytest.mark.django_db

EMAIL = "admin@acme.test"
API_TOKEN = "sandbox-api-token"
OAUTH_TOKEN = "sandbox-oauth-token"
BASIC = "Basic " + base64.b64encode(f"{EMAIL}/token:{API_TOKEN}".encode()).decode()


class Zendesk:
    """One emulated account seen through Django's test client, with its credentials."""

    def __init__(self, client: Any, slug: str = "acme", authorization: str = BASIC) -> None:
        self.client = client
        self.root = f"/sandbox/zendesk/{slug}"
        self.headers = {"Authorization": authorization} if authorization else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self.root + path, params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(self.root + path, body, "application/json", headers=self.headers)

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.put(self.root + path, body, "application/json", headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(self.root + path, headers=self.headers)

    def upload(self, file_name: str, content: bytes, content_type: str, **params: str) -> Any:
        query = "&".join(
            f"{key}={value}" for key, value in {"filename": file_name, **params}.items()
        )
        return self.client.post(
            f"{self.root}/api/v2/uploads.json?{query}",
            content,
            content_type,
            headers=self.headers,
        )

    def follow(self, url: str) -> Any:
        """GET an absolute URL from a response (a link, a content_url), redirects included."""
        return self.client.get(url, headers=self.headers, follow=True)

    def ticket(self, **fields: Any) -> dict[str, Any]:
        fields.setdefault("comment", {"body": "The printer is on fire."})
        response = self.post("/api/v2/tickets.json", {"ticket": fields})
        assert response.status_code == 201, response.content
        return response.json()["ticket"]

    def user(self, **fields: Any) -> dict[str, Any]:
        response = self.post("/api/v2/users.json", {"user": fields})
        assert response.status_code == 201, response.content
        return response.json()["user"]


@pytest.fixture
def account():
    return emulation.account_get_or_create(
        platform="zendesk",
        slug="acme",
        name="Acme",
        secrets={"email": EMAIL, "api_token": API_TOKEN, "oauth_token": OAUTH_TOKEN},
        rate_limit_per_minute=0,
        options={"incremental_lag_seconds": 0, "incremental_exports_per_minute": 0},
    )


@pytest.fixture
def zd(client, account) -> Zendesk:
    return Zendesk(client)


@pytest.fixture(autouse=True)
def blobs_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def imported(zd: Zendesk, **fields: Any) -> dict[str, Any]:
    response = zd.post("/api/v2/imports/tickets.json", {"ticket": fields})
    assert response.status_code == 201, response.content
    return response.json()["ticket"]


# --- Authentication ------------------------------------------------------------------------


def test_api_token_and_oauth_token_authenticate_as_the_account_owner(client, zd):
    me = zd.get("/api/v2/users/me.json")
    assert me.status_code == 200
    assert me.json()["user"]["email"] == EMAIL
    assert me.json()["user"]["role"] == "admin"
    assert me.json()["user"]["id"] == 360000000001
    oauth = Zendesk(client, authorization=f"Bearer {OAUTH_TOKEN}")
    assert oauth.get("/api/v2/users/me.json").json()["user"]["id"] == 360000000001
    assert zd.get("/api/v2/account.json").json()["account"]["name"] == "Acme"


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic " + base64.b64encode(f"{EMAIL}/token:wrong".encode()).decode(),
        "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode(),
        "Bearer wrong",
        "Basic not-base64!",
    ],
)
def test_wrong_credentials_get_zendesks_401(client, account, authorization):
    response = Zendesk(client, authorization=authorization).get("/api/v2/tickets.json")
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


def test_no_credentials_are_refused_except_users_me_which_answers_anonymously(client, account):
    anonymous = Zendesk(client, authorization="")
    assert anonymous.get("/api/v2/tickets.json").status_code == 401
    me = anonymous.get("/api/v2/users/me.json")
    assert me.status_code == 200
    assert me.json()["user"]["id"] is None
    assert me.json()["user"]["name"] == "Anonymous user"


def test_unknown_paths_records_and_methods_get_zendesks_404s(zd):
    unknown_path = zd.get("/api/v2/no_such_thing.json")
    assert unknown_path.status_code == 404
    assert unknown_path.json() == {"error": "InvalidEndpoint", "description": "Not found"}
    missing = zd.get("/api/v2/tickets/999.json")
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert zd.delete("/api/v2/users.json").json()["error"] == "InvalidEndpoint"


def test_paths_work_with_and_without_the_json_suffix(zd):
    ticket = zd.ticket(subject="Suffix")
    assert zd.get(f"/api/v2/tickets/{ticket['id']}").json()["ticket"]["subject"] == "Suffix"


def test_agents_are_forbidden_admin_only_operations(zd):
    owner = zd.get("/api/v2/users/me.json").json()["user"]
    assert (
        zd.put(f"/api/v2/users/{owner['id']}.json", {"user": {"role": "agent"}}).status_code == 200
    )
    response = zd.post("/api/v2/imports/tickets.json", {"ticket": {"comments": [{"value": "Old"}]}})
    assert response.status_code == 403
    assert response.json() == {
        "error": "Forbidden",
        "description": emulator.ERROR_FORBIDDEN,
    }


# --- Rate limits ---------------------------------------------------------------------------


def test_rate_limit_headers_then_429_with_retry_after(zd, account):
    account.rate_limit_per_minute = None  # the profile's default: Enterprise's 700
    account.save()
    first = zd.get("/api/v2/tickets.json")
    assert first["X-Rate-Limit"] == "700"
    assert first["ratelimit-limit"] == "700"
    assert first["X-Rate-Limit-Remaining"] == "699"
    assert 1 <= int(first["ratelimit-reset"]) <= 60

    account.rate_limit_per_minute = 3
    account.save()
    answers = [zd.get("/api/v2/tickets.json") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-Rate-Limit-Remaining"] == "0"
    assert refused.json() == {
        "error": "APIRateLimitExceeded",
        "description": "Number of allowed API requests per minute exceeded",
    }


def test_incremental_exports_have_their_own_tighter_bucket(zd, account):
    account.options = {"incremental_lag_seconds": 0, "incremental_exports_per_minute": 2}
    account.save()
    path = "/api/v2/incremental/tickets/cursor.json"
    answers = [zd.get(path, start_time=0) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[-1]["zendesk-ratelimit-incremental-exports"].startswith("total=2; remaining=0")
    assert int(answers[-1]["Retry-After"]) >= 1
    assert zd.get("/api/v2/tickets.json").status_code == 200


# --- Tickets -------------------------------------------------------------------------------


def test_ticket_create_read_update_delete(zd):
    requester = zd.user(name="Rachel Requester", email="rachel@example.com")
    created = zd.post(
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "Help, my printer is on fire!",
                "comment": {"body": "The smoke is very colorful."},
                "requester_id": requester["id"],
                "priority": "high",
                "type": "incident",
                "tags": ["Enterprise", "other_tag"],
                "external_id": "source-35436",
            }
        },
    )
    assert created.status_code == 201
    ticket = created.json()["ticket"]
    assert ticket["id"] == 1
    assert ticket["url"].endswith("/sandbox/zendesk/acme/api/v2/tickets/1.json")
    assert ticket["description"] == "The smoke is very colorful."
    assert ticket["status"] == "new"
    assert ticket["tags"] == ["enterprise", "other_tag"]
    assert ticket["requester_id"] == requester["id"]
    assert ticket["submitter_id"] == 360000000001
    assert created.json()["audit"]["events"][0]["body"] == "The smoke is very colorful."

    shown = zd.get("/api/v2/tickets/1.json").json()["ticket"]
    assert shown == ticket

    updated = zd.put(
        "/api/v2/tickets/1.json",
        {"ticket": {"status": "pending", "comment": {"body": "On it.", "public": False}}},
    )
    assert updated.status_code == 200
    assert updated.json()["ticket"]["status"] == "pending"
    assert updated.json()["ticket"]["updated_at"] >= ticket["updated_at"]
    comments = zd.get("/api/v2/tickets/1/comments.json").json()["comments"]
    assert [(c["body"], c["public"]) for c in comments] == [
        ("The smoke is very colorful.", True),
        ("On it.", False),
    ]
    assert comments[1]["author_id"] == 360000000001

    assert zd.get("/api/v2/tickets/count.json").json()["count"]["value"] == 1
    assert zd.delete("/api/v2/tickets/1.json").status_code == 204
    assert zd.get("/api/v2/tickets/1.json").status_code == 404
    assert zd.get("/api/v2/tickets/count.json").json()["count"]["value"] == 0


def test_tickets_are_found_by_external_id_and_shown_many_at_once(zd):
    first = zd.ticket(external_id="marker-1")
    second = zd.ticket(external_id="marker-2")
    found = zd.get("/api/v2/tickets.json", external_id="marker-2").json()
    assert [ticket["id"] for ticket in found["tickets"]] == [second["id"]]
    assert found["count"] == 1
    many = zd.get("/api/v2/tickets/show_many.json", ids=f"{first['id']},{second['id']},999")
    assert [ticket["id"] for ticket in many.json()["tickets"]] == [first["id"], second["id"]]


def test_ticket_validation_errors_in_zendesks_format(zd):
    no_comment = zd.post("/api/v2/tickets.json", {"ticket": {"subject": "Nothing to say"}})
    assert no_comment.status_code == 422
    assert no_comment.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "base": [{"description": "Description: cannot be blank", "error": "BlankValue"}]
        },
    }
    unknown_requester = zd.post(
        "/api/v2/tickets.json",
        {"ticket": {"comment": {"body": "Hi"}, "requester_id": 42, "status": "sleeping"}},
    )
    assert unknown_requester.status_code == 422
    details = unknown_requester.json()["details"]
    assert details["requester"] == [
        {"description": "Requester: is invalid", "error": "InvalidValue"}
    ]
    assert details["status"][0]["error"] == "InvalidValue"
    end_user = zd.user(name="Not an agent", email="customer@example.com")
    assignee = zd.post(
        "/api/v2/tickets.json",
        {"ticket": {"comment": {"body": "Hi"}, "assignee_id": end_user["id"]}},
    )
    assert assignee.json()["details"]["assignee"][0]["description"] == "Assignee: is invalid"
    not_json = zd.client.post(
        f"{zd.root}/api/v2/tickets.json", "{oops", "application/json", headers=zd.headers
    )
    assert not_json.status_code == 400


def test_a_closed_ticket_cannot_be_updated(zd):
    ticket = zd.ticket()
    closed = zd.put(f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"status": "closed"}})
    assert closed.status_code == 200
    refused = zd.put(
        f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"comment": {"body": "Reopen?"}}}
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {"status": [{"description": "Status: closed prevents ticket update"}]},
    }
    assert len(zd.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"]) == 1


def test_safe_update_refuses_a_stale_write(zd):
    ticket = zd.ticket()
    zd.put(f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"priority": "low"}})
    stale = zd.put(
        f"/api/v2/tickets/{ticket['id']}.json",
        {
            "ticket": {
                "priority": "urgent",
                "safe_update": True,
                "updated_stamp": "2000-01-01T00:00:00Z",
            }
        },
    )
    assert stale.status_code == 409
    assert stale.json()["error"] == "UpdateConflict"


def test_statuses_follow_zendesks_rules_and_custom_statuses(zd):
    statuses = zd.get("/api/v2/custom_statuses.json").json()["custom_statuses"]
    assert [status["status_category"] for status in statuses] == [
        "new",
        "open",
        "pending",
        "hold",
        "solved",
    ]
    assert all(status["default"] and status["active"] for status in statuses)
    pending = zd.get("/api/v2/custom_statuses.json", status_categories="pending,hold").json()
    assert [status["agent_label"] for status in pending["custom_statuses"]] == [
        "Pending",
        "On-hold",
    ]
    by_category = {status["status_category"]: status["id"] for status in statuses}
    ticket = zd.ticket()
    assert ticket["custom_status_id"] == by_category["new"]
    # An agent's update takes a new ticket out of "New".
    updated = zd.put(f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"priority": "low"}})
    assert updated.json()["ticket"]["status"] == "open"
    assert updated.json()["ticket"]["custom_status_id"] == by_category["open"]
    on_hold = zd.put(
        f"/api/v2/tickets/{ticket['id']}.json",
        {"ticket": {"custom_status_id": by_category["hold"]}},
    )
    assert on_hold.json()["ticket"]["status"] == "hold"


def test_a_comment_without_public_inherits_the_tickets_publicity(zd):
    ticket = zd.ticket(comment={"body": "Internal first note", "public": False})
    assert ticket["is_public"] is False
    zd.put(f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"comment": {"body": "Next"}}})
    comments = zd.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"]
    assert [comment["public"] for comment in comments] == [False, False]


def test_a_requester_given_by_email_is_found_or_created(zd):
    ticket = zd.ticket(requester={"name": "Nora New", "email": "Nora@Example.com"})
    requester = zd.get(f"/api/v2/users/{ticket['requester_id']}.json").json()["user"]
    assert (requester["name"], requester["email"], requester["role"]) == (
        "Nora New",
        "nora@example.com",
        "end-user",
    )
    again = zd.ticket(requester={"name": "Nora", "email": "nora@example.com"})
    assert again["requester_id"] == requester["id"]


def test_custom_fields_show_on_every_ticket_and_take_values(zd):
    created = zd.post(
        "/api/v2/ticket_fields.json",
        {
            "ticket_field": {
                "type": "tagger",
                "title": "Product",
                "custom_field_options": [
                    {"name": "Printer", "value": "printer"},
                    {"name": "Scanner", "value": "scanner"},
                ],
            }
        },
    )
    assert created.status_code == 201
    field = created.json()["ticket_field"]
    assert [option["value"] for option in field["custom_field_options"]] == [
        "printer",
        "scanner",
    ]
    assert all(isinstance(option["id"], int) for option in field["custom_field_options"])
    ticket = zd.ticket(custom_fields=[{"id": field["id"], "value": "printer"}])
    assert ticket["custom_fields"] == [{"id": field["id"], "value": "printer"}]
    plain = zd.ticket()
    assert plain["custom_fields"] == [{"id": field["id"], "value": None}]
    fields = zd.get("/api/v2/ticket_fields.json").json()["ticket_fields"]
    types = [item["type"] for item in fields]
    assert types[:8] == [
        "subject",
        "description",
        "status",
        "custom_status",
        "tickettype",
        "priority",
        "group",
        "assignee",
    ]
    status_field = fields[2]
    assert {"name": "On-hold", "value": "hold"} in status_field["system_field_options"]
    bad = zd.post("/api/v2/ticket_fields.json", {"ticket_field": {"type": "tagger"}})
    assert bad.status_code == 422
    assert set(bad.json()["details"]) == {"title", "custom_field_options"}


# --- Pagination ----------------------------------------------------------------------------


def test_cursor_pagination_walks_forward_and_back_across_pages(zd):
    ids = [zd.ticket(subject=f"Ticket {n}")["id"] for n in range(7)]
    pages = []
    response = zd.get("/api/v2/tickets.json", **{"page[size]": 3})
    while True:
        body = response.json()
        pages.append(body)
        if not body["meta"]["has_more"]:
            break
        response = zd.follow(body["links"]["next"])
    assert [[ticket["id"] for ticket in page["tickets"]] for page in pages] == [
        ids[0:3],
        ids[3:6],
        ids[6:7],
    ]
    assert [page["meta"]["has_more"] for page in pages] == [True, True, False]
    back = zd.follow(pages[2]["links"]["prev"]).json()
    assert [ticket["id"] for ticket in back["tickets"]] == ids[3:6]
    assert back["meta"]["has_more"] is True
    newest_first = zd.get("/api/v2/tickets.json", **{"page[size]": 2, "sort": "-id"}).json()
    assert [ticket["id"] for ticket in newest_first["tickets"]] == ids[:-3:-1]
    oversized = zd.get("/api/v2/tickets.json", **{"page[size]": 500}).json()
    assert len(oversized["tickets"]) == 7
    broken = zd.get("/api/v2/tickets.json", **{"page[size]": 2, "page[after]": "%%%"})
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["code"] == "InvalidPaginationParameter"


def test_offset_pagination_and_its_ten_thousand_record_cap(zd):
    ids = [zd.ticket()["id"] for _ in range(7)]
    page = zd.get("/api/v2/tickets.json", page=2, per_page=3).json()
    assert [ticket["id"] for ticket in page["tickets"]] == ids[3:6]
    assert page["count"] == 7
    assert "page=3" in page["next_page"]
    assert "page=1" in page["previous_page"]
    last = zd.follow(page["next_page"]).json()
    assert [ticket["id"] for ticket in last["tickets"]] == ids[6:]
    assert last["next_page"] is None
    assert zd.get("/api/v2/tickets.json", page=100, per_page=100).status_code == 200
    refused = zd.get("/api/v2/tickets.json", page=101, per_page=100)
    assert refused.status_code == 400
    error = refused.json()["errors"][0]
    assert error["code"] == "InvalidPaginationDepth"
    assert "10000 records" in error["title"]


def test_list_endpoints_cost_the_same_queries_for_5_or_60_rows(zd, account):
    account.options = {**account.options, "job_queue_seconds": 0, "job_tickets_per_second": 1e6}
    account.save(update_fields=["options"])
    bulk_imported(zd, [{"comments": [{"value": f"Ticket {n}"}]} for n in range(60)])
    queries = {}
    for size in (5, 60):
        with CaptureQueriesContext(connection) as captured:
            response = zd.get("/api/v2/tickets.json", **{"page[size]": size})
        assert len(response.json()["tickets"]) == size
        queries[size] = len(captured)
    assert queries[5] == queries[60]
    with CaptureQueriesContext(connection) as captured:
        export = zd.get("/api/v2/incremental/tickets/cursor.json", start_time=0)
    assert len(export.json()["tickets"]) == 60
    assert len(captured) <= queries[5] + 1


# --- Incremental exports -------------------------------------------------------------------


def test_incremental_ticket_export_orders_by_updated_at_and_ends_the_stream(zd):
    dates = ["2020-03-01T10:00:00Z", "2020-01-01T10:00:00Z", "2020-02-01T10:00:00Z"]
    tickets = [
        imported(
            zd,
            subject=f"Imported {n}",
            created_at="2019-12-01T00:00:00Z",
            updated_at=updated_at,
            comments=[{"value": "Old"}],
        )
        for n, updated_at in enumerate(dates)
    ]
    deleted = zd.ticket(subject="Deleted later")
    zd.delete(f"/api/v2/tickets/{deleted['id']}.json")
    expected = [tickets[1]["id"], tickets[2]["id"], tickets[0]["id"], deleted["id"]]

    seen, pages = [], []
    response = zd.get("/api/v2/incremental/tickets/cursor.json", start_time=0, per_page=2)
    while True:
        body = response.json()
        pages.append(body)
        seen.extend(body["tickets"])
        if body["end_of_stream"]:
            break
        assert (
            body["after_url"].endswith(f"cursor={body['after_cursor']}")
            or "cursor=" in (body["after_url"])
        )
        response = zd.follow(body["after_url"])
    assert [ticket["id"] for ticket in seen] == expected
    assert [page["end_of_stream"] for page in pages] == [False, True]
    assert seen[-1]["status"] == "deleted"
    assert seen[0]["generated_timestamp"] == int(datetime(2020, 1, 1, 10, tzinfo=UTC).timestamp())
    assert set(pages[0]) >= {"after_url", "after_cursor", "before_url", "before_cursor"}

    # The last cursor resumes later: only what changed since comes back.
    later = zd.ticket(subject="Later")
    resumed = zd.get("/api/v2/incremental/tickets/cursor.json", cursor=pages[-1]["after_cursor"])
    assert [ticket["id"] for ticket in resumed.json()["tickets"]] == [later["id"]]
    from_2020_02 = zd.get(
        "/api/v2/incremental/tickets/cursor.json",
        start_time=int(datetime(2020, 2, 1, tzinfo=UTC).timestamp()),
        exclude_deleted="true",
    ).json()
    assert [ticket["id"] for ticket in from_2020_02["tickets"]] == [
        tickets[2]["id"],
        tickets[0]["id"],
        later["id"],
    ]


def test_incremental_exports_leave_out_the_last_minute_and_refuse_a_recent_start(zd, account):
    account.options = {"incremental_exports_per_minute": 0}  # Zendesk's one-minute lag
    account.save()
    ticket = zd.ticket()
    export = zd.get("/api/v2/incremental/tickets/cursor.json", start_time=0).json()
    assert export["tickets"] == []
    assert export["end_of_stream"] is True
    too_recent = zd.get(
        "/api/v2/incremental/tickets/cursor.json",
        start_time=int((datetime.now(UTC) - timedelta(seconds=10)).timestamp()),
    )
    assert too_recent.status_code == 422
    assert too_recent.json()["error"] == "InvalidValue"
    assert too_recent.json()["description"].startswith("Too recent start_time")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=2)):
        resumed = zd.get("/api/v2/incremental/tickets/cursor.json", cursor=export["after_cursor"])
    assert [item["id"] for item in resumed.json()["tickets"]] == [ticket["id"]]


def test_incremental_users_organizations_and_ticket_events(zd):
    user = zd.user(name="Exported", email="exported@example.com")
    zd.delete(f"/api/v2/users/{user['id']}.json")
    users = zd.get("/api/v2/incremental/users/cursor.json", start_time=0).json()
    assert users["end_of_stream"] is True
    assert [item["id"] for item in users["users"]][-1] == user["id"]
    assert users["users"][-1]["active"] is False

    organization = zd.post("/api/v2/organizations.json", {"organization": {"name": "Acme"}})
    organizations = zd.get("/api/v2/incremental/organizations.json", start_time=0).json()
    assert [item["id"] for item in organizations["organizations"]] == [
        organization.json()["organization"]["id"]
    ]
    assert organizations["end_of_stream"] is True
    assert organizations["count"] == 1
    assert "start_time=" in organizations["next_page"]

    ticket = zd.ticket(comment={"body": "First"})
    zd.put(f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"comment": {"body": "Second"}}})
    events = zd.get(
        "/api/v2/incremental/ticket_events.json", start_time=0, include="comment_events"
    ).json()
    assert [event["child_events"][0]["body"] for event in events["ticket_events"]] == [
        "First",
        "Second",
    ]
    assert {event["ticket_id"] for event in events["ticket_events"]} == {ticket["id"]}


# --- Ticket import and jobs ----------------------------------------------------------------


def test_ticket_import_keeps_dates_and_comment_authors(zd):
    customer = zd.user(name="Old Customer", email="old@example.com")
    agent = zd.user(name="Old Agent", email="agent@example.com", role="agent")
    ticket = imported(
        zd,
        subject="From the old help desk",
        requester_id=customer["id"],
        assignee_id=agent["id"],
        status="solved",
        created_at="2015-06-01T08:00:00Z",
        updated_at="2015-06-03T09:30:00Z",
        solved_at="2015-06-03T09:00:00Z",
        tags=["migrated"],
        comments=[
            {
                "author_id": customer["id"],
                "value": "It broke.",
                "created_at": "2015-06-01T08:00:00Z",
            },
            {
                "author_id": agent["id"],
                "html_body": "<p>Internal: <b>replace</b> it</p>",
                "public": False,
                "created_at": "2015-06-02T10:00:00Z",
            },
            {
                "author_id": agent["id"],
                "value": "Fixed.",
                "created_at": "2015-06-03T09:00:00Z",
            },
        ],
    )
    assert (ticket["created_at"], ticket["updated_at"]) == (
        "2015-06-01T08:00:00Z",
        "2015-06-03T09:30:00Z",
    )
    assert ticket["status"] == "solved"
    assert ticket["description"] == "It broke."
    comments = zd.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"]
    assert [(c["author_id"], c["created_at"], c["public"]) for c in comments] == [
        (customer["id"], "2015-06-01T08:00:00Z", True),
        (agent["id"], "2015-06-02T10:00:00Z", False),
        (agent["id"], "2015-06-03T09:00:00Z", True),
    ]
    assert comments[1]["body"] == "Internal: replace it"
    metrics = zd.get(f"/api/v2/tickets/{ticket['id']}/metrics.json").json()["ticket_metric"]
    assert metrics["solved_at"] == "2015-06-03T09:00:00Z"
    closed = imported(
        zd, status="closed", comments=[{"value": "Archived"}], created_at="1965-01-01T00:00:00Z"
    )
    assert closed["status"] == "closed"
    assert closed["created_at"] == "1970-01-01T00:00:00Z"  # Zendesk rounds pre-1970 dates up


def bulk_imported(zd: Zendesk, tickets: list[dict[str, Any]]) -> dict[str, Any]:
    """Submit a bulk import and look at its job until it is over; the job status."""
    response = zd.post("/api/v2/imports/tickets/create_many.json", {"tickets": tickets})
    assert response.status_code == 200, response.content
    url = response.json()["job_status"]["url"]
    for _look in range(200):
        job = zd.follow(url).json()["job_status"]
        if job["status"] == "completed":
            return job
        time.sleep(0.05)
    raise AssertionError(f"job still {job['status']}")


def test_bulk_import_is_a_job_queued_then_working_then_completed_with_results(zd, account):
    account.options = {**account.options, "job_queue_seconds": 0.3, "job_tickets_per_second": 10}
    account.save(update_fields=["options"])
    response = zd.post(
        "/api/v2/imports/tickets/create_many.json",
        {
            "tickets": [
                {"subject": "One", "comments": [{"value": "1"}]},
                {"subject": "No comment"},
                {"subject": "Three", "comments": [{"value": "3"}]},
            ]
        },
    )
    assert response.status_code == 200
    job = response.json()["job_status"]
    assert (job["status"], job["total"], job["progress"], job["results"]) == ("queued", 3, 0, None)
    assert len(job["id"]) == 32
    assert job["url"].endswith(f"/api/v2/job_statuses/{job['id']}.json")
    assert zd.get("/api/v2/tickets.json").json()["tickets"] == []
    seen = []
    for _look in range(100):
        shown = zd.follow(job["url"]).json()["job_status"]
        seen.append(shown["status"])
        if shown["status"] == "completed":
            break
        time.sleep(0.05)
    assert seen[0] == "queued" and "working" in seen and seen[-1] == "completed", seen
    assert (shown["total"], shown["progress"]) == (3, 3)
    assert [result.get("id") for result in shown["results"]] == [1, None, 2]
    assert [result["index"] for result in shown["results"]] == [0, 1, 2]
    assert shown["results"][1]["details"] == "Description: cannot be blank"
    assert shown["message"].startswith("Completed at")
    assert not any(key.startswith("_") for key in shown)
    listed = zd.get("/api/v2/job_statuses.json", **{"page[size]": 10}).json()
    assert [status["id"] for status in listed["job_statuses"]] == [job["id"]]
    assert listed["job_statuses"][0]["job_type"] == "Bulk Import Tickets"
    assert zd.get("/api/v2/job_statuses/nothex.json").status_code == 404
    too_many = zd.post(
        "/api/v2/imports/tickets/create_many.json",
        {"tickets": [{"comments": [{"value": "x"}]}] * 101},
    )
    assert too_many.status_code == 400
    assert too_many.json()["error"] == "TooManyValues"


def test_a_bulk_import_job_may_fail_some_tickets_and_import_the_others(zd, account):
    account.options = {
        **account.options,
        "job_queue_seconds": 0,
        "bulk_import_item_failure_ratio": 0.5,
    }
    account.save(update_fields=["options"])
    job = bulk_imported(zd, [{"subject": f"T{n}", "comments": [{"value": "x"}]} for n in range(40)])
    failed = [result for result in job["results"] if "error" in result]
    created = [result for result in job["results"] if "id" in result]
    assert failed and created and len(failed) + len(created) == 40
    assert {result["error"] for result in failed} == {"ProcessingError"}
    tickets = zd.get("/api/v2/tickets.json", **{"page[size]": 100}).json()["tickets"]
    assert sorted(ticket["id"] for ticket in tickets) == sorted(r["id"] for r in created)


def test_each_bulk_import_request_and_job_look_counts_in_the_rate_limit(zd, account):
    account.rate_limit_per_minute = 3
    account.save(update_fields=["rate_limit_per_minute"])
    response = zd.post(
        "/api/v2/imports/tickets/create_many.json", {"tickets": [{"comments": [{"value": "x"}]}]}
    )
    assert response.status_code == 200
    url = response.json()["job_status"]["url"]
    assert zd.follow(url).status_code == 200
    assert zd.follow(url).status_code == 200
    assert zd.follow(url).status_code == 429


# --- Uploads and attachments ---------------------------------------------------------------


def test_uploads_attach_to_comments_and_download_byte_for_byte(zd):
    pdf = b"%PDF-1.4 " + bytes(range(256)) * 400
    first = zd.upload("report final.pdf", pdf, "application/pdf")
    assert first.status_code == 201
    upload = first.json()["upload"]
    assert upload["token"].isalnum()
    assert upload["attachment"]["file_name"] == "report final.pdf"
    assert upload["attachment"]["size"] == len(pdf)
    png = b"\x89PNG\r\n" + b"\x00" * 1000
    second = zd.upload("logo.png", png, "image/png", token=upload["token"])
    assert [item["file_name"] for item in second.json()["upload"]["attachments"]] == [
        "report final.pdf",
        "logo.png",
    ]

    ticket = zd.ticket(comment={"body": "See attached.", "uploads": [upload["token"]]})
    comment = zd.get(f"/api/v2/tickets/{ticket['id']}/comments.json").json()["comments"][0]
    attachments = comment["attachments"]
    assert [item["content_type"] for item in attachments] == ["application/pdf", "image/png"]
    assert set(attachments[0]) >= {
        "id",
        "file_name",
        "content_url",
        "content_type",
        "size",
        "inline",
        "mapped_content_url",
    }
    assert "/attachments/token/" in attachments[0]["content_url"]

    redirect = zd.client.get(attachments[0]["content_url"])  # no credentials needed
    assert redirect.status_code == 302
    downloaded = zd.follow(attachments[0]["content_url"])
    assert downloaded.status_code == 200
    assert hashlib.sha256(streamed(downloaded)).digest() == hashlib.sha256(pdf).digest()
    assert streamed(zd.follow(attachments[1]["content_url"])) == png
    shown = zd.get(f"/api/v2/attachments/{attachments[0]['id']}.json").json()["attachment"]
    assert shown["content_url"] == attachments[0]["content_url"]


def test_uploads_over_50_mb_are_refused(zd):
    response = zd.client.post(
        f"{zd.root}/api/v2/uploads.json?filename=huge.bin",
        b"x",
        "application/octet-stream",
        headers=zd.headers,
        CONTENT_LENGTH=str(emulator.UPLOAD_MAX_BYTES + 1),
    )
    assert response.status_code == 413
    assert response.json()["error"] == "AttachmentTooLarge"
    assert zd.upload("", b"x", "text/plain").status_code == 400


# --- Users ---------------------------------------------------------------------------------


def test_users_create_read_update_delete_and_find(zd):
    created = zd.user(
        name="Amber Blanchard",
        email="Amber@Example.com",
        external_id=6128164851599,
        tags=["vip"],
        user_fields={"plan": "gold"},
    )
    assert created["email"] == "amber@example.com"
    assert created["external_id"] == "6128164851599"
    assert created["role"] == "end-user"
    assert created["active"] is True
    agent = zd.user(name="Agent Smith", email="smith@example.com", role="agent")

    duplicate = zd.post(
        "/api/v2/users.json", {"user": {"name": "Other", "email": "amber@example.com"}}
    )
    assert duplicate.status_code == 422
    assert duplicate.json()["details"] == {
        "email": [
            {
                "description": "Email: amber@example.com is already being used by another user",
                "error": "DuplicateValue",
            }
        ]
    }
    nameless = zd.post("/api/v2/users.json", {"user": {"role": "end-user"}})
    assert nameless.json()["details"]["name"][0]["error"] == "TooShort"

    by_external = zd.get("/api/v2/users/search.json", external_id="6128164851599").json()
    assert [user["id"] for user in by_external["users"]] == [created["id"]]
    by_email = zd.get("/api/v2/users/search.json", query="email:amber@example.com").json()
    assert [user["id"] for user in by_email["users"]] == [created["id"]]
    staff = zd.get("/api/v2/users.json", **{"role[]": ["agent", "admin"]}).json()["users"]
    assert {user["id"] for user in staff} == {360000000001, agent["id"]}
    assert zd.get("/api/v2/users/count.json").json()["count"]["value"] == 3

    updated = zd.put(f"/api/v2/users/{created['id']}.json", {"user": {"phone": "+33 1 23"}})
    assert updated.json()["user"]["phone"] == "+33 1 23"
    assert updated.json()["user"]["user_fields"] == {"plan": "gold"}

    deleted = zd.delete(f"/api/v2/users/{created['id']}.json")
    assert deleted.status_code == 200
    assert deleted.json()["user"]["active"] is False
    assert zd.get(f"/api/v2/users/{created['id']}.json").json()["user"]["active"] is False
    assert created["id"] not in [
        user["id"] for user in zd.get("/api/v2/users.json").json()["users"]
    ]


def test_users_create_or_update_matches_by_external_id_then_email(zd):
    created = zd.post(
        "/api/v2/users/create_or_update.json",
        {"user": {"name": "Carl", "email": "carl@example.com", "external_id": "c-1"}},
    )
    assert created.status_code == 201
    by_email = zd.post(
        "/api/v2/users/create_or_update.json",
        {"user": {"name": "Carl Jr", "email": "CARL@example.com"}},
    )
    assert by_email.status_code == 200
    assert by_email.json()["user"]["id"] == created.json()["user"]["id"]
    by_external = zd.post(
        "/api/v2/users/create_or_update.json", {"user": {"external_id": "c-1", "notes": "VIP"}}
    )
    assert by_external.status_code == 200
    assert by_external.json()["user"]["name"] == "Carl Jr"
    assert by_external.json()["user"]["notes"] == "VIP"


# --- Organizations and groups --------------------------------------------------------------


def test_organizations_create_read_update_delete_and_find(zd):
    created = zd.post(
        "/api/v2/organizations.json",
        {
            "organization": {
                "name": "Test Organization",
                "external_id": "org123",
                "domain_names": ["example.com"],
                "organization_fields": {"custom_field": "value"},
            }
        },
    )
    assert created.status_code == 201
    organization = created.json()["organization"]
    taken = zd.post("/api/v2/organizations.json", {"organization": {"name": "test organization"}})
    assert taken.status_code == 422
    assert taken.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "name": [{"description": "Name: has already been taken", "error": "DuplicateValue"}]
        },
    }
    found = zd.get("/api/v2/organizations/search.json", external_id="org123").json()
    assert [item["id"] for item in found["organizations"]] == [organization["id"]]
    updated = zd.put(
        f"/api/v2/organizations/{organization['id']}.json",
        {"organization": {"notes": "Big customer", "tags": ["enterprise"]}},
    )
    assert updated.json()["organization"]["notes"] == "Big customer"
    assert zd.get("/api/v2/organizations/count.json").json()["count"]["value"] == 1
    member = zd.user(name="Member", email="m@example.com", organization_id=organization["id"])
    ticket = zd.ticket(requester_id=member["id"])
    assert ticket["organization_id"] == organization["id"]
    assert zd.delete(f"/api/v2/organizations/{organization['id']}.json").status_code == 204
    assert zd.get(f"/api/v2/organizations/{organization['id']}.json").status_code == 404


def test_groups_and_memberships(zd):
    groups = zd.get("/api/v2/groups.json").json()["groups"]
    assert [group["name"] for group in groups] == ["Support"]  # every account has one
    created = zd.post("/api/v2/groups.json", {"group": {"name": "Remote Employees"}})
    assert created.status_code == 201
    group = created.json()["group"]
    assert group["deleted"] is False
    agent = zd.user(name="Agent", email="agent@example.com", role="agent")
    customer = zd.user(name="Customer", email="customer@example.com")
    membership = zd.post(
        "/api/v2/group_memberships.json",
        {"group_membership": {"user_id": agent["id"], "group_id": group["id"]}},
    )
    assert membership.status_code == 201
    refused = zd.post(
        "/api/v2/group_memberships.json",
        {"group_membership": {"user_id": customer["id"], "group_id": group["id"]}},
    )
    assert refused.status_code == 422
    of_group = zd.get(f"/api/v2/groups/{group['id']}/memberships.json").json()
    assert [item["user_id"] for item in of_group["group_memberships"]] == [agent["id"]]
    all_memberships = zd.get("/api/v2/group_memberships.json").json()["group_memberships"]
    assert len(all_memberships) == 2  # the owner's in Support, and the new one
    renamed = zd.put(f"/api/v2/groups/{group['id']}.json", {"group": {"name": "Remote"}})
    assert renamed.json()["group"]["name"] == "Remote"
    ticket = zd.ticket(group_id=group["id"], assignee_id=agent["id"])
    assert (ticket["group_id"], ticket["status"]) == (group["id"], "open")
    assert zd.delete(f"/api/v2/groups/{group['id']}.json").status_code == 204
    assert [item["id"] for item in zd.get("/api/v2/groups.json").json()["groups"]] == [
        groups[0]["id"]
    ]


# --- Help Center ---------------------------------------------------------------------------


def test_help_center_categories_sections_articles_translations_and_attachments(zd):
    category = zd.post(
        "/api/v2/help_center/categories.json", {"category": {"name": "General"}}
    ).json()["category"]
    section_response = zd.post(
        f"/api/v2/help_center/categories/{category['id']}/sections.json",
        {"section": {"name": "Getting Started"}},
    )
    assert section_response.status_code == 201
    section = section_response.json()["section"]
    assert section["category_id"] == category["id"]

    missing = zd.post(
        f"/api/v2/help_center/sections/{section['id']}/articles.json",
        {"article": {"title": "No permissions", "body": "<p>Hi</p>"}},
    )
    assert missing.status_code == 400
    assert missing.json()["title"] == "Invalid attribute"
    assert "You must provide permission_group_id" in missing.json()["message"]
    assert "You must provide user_segment_id" in missing.json()["message"]

    permission_group = zd.get("/api/v2/guide/permission_groups.json").json()["permission_groups"][0]
    article_ids = []
    for n in range(3):
        created = zd.post(
            f"/api/v2/help_center/sections/{section['id']}/articles.json",
            {
                "article": {
                    "title": f"Refund policy {n}",
                    "body": "<p>30 days</p>",
                    "permission_group_id": permission_group["id"],
                    "user_segment_id": None,
                    "label_names": ["billing"],
                }
            },
        )
        assert created.status_code == 201, created.content
        article_ids.append(created.json()["article"]["id"])
    article = zd.get(f"/api/v2/help_center/articles/{article_ids[0]}.json").json()["article"]
    assert article["html_url"].endswith(f"/hc/en-us/articles/{article_ids[0]}-Refund-policy-0")
    assert article["url"].endswith(f"/api/v2/help_center/en-us/articles/{article_ids[0]}.json")

    listing = zd.get("/api/v2/help_center/articles.json").json()
    assert (listing["count"], listing["page"], listing["per_page"], listing["page_count"]) == (
        3,
        1,
        30,
        1,
    )
    cursor = zd.get("/api/v2/help_center/articles.json", **{"page[size]": 2}).json()
    assert [item["id"] for item in cursor["articles"]] == article_ids[:2]
    assert cursor["meta"]["has_more"] is True
    in_section = zd.get(f"/api/v2/help_center/sections/{section['id']}/articles.json").json()
    assert len(in_section["articles"]) == 3

    translation = zd.post(
        f"/api/v2/help_center/articles/{article_ids[0]}/translations.json",
        {
            "translation": {
                "locale": "fr",
                "title": "Politique de remboursement",
                "body": "<p>30 j</p>",
            }
        },
    )
    assert translation.status_code == 201
    translations = zd.get(
        f"/api/v2/help_center/articles/{article_ids[0]}/translations.json"
    ).json()["translations"]
    assert [item["locale"] for item in translations] == ["en-us", "fr"]
    french = zd.get(f"/api/v2/help_center/fr/articles/{article_ids[0]}.json").json()["article"]
    assert (french["locale"], french["title"]) == ("fr", "Politique de remboursement")
    edited = zd.put(
        f"/api/v2/help_center/articles/{article_ids[0]}/translations/en-us.json",
        {"translation": {"title": "Refunds"}},
    )
    assert edited.status_code == 200
    assert (
        zd.get(f"/api/v2/help_center/articles/{article_ids[0]}.json").json()["article"]["title"]
        == "Refunds"
    )

    image = b"GIF89a" + bytes(range(200))
    uploaded = zd.client.post(
        f"{zd.root}/api/v2/help_center/articles/{article_ids[0]}/attachments.json",
        {"file": SimpleUploadedFile("diagram.gif", image, "image/gif"), "inline": "true"},
        headers=zd.headers,
    )
    assert uploaded.status_code == 201
    attachment = uploaded.json()["article_attachment"]
    assert (attachment["inline"], attachment["size"]) == (True, len(image))
    listed = zd.get(f"/api/v2/help_center/articles/{article_ids[0]}/attachments.json").json()
    assert [item["id"] for item in listed["article_attachments"]] == [attachment["id"]]
    assert streamed(zd.client.get(attachment["content_url"])) == image

    exported = zd.get("/api/v2/help_center/incremental/articles.json", start_time=0).json()
    # Editing the source translation touched the first article: it comes last.
    assert [item["id"] for item in exported["articles"]] == [*article_ids[1:], article_ids[0]]
    assert exported["next_page"] is None
    assert exported["count"] == 3


# --- Real payloads keep the emulator honest ------------------------------------------------


def _fixture_object(file_name: str, key: str) -> dict[str, Any]:
    payload = fixture_payload(file_name)
    item = payload[key][0]
    if key == "ticket_events":
        return item["child_events"][0]
    return item


def _emulated_objects(zd: Zendesk) -> dict[str, dict[str, Any]]:
    """One object of each kind, made through the API and read back the way the fixture was."""
    organization = zd.post(
        "/api/v2/organizations.json", {"organization": {"name": "Fixture Org"}}
    ).json()["organization"]
    user = zd.user(name="Fixture User", email="fixture@example.com")
    group = zd.post("/api/v2/groups.json", {"group": {"name": "Fixture Group"}}).json()["group"]
    field = zd.post(
        "/api/v2/ticket_fields.json", {"ticket_field": {"type": "text", "title": "Subject"}}
    ).json()["ticket_field"]
    ticket = zd.ticket(comment={"body": "Fixture comment"})
    category = zd.post(
        "/api/v2/help_center/categories.json", {"category": {"name": "General"}}
    ).json()["category"]
    section = zd.post(
        f"/api/v2/help_center/categories/{category['id']}/sections.json",
        {"section": {"name": "Getting Started"}},
    ).json()["section"]
    permission_group = zd.get("/api/v2/guide/permission_groups.json").json()["permission_groups"][0]
    zd.post(
        f"/api/v2/help_center/sections/{section['id']}/articles.json",
        {
            "article": {
                "title": "Sample article",
                "body": "<p>Body</p>",
                "permission_group_id": permission_group["id"],
                "user_segment_id": None,
            }
        },
    )
    exported_tickets = zd.get("/api/v2/incremental/tickets/cursor.json", start_time=0).json()
    events = zd.get(
        "/api/v2/incremental/ticket_events.json", start_time=0, include="comment_events"
    ).json()
    articles = zd.get("/api/v2/help_center/incremental/articles.json", start_time=0).json()
    return {
        "tickets": next(item for item in exported_tickets["tickets"] if item["id"] == ticket["id"]),
        "users": zd.get(f"/api/v2/users/{user['id']}.json").json()["user"],
        "organizations": zd.get(f"/api/v2/organizations/{organization['id']}.json").json()[
            "organization"
        ],
        "groups": zd.get(f"/api/v2/groups/{group['id']}.json").json()["group"],
        "ticket_fields": zd.get(f"/api/v2/ticket_fields/{field['id']}.json").json()["ticket_field"],
        "ticket_events": events["ticket_events"][0]["child_events"][0],
        "articles": articles["articles"][0],
        "sections": zd.get(f"/api/v2/help_center/sections/{section['id']}.json").json()["section"],
        "categories": zd.get(f"/api/v2/help_center/categories/{category['id']}.json").json()[
            "category"
        ],
    }


FIXTURE_FILES = {
    "tickets": "zendesk_tickets.json",
    "users": "zendesk_users.json",
    "organizations": "zendesk_organizations.json",
    "groups": "zendesk_groups.json",
    "ticket_fields": "zendesk_ticket_fields.json",
    "ticket_events": "zendesk_ticket_comments.json",
    "articles": "zendesk_articles.json",
    "sections": "zendesk_sections.json",
    "categories": "zendesk_categories.json",
}


def test_every_field_of_the_real_payloads_is_present(zd):
    emulated = _emulated_objects(zd)
    missing = {
        key: sorted(set(_fixture_object(file_name, key)) - set(emulated[key]))
        for key, file_name in FIXTURE_FILES.items()
    }
    assert missing == {key: [] for key in FIXTURE_FILES}


def test_list_envelopes_match_the_real_payloads(zd):
    """The keys around the objects: cursor meta and links, export cursors."""
    zd.ticket()
    for file_name, path in [
        ("zendesk_ticket_fields.json", "/api/v2/ticket_fields.json"),
        ("zendesk_categories.json", "/api/v2/help_center/categories.json"),
        ("zendesk_sections.json", "/api/v2/help_center/sections.json"),
    ]:
        real = fixture_payload(file_name)
        emulated = zd.get(path, **{"page[size]": 10}).json()
        assert set(real) == set(emulated), file_name
        assert set(real["meta"]) == set(emulated["meta"])
        assert set(real["links"]) == set(emulated["links"])
    real_export = fixture_payload("zendesk_tickets.json")
    export = zd.get("/api/v2/incremental/tickets/cursor.json", start_time=0).json()
    assert set(real_export) == set(export)
    real_articles = fixture_payload("zendesk_articles.json")
    articles = zd.get("/api/v2/help_center/incremental/articles.json", start_time=0).json()
    assert set(real_articles) <= set(articles)


# --- Over real HTTP ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_over_loopback_http_with_httpx(live_server, account):
    account.rate_limit_per_minute = None
    account.save()
    base_url = f"{live_server.url}/sandbox/zendesk/acme"
    auth = httpx.BasicAuth(f"{EMAIL}/token", API_TOKEN)
    with httpx.Client(base_url=base_url, auth=auth, timeout=10) as http:
        me = http.get("/api/v2/users/me.json")
        assert me.status_code == 200
        assert me.json()["user"]["email"] == EMAIL
        assert me.headers["x-rate-limit"] == "700"
        wrong = httpx.get(f"{base_url}/api/v2/tickets.json", auth=("nobody/token", "x"))
        assert wrong.status_code == 401
        assert wrong.json() == {"error": "Couldn't authenticate you"}

        content = bytes(range(256)) * 1024
        upload = http.post(
            "/api/v2/uploads.json",
            params={"filename": "dump.bin"},
            content=content,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert upload.status_code == 201
        token = upload.json()["upload"]["token"]
        for n in range(5):
            comment = {"body": f"Over HTTP {n}", "uploads": [token] if n == 0 else []}
            created = http.post("/api/v2/tickets.json", json={"ticket": {"comment": comment}})
            assert created.status_code == 201

        ids, url = [], "/api/v2/tickets.json?page[size]=2"
        while url:
            page = http.get(url).json()
            ids.extend(ticket["id"] for ticket in page["tickets"])
            url = page["links"]["next"] if page["meta"]["has_more"] else None
        assert ids == [1, 2, 3, 4, 5]

        comment = http.get("/api/v2/tickets/1/comments.json").json()["comments"][0]
        content_url = comment["attachments"][0]["content_url"]
        assert content_url.startswith(base_url)
        not_followed = httpx.get(content_url)
        assert not_followed.status_code == 302
        downloaded = httpx.get(content_url, follow_redirects=True)
        assert downloaded.status_code == 200
        assert downloaded.content == content
