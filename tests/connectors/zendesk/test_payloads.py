from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import source_marker
from connectors.errors import InvalidRecordError
from connectors.schema import (
    Agent,
    Article,
    ArticleCategory,
    ArticleSection,
    ArticleTranslation,
    AuthorKind,
    CommentKind,
    Contact,
    CustomFieldType,
    Entity,
    Group,
    Organization,
    StatusCategory,
    Ticket,
)
from connectors.wire import MalformedPayloadError
from connectors.zendesk import payloads as zd
from tests.fixtures_util import fixture_payload

MARKER = source_marker(migration_id=1, entity=Entity.TICKETS, source_id="35436")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# A comments page shaped like GET /api/v2/tickets/{id}/comments in the Zendesk docs.
COMMENTS_PAGE: dict[str, Any] = {
    "comments": [
        {
            "id": 1274,
            "type": "Comment",
            "author_id": 20978392,
            "body": "My printer is on fire!",
            "html_body": '<div class="zd-comment"><p>My printer is on fire!</p>'
            '<img src="https://company.zendesk.com/attachments/token/abc/?name=smoke.png">'
            "</div>",
            "plain_body": "My printer is on fire!",
            "public": True,
            "attachments": [
                {
                    "id": 498483,
                    "file_name": "smoke.png",
                    "content_url": "https://company.zendesk.com/attachments/smoke.png",
                    "content_type": "image/png",
                    "size": 2532,
                    "inline": True,
                    "deleted": False,
                },
                {
                    "id": 498484,
                    "file_name": "invoice.pdf",
                    "content_url": "https://company.zendesk.com/attachments/invoice.pdf",
                    "content_type": "application/pdf",
                    "size": 120450,
                    "inline": False,
                },
            ],
            "audit_id": 432567,
            "via": {"channel": "web"},
            "created_at": "2009-07-20T22:55:29Z",
            "metadata": {"system": {}},
        },
        {
            "id": 1275,
            "type": "VoiceComment",
            "author_id": 235323,
            "body": "Call from: +1 555 0100",
            "html_body": "<p>Call from: +1 555 0100</p>",
            "public": False,
            "data": {
                "recording_url": "https://company.zendesk.com/recordings/1275.mp3",
                "call_duration": 42,
            },
            "attachments": [],
            "created_at": "2009-07-21T09:00:00Z",
        },
        {
            "id": 1276,
            "type": "Comment",
            "author_id": 235323,
            "body": "Please unplug it.",
            "html_body": "<p>Please unplug it.</p>",
            "public": True,
            "attachments": [],
            "created_at": "2009-07-20T23:10:00Z",
        },
    ]
}

TICKET_FIELDS: dict[str, Any] = {
    "ticket_fields": [
        {
            "id": 1,
            "type": "status",
            "title": "Status",
            "removable": False,
            "system_field_options": [
                {"name": "Open", "value": "open"},
                {"name": "En attente", "value": "hold"},
            ],
        },
        {
            "id": 2,
            "type": "priority",
            "title": "Priority",
            "removable": False,
            "system_field_options": [{"name": "Urgent!", "value": "urgent"}],
        },
        {
            "id": 27642,
            "type": "integer",
            "title": "Order number",
            "removable": True,
            "active": True,
            "required": True,
        },
        {
            "id": 27648,
            "type": "tagger",
            "title": "Warranty",
            "removable": True,
            "custom_field_options": [
                {"id": 1, "name": "Yes", "value": "yes"},
                {"id": 2, "name": "No", "value": "no"},
            ],
        },
        {
            "id": 27650,
            "type": "regexp",
            "title": "Serial",
            "removable": True,
            "regexp_for_validation": "^[A-Z]{2}\\d+$",
        },
        {"id": 27651, "type": "lookup", "title": "Linked order", "removable": True},
    ]
}

