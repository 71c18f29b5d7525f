from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import source_marker
from connectors.edesk import payloads as ed
from connectors.errors import InvalidRecordError
from connectors.schema import (
    Attachment,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    StatusCategory,
    Ticket,
)
from connectors.wire import MalformedPayloadError

MARKER = source_marker(migration_id=1, entity=Entity.TICKETS, source_id="1")
READ_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
CREATED = datetime(2023, 6, 1, 8, 15, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# A ticket and its messages as the reference's examples show them.
TICKET: dict[str, Any] = {
    "id": 123,
    "subject": "Where is my parcel?",
    "type": "ShippingQuery",
    "channel_id": 31001,
    "status": "Pending",
    "sales_order_id": None,
    "created_at": "2021-05-18 09:00:00",
    "last_updated_at": "2021-05-19 11:05:08",
    "owner_user_id": 7001,
    "custom_fields": [{"id": 1, "name": "Order number", "value": "204-1234567"}],
    "tags_ids": [501, 502],
    "contact_id": 410000001,
    "messages_ids": [11, 12, 13, 14],
    "uri": "https://app.edesk.com/tickets/123",
    "replies": 1,
}
USER = {
    "id": 7001,
    "name": "Alice Agent",
    "email": "Alice@acme.example",
    "active": True,
    "username": "alice",
    "role": "admin",
}


def message(number: int, **fields: Any) -> ed.EdeskMessage:
    base = {
        "id": number,
        "external_id": None,
        "subject": "Where is my parcel?",
        "created_at": "2021-05-18 09:00:00",
        "from_consumer_id": None,
        "from_user": None,
        "type": "Message",
        "attachments": [],
        "direction": "Incoming",
        "body": "",
        "errors": [],
        "ticket_id": 123,
    }
    return ed.message_from_edesk({**base, **fields})


MESSAGES = [
    message(
        11,
        from_consumer_id=410000001,
        body="<p>It never came.</p>",
        attachments=[
            {"id": 5, "name": "cat.jpg", "link": "/crm/view/attachment/5", "mime": "image/jpeg"}
        ],
    ),
    message(12, type="Status", direction="Other", created_at="2021-05-18 09:01:00", body="Open"),
    message(
        13,
        direction="Outgoing",
        from_user=USER,
        created_at="2021-05-18 10:00:00",
        body="We asked the carrier.",
    ),
    message(
        14,
        type="Note",
        direction="Other",
        from_user=USER,
        created_at="2021-05-19 11:05:08",
        body="<p>Carrier says Tuesday.</p>",
    ),
]


# --- reading -----------------------------------------------------------------------------


def test_a_ticket_reads_with_its_conversation_in_order_without_events():
    ticket = ed.ticket_from_edesk(TICKET, messages=MESSAGES, tag_names={501: "VIP"})
    assert ticket.source_id == "123"
    assert ticket.created_at == at("2021-05-18 09:00:00")
    assert ticket.updated_at == at("2021-05-19 11:05:08")
    assert (ticket.status, ticket.status_category) == ("Pending", StatusCategory.PENDING)
    assert (ticket.requester_id, ticket.assignee_id) == ("410000001", "7001")
    assert ticket.tags == ["VIP"]
    assert ticket.custom_fields == {"Order number": "204-1234567"}
    assert [comment.source_id for comment in ticket.comments] == ["11", "13", "14"]
    opening, reply, note = ticket.comments
    assert (opening.author_kind, opening.author_id, opening.public) == (
        AuthorKind.CONTACT,
        "410000001",
        True,
    )
    assert opening.attachments == [
        Attachment(
            source_id="5",
            file_name="cat.jpg",
            content_type="image/jpeg",
            url="/crm/view/attachment/5",
        )
    ]
    assert (reply.author_kind, reply.author_id, reply.author_email) == (
        AuthorKind.AGENT,
        "7001",
        "alice@acme.example",
    )
    assert reply.html_body == "<p>We asked the carrier.</p>"  # plain text bodies become HTML
    assert note.public is False
    assert ticket.description == "It never came."


def test_dates_read_as_text_iso_or_epoch_and_a_ticket_without_messages_uses_its_creation():
    epoch = {**TICKET, "created_at": 1621328400, "last_updated_at": None, "messages_ids": []}
    ticket = ed.ticket_from_edesk(epoch)
    assert ticket.created_at == ticket.updated_at == datetime(2021, 5, 18, 9, tzinfo=UTC)
    iso = ed.ticket_from_edesk({**TICKET, "created_at": "2021-05-18T09:00:00+02:00"})
    assert iso.created_at == datetime(2021, 5, 18, 7, tzinfo=UTC)


def test_a_broken_ticket_names_the_field():
    with pytest.raises(MalformedPayloadError) as broken:
        ed.ticket_from_edesk({**TICKET, "created_at": "yesterday"})
    assert broken.value.field == "ticket.created_at"


def test_people_and_channels():
    agent = ed.agent_from_edesk(USER, read_at=READ_AT)
    assert (agent.source_id, agent.email, agent.role, agent.updated_at) == (
        "7001",
        "alice@acme.example",
        "admin",
        READ_AT,
    )
    contact = ed.contact_from_edesk(
        {"id": 9, "channel_id": 1, "full_name": None, "email": "X@Y.example", "phone_number": 85},
        read_at=READ_AT,
    )
    assert (contact.name, contact.email, contact.phone) == ("x@y.example", "x@y.example", "85")
    scope = ed.scope_from_edesk({"id": 31001, "type": "Amazon", "name": "MyStore"})
    assert (scope.id, scope.name) == ("31001", "MyStore (Amazon)")


def test_list_pages_carry_their_paginator():
    items, paginator = ed.page_items(
        {
            "data": [{"id": 1}],
            "paginator": {"currentPage": 2, "itemsPerPage": 10, "totalItemsCount": 21},
        },
        what="tickets",
    )
    assert items == [{"id": 1}]
    assert paginator.has_next
    _, last = ed.page_items(
        {"data": [], "paginator": {"currentPage": 3, "itemsPerPage": 10, "totalItemsCount": 21}},
        what="tickets",
    )
    assert not last.has_next
    with pytest.raises(MalformedPayloadError):
        ed.page_items({"items": []}, what="tickets")
    with pytest.raises(MalformedPayloadError):
        ed.data_of([1, 2], what="ticket")


def test_fields_are_statuses_and_types_without_priorities_or_custom_fields():
    fields = ed.field_schema_from_edesk()
    assert [(s.key, s.category, s.default) for s in fields.statuses] == [
        ("Open", StatusCategory.OPEN, True),
        ("Pending", StatusCategory.PENDING, True),
        ("Closed", StatusCategory.CLOSED, True),
        ("Archived", StatusCategory.CLOSED, False),
    ]
    assert ("ProductQuery", "Product query") in [(t.key, t.name) for t in fields.types]
    assert fields.priorities == [] and fields.custom_fields == []


# --- writing -----------------------------------------------------------------------------


def a_ticket(**fields: Any) -> Ticket:
    opening = Comment(
        source_id="c1",
        author_id="10",
        author_kind=AuthorKind.CONTACT,
        author_email="ann@example.com",
        public=True,
        html_body="<p>Help</p>",
        created_at=CREATED,
    )
    values: dict[str, Any] = {
        "source_id": "77",
        "subject": "Help",
        "status_category": StatusCategory.OPEN,
        "requester_id": "10",
        "requester_email": "ann@example.com",
        "assignee_id": "7001",
        "created_at": CREATED,
        "updated_at": CREATED,
        "comments": [opening],
    }
    return Ticket(**{**values, **fields})


def test_a_contact_deleted_on_the_source_arrives_as_its_name_without_email():
    deleted = Contact(
        source_id="5", updated_at=CREATED, name="Chloé Martin", email="c@x.example", deleted=True
    )
    assert ed.written_email(deleted) == "chloe-martin+without-email.com"
    no_address = Contact(source_id="6", updated_at=CREATED, name="Bob Stone")
    assert ed.written_email(no_address) == "bob-stone+without-email.com"
    nameless = Contact(source_id="7", updated_at=CREATED, name="")
    assert ed.written_email(nameless) == "contact-7+without-email.com"
    kept = Contact(source_id="8", updated_at=CREATED, name="Ann", email="Ann@Example.com")
    assert ed.written_email(kept) == "ann@example.com"
    assert ed.contact_to_edesk(deleted, channel_id=31001) == {
        "channel_id": 31001,
        "full_name": "Chloé Martin",
        "email": "chloe-martin+without-email.com",
    }


@pytest.mark.parametrize(
    ("status", "category", "expected"),
    [
        (None, StatusCategory.NEW, "Open"),
        (None, StatusCategory.HOLD, "Pending"),
        (None, StatusCategory.SOLVED, "Closed"),
        ("Archived", StatusCategory.CLOSED, "Archived"),
        ("on-hold", StatusCategory.HOLD, "Pending"),
        (None, None, "Open"),
    ],
)
def test_statuses_fall_back_by_category(status, category, expected):
    assert ed.status_to_edesk(a_ticket(status=status, status_category=category)) == expected


def test_a_ticket_goes_to_its_first_requester_only():
    ticket = a_ticket(cc_ids=["11"], cc_emails=["bea@example.com"], type="Query")
    body = ed.ticket_to_edesk(ticket, channel_id=31001, messages=[{"type": "Message"}])
    assert body == {
        "channel_id": 31001,
        "contact_id": 10,
        "subject": "Help",
        "type": "Query",
        "status": "Open",
        "owner_user_id": 7001,
        "created_at": "2023-06-01 08:15:00",
        "messages": [{"type": "Message"}],
    }
    assert "11" not in str(body) and "bea@" not in str(body)
    with pytest.raises(InvalidRecordError):
        ed.ticket_to_edesk(a_ticket(requester_id=None), channel_id=1, messages=[])
    with pytest.raises(InvalidRecordError):
        ed.ticket_to_edesk(a_ticket(assignee_id="agent-x"), channel_id=1, messages=[])


def test_long_subjects_are_cut_and_unknown_types_left_to_edesk():
    body = ed.ticket_update_to_edesk(a_ticket(subject="x" * 300, type="Problem", assignee_id=None))
    assert len(body["subject"]) == ed.MAX_SUBJECT_CHARS and body["subject"].endswith("…")
    assert body == {"subject": body["subject"], "status": "Open"}


def test_comments_become_messages_and_notes_with_dates_and_authors():
    ticket = a_ticket()
    agent_reply = Comment(
        source_id="c2",
        author_id="7002",
        author_kind=AuthorKind.AGENT,
        public=True,
        text_body="On its way",
        created_at=CREATED,
    )
    item = ed.comment_to_edesk(
        agent_reply,
        ticket=ticket,
        external_id="k",
        attachments=[{"name": "a.pdf", "url": "https://files/a"}],
    )
    assert item == {
        "type": "Message",
        "direction": "Outgoing",
        "body": "<p>On its way</p>",
        "created_at": "2023-06-01 08:15:00",
        "from_user_id": 7002,
        "external_id": "k",
        "attachments": [{"name": "a.pdf", "url": "https://files/a"}],
    }
    note = ed.comment_to_edesk(
        agent_reply.model_copy(update={"public": False}), ticket=ticket, external_id="n"
    )
    assert (note["type"], note["direction"], note["from_user_id"]) == ("Note", "Other", 7002)
    own = ed.comment_to_edesk(ticket.comments[0], ticket=ticket, external_id=MARKER)
    assert (own["type"], own["direction"], own["body"]) == ("Message", "Incoming", "<p>Help</p>")
    assert "from_user_id" not in own


def test_a_second_requesters_message_is_the_first_requesters_with_its_author_named():
    ticket = a_ticket(cc_ids=["11"], cc_emails=["bea@example.com"])
    by_second = Comment(
        source_id="c3",
        author_id="11",
        author_kind=AuthorKind.CONTACT,
        author_name="Bea <Boss>",
        author_email="bea@example.com",
        public=True,
        html_body="<p>Me too</p>",
        created_at=CREATED,
    )
    item = ed.comment_to_edesk(by_second, ticket=ticket, external_id="x")
    assert item["direction"] == "Incoming"
    assert item["body"] == "<p>From Bea &lt;Boss&gt; &lt;bea@example.com&gt;:</p><p>Me too</p>"
    assert "from_user_id" not in item and "to" not in item


def test_custom_fields_go_into_a_private_note_titled_in_plain_words():
    ticket = a_ticket(
        custom_fields={"Order number": "204-1", "Gift": True, "Sizes": ["S", "M"], "Empty": None}
    )
    note = ed.custom_fields_note_to_edesk(ticket, external_id="m.custom-fields")
    assert note == {
        "type": "Note",
        "direction": "Other",
        "body": (
            "<p><strong>Custom fields of the original ticket</strong></p><ul>"
            "<li><strong>Order number</strong>: 204-1</li>"
            "<li><strong>Gift</strong>: Yes</li>"
            "<li><strong>Sizes</strong>: S, M</li></ul>"
        ),
        "created_at": "2023-06-01 08:15:00",
        "external_id": "m.custom-fields",
    }
    assert ed.custom_fields_note_to_edesk(a_ticket(), external_id="x") is None
    assert (
        ed.custom_fields_note_to_edesk(a_ticket(custom_fields={"a": ""}), external_id="x") is None
    )


def test_message_keys_carry_the_marker_and_a_short_comment_id():
    assert ed.message_key(MARKER, "c-12") == f"{MARKER}.c-12"
    long_key = ed.message_key(MARKER, "x" * 80)
    assert long_key.startswith(f"{MARKER}.h") and len(long_key) == len(MARKER) + 16
    assert ed.custom_fields_key(MARKER) == f"{MARKER}.custom-fields"