CUSTOM_STATUSES: dict[str, Any] = {
    "custom_statuses": [
        {
            "id": 35436,
            "agent_label": "Open",
            "end_user_label": "Open",
            "status_category": "open",
            "active": True,
            "default": True,
        },
        {
            "id": 35437,
            "agent_label": "Waiting for parts",
            "status_category": "hold",
            "active": True,
            "default": False,
        },
        {
            "id": 35438,
            "agent_label": "Solved",
            "status_category": "solved",
            "active": True,
            "default": True,
        },
    ]
}


# --------------------------------------------------------------------------- reading fixtures


def test_incremental_tickets_page() -> None:
    payload = fixture_payload("zendesk_tickets")
    tickets = zd.tickets_from_zendesk(payload)

    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket.source_id == "35436"
    assert ticket.subject == "Help, my printer is on fire!"
    assert ticket.description == "The fire is very colorful."
    assert (ticket.status, ticket.status_category) == ("open", StatusCategory.OPEN)
    assert (ticket.priority, ticket.type) == ("high", "incident")
    assert ticket.requester_id == "20978392"
    assert ticket.submitter_id == "76872"
    assert ticket.assignee_id == "235323"
    assert ticket.group_id == "98738"
    assert ticket.organization_id == "509974"
    assert ticket.tags == ["enterprise", "other_tag"]
    assert ticket.custom_fields == {"27642": "745", "27648": "yes"}
    assert ticket.cc_ids == ["35334", "234"]
    assert ticket.follower_ids == ["35334", "234"]
    assert ticket.channel == "web"
    assert ticket.created_at == at("2009-07-20T22:55:29Z")
    assert ticket.updated_at == at("2011-05-05T10:38:52Z")
    assert ticket.comments == []
    assert zd.next_cursor(payload) == ("MTU3NjYxMzUzOS4wfHw0Njd8", False)


def test_ticket_events_give_the_comments_of_each_ticket() -> None:
    events = fixture_payload("zendesk_ticket_comments")
    by_ticket = zd.comments_from_zendesk_ticket_events(events, agent_ids={"235323"})

    assert list(by_ticket) == ["35436"]
    [comment] = by_ticket["35436"]
    assert comment.source_id == "1"
    assert comment.author_id == "235323"
    assert comment.author_kind is AuthorKind.AGENT
    assert comment.public is True
    assert comment.text_body == "Test comment"
    assert comment.html_body == "<p>Test comment</p>"
    assert comment.created_at == at("2009-07-20T22:55:29Z")

    tickets = zd.tickets_from_zendesk(
        fixture_payload("zendesk_tickets"), comments_by_ticket=by_ticket
    )
    assert len(tickets[0].comments) == 1
    assert tickets[0].opening_comment == comment


def test_comment_events_without_their_own_date_take_the_event_time() -> None:
    events = fixture_payload("zendesk_ticket_comments")
    child = events["ticket_events"][0]["child_events"][0]
    del child["created_at"]
    events["ticket_events"][0]["child_events"].append({"id": 2, "event_type": "Change"})

    [comment] = zd.comments_from_zendesk_ticket_events(events)["35436"]
    assert comment.created_at == datetime.fromtimestamp(1723660897, tz=UTC)
    assert comment.author_kind is AuthorKind.UNKNOWN


def test_users_page_splits_agents_and_contacts() -> None:
    payload = fixture_payload("zendesk_users")
    agents, contacts = zd.users_from_zendesk(payload)

    assert agents == []
    [contact] = contacts
    assert contact.source_id == "6128164851599"
    assert contact.name == "AmberBlanchard"
    assert contact.email == "integration-test+amberblanchard@airbyte.io"
    assert contact.other_emails == []  # the only identity is the primary address
    assert contact.tags == ["tag", "test"]
    assert contact.organization_id is None
    assert contact.active and not contact.deleted
    assert contact.custom_fields["test_display_name_checkbox_field"] is False
    assert contact.created_at == at("2022-12-29T08:56:24Z")
    assert contact.updated_at == at("2023-02-01T07:41:46Z")


def test_agents_deleted_users_and_secondary_identities() -> None:
    payload = fixture_payload("zendesk_users")
    user = payload["users"][0]
    agent_payload = {**user, "role": "admin", "default_group_id": 3432, "suspended": True}
    agent = zd.user_from_zendesk(agent_payload)
    assert isinstance(agent, Agent)
    assert agent.role == "admin"
    assert agent.group_ids == ["3432"]
    assert not agent.active and not agent.deleted

    deleted = zd.user_from_zendesk({**user, "active": False})
    assert isinstance(deleted, Contact) and deleted.deleted

    second = {**payload["identities"][0], "id": 1, "value": "Amber@Home.test", "primary": False}
    contact = zd.user_from_zendesk(user, identities=[*payload["identities"], second])
    assert isinstance(contact, Contact)
    assert contact.other_emails == ["amber@home.test"]


def test_organizations_page() -> None:
    [organization] = zd.organizations_from_zendesk(fixture_payload("zendesk_organizations"))

    assert organization.source_id == "35436"
    assert organization.name == "Test Organization"
    assert organization.domains == ["example.com"]
    assert organization.description == "Organization details"
    assert organization.notes == "Organization notes"
    assert organization.tags == ["enterprise"]
    assert organization.custom_fields == {"custom_field": "value"}
    assert organization.updated_at == at("2011-05-05T10:38:52Z")


def test_groups_page() -> None:
    [group] = zd.groups_from_zendesk(fixture_payload("zendesk_groups"))

    assert (group.source_id, group.name, group.description) == (
        "3432",
        "Remote Employees",
        "Employed",
    )
    assert not group.deleted
    assert group.updated_at == at("2024-11-20T00:00:00Z")


def test_ticket_fields_fixture_has_only_system_fields() -> None:
    schema = zd.field_schema_from_zendesk(ticket_fields=fixture_payload("zendesk_ticket_fields"))

    # "Subject" is a system field (removable: false), not a custom field.
    assert schema.custom_fields == []
    assert [option.key for option in schema.statuses] == [
        "new",
        "open",
        "pending",
        "hold",
        "solved",
        "closed",
    ]
    assert [(option.key, option.rank) for option in schema.priorities] == [
        ("low", 1),
        ("normal", 2),
        ("high", 3),
        ("urgent", 4),
    ]
    assert {option.key for option in schema.types} == {"question", "incident", "problem", "task"}
    assert [option.key for option in schema.article_statuses] == ["draft", "published"]


def test_help_center_categories_sections_and_articles() -> None:
    [category] = zd.categories_from_zendesk(fixture_payload("zendesk_categories"))
    assert (category.source_id, category.name, category.locale) == ("12345", "General", "en-us")
    assert category.description == "General category"

    sections_payload = fixture_payload("zendesk_sections")
    [section] = zd.sections_from_zendesk(sections_payload)
    assert (section.source_id, section.name, section.category_id) == (
        "12345",
        "Getting Started",
        "67890",
    )
    assert section.parent_section_id is None
    assert zd.next_cursor(sections_payload) == (None, False)

    articles_payload = fixture_payload("zendesk_articles")
    [article] = zd.articles_from_zendesk(articles_payload)
    assert article.source_id == "7253351877519"
    assert article.title == "Sample article: Stellar Skyonomy refund policies"
    assert article.status == "draft"
    assert article.author_id == "360786799676"
    assert article.section_id == "7253394933775"
    assert article.locale == "en-us"
    assert article.tags == []
    assert article.html_body.startswith("<p>All <strong>Stellar Skyonomy</strong> merchandise")
    assert article.created_at == at("2023-06-22T00:32:20Z")
    assert zd.next_cursor(articles_payload) == (None, False)


# --------------------------------------------------------------------------- documented shapes


def test_comments_with_attachments_inline_images_and_call_recordings() -> None:
    comments = zd.comments_from_zendesk(COMMENTS_PAGE, agent_ids=["235323"])

    assert [comment.source_id for comment in comments] == ["1274", "1276", "1275"]
    opening, answer, call = comments
    assert opening.author_kind is AuthorKind.CONTACT
    assert opening.text_body == "My printer is on fire!"
    assert [image.file_name for image in opening.inline_images] == ["smoke.png"]
    [invoice] = opening.file_attachments
    assert (invoice.source_id, invoice.size, invoice.content_type) == (
        "498484",
        120450,
        "application/pdf",
    )
    assert answer.public and answer.author_kind is AuthorKind.AGENT
    assert call.kind is CommentKind.CALL_RECORDING
    assert not call.public
    [recording] = call.attachments
    assert recording.url == "https://company.zendesk.com/recordings/1275.mp3"
    assert recording.content_type == "audio/mpeg"


def test_custom_fields_and_custom_statuses() -> None:
    schema = zd.field_schema_from_zendesk(
        ticket_fields=TICKET_FIELDS, custom_statuses=CUSTOM_STATUSES
    )

    fields = {field.key: field for field in schema.custom_fields}
    assert set(fields) == {"27642", "27648", "27650"}  # the lookup field cannot move
    assert fields["27642"].type is CustomFieldType.INTEGER and fields["27642"].required
    assert fields["27648"].type is CustomFieldType.DROPDOWN
    assert [(o.key, o.name) for o in fields["27648"].options] == [("yes", "Yes"), ("no", "No")]
    assert fields["27650"].pattern == "^[A-Z]{2}\\d+$"
    assert [(s.key, s.name, s.category) for s in schema.statuses] == [
        ("35436", "Open", StatusCategory.OPEN),
        ("35437", "Waiting for parts", StatusCategory.HOLD),
        ("35438", "Solved", StatusCategory.SOLVED),
        ("closed", "Closed", StatusCategory.CLOSED),
    ]
    assert schema.priorities[3].name == "Urgent!"

    system = zd.field_schema_from_zendesk(ticket_fields=TICKET_FIELDS)
    assert system.status("hold").name == "En attente"

    ticket_payload = {**fixture_payload("zendesk_tickets")["tickets"][0], "custom_status_id": 35437}
    ticket_payload["status"] = "hold"
    ticket = zd.ticket_from_zendesk(ticket_payload, use_custom_statuses=True)
    assert (ticket.status, ticket.status_category) == ("35437", StatusCategory.HOLD)
    assert zd.ticket_from_zendesk(ticket_payload).status == "hold"


def test_article_translations_and_attachments() -> None:
    article_payload = fixture_payload("zendesk_articles")["articles"][0]
    translations = {
        "translations": [
            {"locale": "en-us", "title": article_payload["title"], "body": "<p>x</p>"},
            {"locale": "fr", "title": "Remboursements", "body": "<p>Tout</p>", "draft": False},
        ]
    }
    attachments = {
        "article_attachments": [
            {
                "id": 1428,
                "file_name": "policy.pdf",
                "content_url": "https://company.zendesk.com/hc/article_attachments/1428/policy.pdf",
                "content_type": "application/pdf",
                "size": 58298,
                "inline": False,
            }
        ]
    }
    article = zd.article_from_zendesk(
        article_payload, category_id="12345", translations=translations, attachments=attachments
    )
    assert article.category_id == "12345"
    assert article.translations == [
        ArticleTranslation(
            locale="fr", title="Remboursements", html_body="<p>Tout</p>", status="published"
        )
    ]
    assert [(a.file_name, a.size) for a in article.attachments] == [("policy.pdf", 58298)]


def test_deleted_tickets_are_left_out_of_exports() -> None:
    payload = fixture_payload("zendesk_tickets")
    payload["tickets"].append({"id": 99, "status": "deleted"})
    assert [ticket.source_id for ticket in zd.tickets_from_zendesk(payload)] == ["35436"]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"meta": {"has_more": True, "after_cursor": "abc"}, "links": {}}, ("abc", True)),
        (
            {"next_page": "https://x.zendesk.com/api/v2/groups?page=2"},
            ("https://x.zendesk.com/api/v2/groups?page=2", True),
        ),
        ({"after_cursor": "c2", "end_of_stream": False}, ("c2", True)),
    ],
)
def test_next_cursor_of_each_pagination_style(
    payload: dict[str, Any], expected: tuple[Any, bool]
) -> None:
    assert zd.next_cursor(payload) == expected


# --------------------------------------------------------------------------- malformed payloads


def test_ticket_without_id_names_the_field() -> None:
    payload = fixture_payload("zendesk_tickets")
    del payload["tickets"][0]["id"]
    with pytest.raises(MalformedPayloadError) as caught:
        zd.tickets_from_zendesk(payload)
    assert caught.value.field == "tickets[0].id"
    assert "tickets[0].id" in caught.value.user_message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("fixture", "convert", "break_it", "field"),
    [
        (
            "zendesk_tickets",
            zd.tickets_from_zendesk,
            lambda p: p["tickets"][0].update(status="burning"),
            "tickets[0].status",
        ),
        (
            "zendesk_tickets",
            zd.tickets_from_zendesk,
            lambda p: p["tickets"][0].update(created_at="yesterday"),
            "tickets[0].created_at",
        ),
        (
            "zendesk_users",
            zd.users_from_zendesk,
            lambda p: p["users"][0].update(role="owner"),
            "users[0].role",
        ),
        (
            "zendesk_users",
            zd.users_from_zendesk,
            lambda p: p["identities"][0].pop("value"),
            "identities[0].value",
        ),
        (
            "zendesk_groups",
            zd.groups_from_zendesk,
            lambda p: p["groups"][0].pop("name"),
            "groups[0].name",
        ),
        (
            "zendesk_organizations",
            zd.organizations_from_zendesk,
            lambda p: p["organizations"][0].update(tags="vip"),
            "organizations[0].tags",
        ),
        (
            "zendesk_articles",
            zd.articles_from_zendesk,
            lambda p: p["articles"][0].pop("section_id"),
            "articles[0].section_id",
        ),
        (
            "zendesk_sections",
            zd.sections_from_zendesk,
            lambda p: p["sections"][0].update(category_id=None),
            "sections[0].category_id",
        ),
        (
            "zendesk_ticket_comments",
            zd.comments_from_zendesk_ticket_events,
            lambda p: p["ticket_events"][0]["child_events"][0].update(public="maybe"),
            "ticket_events[0].child_events[0].public",
        ),
        ("zendesk_users", zd.users_from_zendesk, lambda p: p.pop("users"), "users"),
    ],
)
def test_malformed_fixtures_fail_on_the_broken_field(
    fixture: str, convert: Any, break_it: Any, field: str
) -> None:
    payload = fixture_payload(fixture)
    break_it(payload)
    with pytest.raises(MalformedPayloadError) as caught:
        convert(payload)
    assert caught.value.field == field


def test_malformed_comment_attachment_and_field_schema() -> None:
    broken = {"comments": [{**COMMENTS_PAGE["comments"][0], "attachments": [{"id": 1}]}]}
    with pytest.raises(MalformedPayloadError) as caught:
        zd.comments_from_zendesk(broken)
    assert caught.value.field == "comments[0].attachments[0].file_name"
    with pytest.raises(MalformedPayloadError, match="ticket_fields"):
        zd.field_schema_from_zendesk(ticket_fields={"fields": []})
    with pytest.raises(MalformedPayloadError, match=r"custom_statuses\[0\].status_category"):
        zd.field_schema_from_zendesk(
            ticket_fields=TICKET_FIELDS,
            custom_statuses={
                "custom_statuses": [{"id": 1, "agent_label": "X", "status_category": "later"}]
            },
        )
    with pytest.raises(MalformedPayloadError, match=r"meta\.after_cursor"):
        zd.next_cursor({"meta": {"has_more": True, "after_cursor": None}})


# --------------------------------------------------------------------------- writing


def full_ticket() -> Ticket:
    comments = zd.comments_from_zendesk(COMMENTS_PAGE, agent_ids=["235323"])
    ticket = zd.ticket_from_zendesk(
        fixture_payload("zendesk_tickets")["tickets"][0], comments=comments
    )
    return ticket.model_copy(update={"cc_emails": ["boss@company.test"]})


def test_ticket_import_payload_keeps_dates_authors_and_marker() -> None:
    ticket = full_ticket()
    body = zd.ticket_to_zendesk_import(
        ticket, marker=MARKER, upload_tokens={"1274": ["tok-smoke", "tok-invoice"]}
    )["ticket"]

    assert body["external_id"] == MARKER
    assert body["tags"] == ["enterprise", "other_tag", MARKER]
    assert body["created_at"] == "2009-07-20T22:55:29Z"
    assert body["updated_at"] == "2011-05-05T10:38:52Z"
    assert "solved_at" not in body
    assert body["status"] == "open"
    assert body["requester_id"] == 20978392
    assert body["custom_fields"] == [{"id": 27642, "value": "745"}, {"id": 27648, "value": "yes"}]
    assert body["collaborator_ids"] == [35334, 234]
    assert body["collaborators"] == ["boss@company.test"]
    assert "description" not in body
    first, second, third = body["comments"]
    assert first == {
        "author_id": 20978392,
        "created_at": "2009-07-20T22:55:29Z",
        "public": True,
        "html_body": COMMENTS_PAGE["comments"][0]["html_body"],
        "uploads": ["tok-smoke", "tok-invoice"],
    }
    assert (second["author_id"], second["public"], "uploads" in second) == (235323, True, False)
    assert third["public"] is False


def test_import_status_from_custom_status_or_category() -> None:
    ticket = full_ticket()
    custom = ticket.model_copy(update={"status": "35437", "status_category": StatusCategory.HOLD})
    assert zd.ticket_to_zendesk_import(custom, marker=MARKER)["ticket"]["custom_status_id"] == 35437
    unmapped = ticket.model_copy(
        update={
            "status": "Resolved",
            "status_category": StatusCategory.SOLVED,
            "solved_at": at("2011-05-05T10:00:00Z"),
        }
    )
    body = zd.ticket_to_zendesk_import(unmapped, marker=MARKER)["ticket"]
    assert body["status"] == "solved"
    assert body["solved_at"] == "2011-05-05T10:00:00Z"


def test_ticket_without_comments_gets_a_description() -> None:
    ticket = zd.ticket_from_zendesk(fixture_payload("zendesk_tickets")["tickets"][0])
    body = zd.ticket_to_zendesk_import(ticket, marker=MARKER)["ticket"]
    assert body["description"] == "The fire is very colorful."
    assert "comments" not in body


def test_write_refuses_ids_that_are_not_zendesk_ids() -> None:
    ticket = full_ticket().model_copy(update={"requester_id": "rachel@freshdesk.com"})
    with pytest.raises(InvalidRecordError, match="requester_id"):
        zd.ticket_to_zendesk_import(ticket, marker=MARKER)
    article = zd.articles_from_zendesk(fixture_payload("zendesk_articles"))[0]
    with pytest.raises(InvalidRecordError, match="status"):
        zd.article_to_zendesk(
            article.model_copy(update={"status": "2"}), marker=MARKER, permission_group_id=1
        )


def as_read_ticket(
    body: dict[str, Any], *, ticket_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What Zendesk answers for an imported ticket: the ticket and its comments page."""
    ticket = dict(body["ticket"])
    comments = ticket.pop("comments", [])
    ticket.pop("collaborators", None)
    ticket.update(id=ticket_id, via={"channel": "api"})
    page = {
        "comments": [
            {
                "id": 9000 + index,
                "type": "Comment",
                "author_id": comment["author_id"],
                "html_body": comment["html_body"],
                "public": comment["public"],
                "created_at": comment["created_at"],
                "attachments": [],
            }
            for index, comment in enumerate(comments)
        ]
    }
    return ticket, page


def test_ticket_round_trip_keeps_what_zendesk_holds() -> None:
    original = full_ticket()
    body = zd.ticket_to_zendesk_import(original, marker=MARKER)
    read_ticket, read_comments = as_read_ticket(body, ticket_id=1)

    comments = zd.comments_from_zendesk(read_comments, agent_ids=["235323"])
    again = zd.ticket_from_zendesk(read_ticket, comments=comments)

    kept = {
        "subject",
        "status",
        "status_category",
        "priority",
        "type",
        "requester_id",
        "submitter_id",
        "assignee_id",
        "group_id",
        "organization_id",
        "custom_fields",
        "cc_ids",
        "follower_ids",
        "created_at",
        "updated_at",
        "due_at",
    }
    assert again.model_dump(include=kept) == original.model_dump(include=kept)
    assert again.tags == [*original.tags, MARKER]
    assert [
        (c.author_id, c.author_kind, c.public, c.html_body, c.created_at) for c in again.comments
    ] == [
        (c.author_id, c.author_kind, c.public, c.html_body, c.created_at) for c in original.comments
    ]


def test_user_organization_and_group_round_trips() -> None:
    payload = fixture_payload("zendesk_users")
    contact = zd.user_from_zendesk(payload["users"][0])
    assert isinstance(contact, Contact)
    contact = contact.model_copy(
        update={"other_emails": ["amber@home.test"], "organization_id": "35436"}
    )
    body = zd.user_to_zendesk(contact, marker="m-1")["user"]
    assert body["role"] == "end-user" and body["external_id"] == "m-1" and body["verified"]
    assert "email" not in body
    assert [identity["value"] for identity in body["identities"]] == [
        "integration-test+amberblanchard@airbyte.io",
        "amber@home.test",
    ]
    read = {
        **body,
        "id": 1,
        "email": body["identities"][0]["value"],
        "updated_at": "2024-01-01T00:00:00Z",
    }
    identities = [{"user_id": 1, "type": "email", "value": "amber@home.test"}]
    again = zd.user_from_zendesk(read, identities=identities)
    assert isinstance(again, Contact)
    assert again.model_dump(
        include={"name", "email", "other_emails", "organization_id", "tags", "custom_fields"}
    ) == contact.model_dump(
        include={"name", "email", "other_emails", "organization_id", "tags", "custom_fields"}
    )

    agent = Agent(
        source_id="5",
        updated_at=at("2024-01-01T00:00:00Z"),
        name="Ann",
        email="ann@x.test",
        role="agent",
        group_ids=["3432"],
    )
    agent_body = zd.user_to_zendesk(agent, marker="m-2")["user"]
    assert agent_body == {
        "name": "Ann",
        "email": "ann@x.test",
        "external_id": "m-2",
        "verified": True,
        "role": "agent",
        "default_group_id": 3432,
    }
    agent_again = zd.user_from_zendesk(
        {**agent_body, "id": 5, "updated_at": "2024-01-01T00:00:00Z"}
    )
    assert agent_again == agent

    [organization] = zd.organizations_from_zendesk(fixture_payload("zendesk_organizations"))
    org_body = zd.organization_to_zendesk(organization, marker="m-3")["organization"]
    assert org_body["external_id"] == "m-3"
    org_again = zd.organization_from_zendesk(
        {
            **org_body,
            "id": 35436,
            "created_at": "2009-07-20T22:55:29Z",
            "updated_at": "2011-05-05T10:38:52Z",
        }
    )
    assert org_again == organization

    [group] = zd.groups_from_zendesk(fixture_payload("zendesk_groups"))
    group_body = zd.group_to_zendesk(group)
    assert group_body == {"group": {"name": "Remote Employees", "description": "Employed"}}
    group_again = zd.group_from_zendesk(
        {
            **group_body["group"],
            "id": 3432,
            "created_at": "2024-11-20T00:00:00Z",
            "updated_at": "2024-11-20T00:00:00Z",
        }
    )
    assert group_again == group


def test_help_center_round_trips() -> None:
    [category] = zd.categories_from_zendesk(fixture_payload("zendesk_categories"))
    category_body = zd.category_to_zendesk(category, locale="fr")["category"]
    assert category_body == {
        "name": "General",
        "description": "General category",
        "locale": "en-us",
        "position": 0,
    }
    times = {"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}
    assert zd.category_from_zendesk({**category_body, "id": 12345, **times}) == category

    [section] = zd.sections_from_zendesk(fixture_payload("zendesk_sections"))
    section_body = zd.section_to_zendesk(section, locale="en-us")["section"]
    assert "parent_section_id" not in section_body
    again = zd.section_from_zendesk({**section_body, "id": 12345, "category_id": 67890, **times})
    assert again == section

    [article] = zd.articles_from_zendesk(fixture_payload("zendesk_articles"))
    article = article.model_copy(update={"tags": ["refunds"]})
    body = zd.article_to_zendesk(article, marker=MARKER, permission_group_id=7253379449487)
    assert body["notify_subscribers"] is False
    article_body = body["article"]
    assert article_body["draft"] is True
    assert article_body["user_segment_id"] is None
    assert article_body["label_names"] == ["refunds", MARKER]
    read = {
        **article_body,
        "id": 7253351877519,
        "section_id": 7253394933775,
        "created_at": "2023-06-22T00:32:20Z",
        "updated_at": "2023-06-22T00:32:20Z",
    }
    again = zd.article_from_zendesk(read)
    assert again.model_dump(exclude={"tags"}) == article.model_dump(exclude={"tags"})
    assert again.tags == ["refunds", MARKER]

    translation = ArticleTranslation(locale="fr", title="Remboursements", html_body="<p>Tout</p>")
    assert zd.article_translation_to_zendesk(translation, article_status="published") == {
        "translation": {
            "locale": "fr",
            "title": "Remboursements",
            "body": "<p>Tout</p>",
            "draft": False,
        }
    }


def test_ticket_update_for_delta_runs_leaves_dates_and_comments_out() -> None:
    body = zd.ticket_update_to_zendesk(full_ticket())["ticket"]
    assert set(body) <= {
        "subject",
        "status",
        "custom_status_id",
        "priority",
        "type",
        "assignee_id",
        "group_id",
        "organization_id",
        "custom_fields",
        "due_at",
        "tags",
    }
    assert body["tags"] == ["enterprise", "other_tag"]


def test_records_of_every_kind_are_canonical() -> None:
    # One converter per canonical record type, all exercised above.
    produced = {
        type(zd.tickets_from_zendesk(fixture_payload("zendesk_tickets"))[0]),
        type(zd.users_from_zendesk(fixture_payload("zendesk_users"))[1][0]),
        type(zd.organizations_from_zendesk(fixture_payload("zendesk_organizations"))[0]),
        type(zd.groups_from_zendesk(fixture_payload("zendesk_groups"))[0]),
        type(zd.categories_from_zendesk(fixture_payload("zendesk_categories"))[0]),
        type(zd.sections_from_zendesk(fixture_payload("zendesk_sections"))[0]),
        type(zd.articles_from_zendesk(fixture_payload("zendesk_articles"))[0]),
    }
    assert produced == {
        Ticket,
        Contact,
        Organization,
        Group,
        ArticleCategory,
        ArticleSection,
        Article,
    }


def test_requester_known_only_by_email() -> None:
    ticket = full_ticket().model_copy(
        update={"requester_id": None, "requester_email": "rachel@freshdesk.com"}
    )
    body = zd.ticket_to_zendesk_import(ticket, marker=MARKER)["ticket"]
    assert "requester_id" not in body
    assert body["requester"] == {"name": "rachel@freshdesk.com", "email": "rachel@freshdesk.com"}
