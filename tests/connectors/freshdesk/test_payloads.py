from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import source_marker
from connectors.errors import InvalidRecordError
from connectors.freshdesk import payloads as fd
from connectors.schema import (
    Agent,
    ArticleTranslation,
    AuthorKind,
    Comment,
    Contact,
    CustomFieldType,
    Entity,
    StatusCategory,
    Ticket,
)
from connectors.wire import MalformedPayloadError
from tests.fixtures_util import fixture_payload

MARKER = source_marker(migration_id=1, entity=Entity.TICKETS, source_id="1")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# GET /api/v2/ticket_fields as the Freshdesk docs show it (trimmed).
TICKET_FIELDS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": "requester",
        "label": "Search a requester",
        "type": "default_requester",
        "default": True,
    },
    {
        "id": 2,
        "name": "status",
        "label": "Status",
        "type": "default_status",
        "default": True,
        "choices": {
            "2": ["Open", "Being Processed"],
            "3": ["Pending", "Awaiting your Reply"],
            "4": ["Resolved", "This ticket has been Resolved"],
            "5": ["Closed", "This ticket has been Closed"],
            "6": ["Waiting on Customer", "Awaiting your Reply"],
        },
    },
    {
        "id": 3,
        "name": "priority",
        "label": "Priority",
        "type": "default_priority",
        "default": True,
        "choices": {"Low": 1, "Medium": 2, "High": 3, "Urgent": 4},
    },
    {
        "id": 4,
        "name": "ticket_type",
        "label": "Type",
        "type": "default_ticket_type",
        "default": True,
        "choices": ["Question", "Incident", "Problem", "Feature Request", "Refund"],
    },
    {
        "id": 5,
        "name": "cf_order_number",
        "label": "Order number",
        "type": "custom_number",
        "default": False,
        "required_for_agents": True,
    },
    {
        "id": 6,
        "name": "cf_reason",
        "label": "Reason",
        "type": "custom_dropdown",
        "default": False,
        "choices": ["Bug", "Billing"],
    },
    {
        "id": 7,
        "name": "cf_region",
        "label": "Region",
        "type": "nested_field",
        "default": False,
        "choices": {"Europe": {"France": ["Paris"]}, "Asia": {}},
    },
    {"id": 8, "name": "cf_notes", "label": "Notes", "type": "custom_paragraph", "default": False},
    {"id": 9, "name": "cf_site", "label": "Site", "type": "custom_url", "default": False},
]


def fixture_ticket() -> Ticket:
    conversations = fd.conversations_from_freshdesk(fixture_payload("freshdesk_conversations"))
    return fd.ticket_from_freshdesk(
        fixture_payload("freshdesk_ticket_1"), conversations=conversations
    )


# --------------------------------------------------------------------------- reading fixtures


def test_ticket_with_attachment_stats_and_requester() -> None:
    ticket = fd.ticket_from_freshdesk(fixture_payload("freshdesk_ticket_1"))

    assert ticket.source_id == "1"
    assert ticket.subject == "This is a sample ticket"
    assert ticket.description == "This is a sample ticket, feel free to delete it."
    assert (ticket.status, ticket.status_category) == ("2", StatusCategory.OPEN)
    assert ticket.priority == "1"
    assert fd.priority_name(int(ticket.priority)) == "Low"
    assert ticket.type == "Question"
    assert ticket.channel == "portal"
    assert ticket.requester_id == "6012691534"
    assert ticket.requester_email == "dummyname@example.com"
    assert ticket.assignee_id == "6010396333"
    assert ticket.group_id is None and ticket.organization_id is None
    assert ticket.tags == ["foo", "bar"]
    assert ticket.cc_emails == ["test2@example.com"]
    assert ticket.created_at == at("2016-05-18T04:36:04Z")
    assert ticket.updated_at == at("2016-05-18T23:42:50Z")
    assert ticket.due_at == at("2016-05-18T23:36:04Z")
    assert ticket.solved_at == at("2020-07-24T15:35:21Z")

    [opening] = ticket.comments
    assert opening.source_id == "description-1"
    assert opening.public
    assert opening.author_id == "6012691534"
    assert opening.author_kind is AuthorKind.CONTACT
    assert opening.html_body == "<div>This is a sample ticket, feel free to delete it.</div>"
    [attachment] = opening.attachments
    assert attachment.source_id == "1"
    assert attachment.file_name == "attachment.txt"
    assert attachment.content_type == "text/plain"
    assert attachment.size == 44115
    assert attachment.url.endswith("/4004881085/original/attachment.txt")
    assert not attachment.inline


def test_tickets_page_from_a_real_account() -> None:
    [ticket] = fd.tickets_from_freshdesk(fixture_payload("freshdesk_tickets"))

    assert ticket.source_id == "21"
    assert ticket.subject == "Test"
    assert (ticket.status, ticket.status_category) == ("5", StatusCategory.CLOSED)
    assert fd.status_name(5) == "Closed"
    assert ticket.channel == "outbound_email"
    assert ticket.requester_email == "iryna.grankova@airbyte.io"
    assert ticket.organization_id == "67001265522"
    assert ticket.type is None
    assert ticket.solved_at == at("2022-11-16T15:59:28Z")
    # An outbound e-mail is written by the agent.
    opening = ticket.opening_comment
    assert opening is not None
    assert (opening.author_id, opening.author_kind) == ("67013469919", AuthorKind.AGENT)
    assert opening.text_body == "Test"


def test_conversations_are_private_notes_and_public_replies() -> None:
    note, reply = fd.conversations_from_freshdesk(fixture_payload("freshdesk_conversations"))

    assert (note.source_id, note.public, note.author_id) == ("1", False, "1")
    assert note.html_body == "<div>This is a private note</div>"
    assert note.text_body == "This is a private note"
    assert note.created_at == at("2016-05-19T05:36:12Z")
    assert (reply.source_id, reply.public) == ("2", True)
    assert (reply.author_name, reply.author_email) == ("Rachel", "rachel@freshdesk.com")
    assert reply.author_kind is AuthorKind.AGENT
    assert fd.conversation_from_freshdesk(fixture_payload("freshdesk_note_1")) == note
    assert fd.conversation_from_freshdesk(fixture_payload("freshdesk_reply_1")) == reply

    ticket = fixture_ticket()
    assert len(ticket.comments) == 3
    assert [c.source_id for c in ticket.comments] == ["description-1", "1", "2"]


def test_contacts_and_an_agent_made_from_a_contact() -> None:
    contact = fd.contact_from_freshdesk(fixture_payload("freshdesk_contact"))
    assert (contact.source_id, contact.name, contact.email) == (
        "1",
        "Rachel",
        "rachel@freshdesk.com",
    )
    # "active: false" only means the address is not verified yet.
    assert contact.active and not contact.deleted
    assert contact.organization_id is None
    assert contact.created_at == at("2014-12-31T02:27:09Z")

    updated = fd.contact_from_freshdesk(fixture_payload("freshdesk_contact_updated"))
    assert updated.name == "New Name"
    assert updated.source_id == contact.source_id

    agent = fd.agent_from_freshdesk(fixture_payload("freshdesk_contact_1_agent"))
    assert isinstance(agent, Agent)
    assert (agent.source_id, agent.name, agent.email) == ("1", "Rachel", "rachel@freshdesk.com")
    assert agent.group_ids == ["1"]
    assert agent.role == "agent" and agent.active
    assert agent.updated_at == at("2015-08-28T11:47:58Z")


def test_agents_list_shape() -> None:
    page = [
        {
            "id": 43,
            "available": True,
            "occasional": True,
            "group_ids": [1, 2],
            "ticket_scope": 1,
            "deactivated": False,
            "contact": {"name": "Ann", "email": "Ann@Acme.test", "phone": None, "mobile": "+33 6"},
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-02-01T00:00:00Z",
        }
    ]
    [agent] = fd.agents_from_freshdesk(page)
    assert (agent.source_id, agent.email, agent.phone, agent.role) == (
        "43",
        "ann@acme.test",
        "+33 6",
        "occasional",
    )
    assert agent.group_ids == ["1", "2"]


def test_companies_and_groups() -> None:
    nova, poseidon = fd.companies_from_freshdesk(fixture_payload("freshdesk_companies"))
    assert (nova.source_id, nova.name, nova.description) == (
        "1",
        "Super Nova",
        "Space Shuttle Manufacturing",
    )
    assert nova.domains == ["supernova", "nova", "super"]
    assert nova.custom_fields == {
        "website": "https://www.supernova.org",
        "address": "123, Baker Street,\r\nNew York",
    }
    assert nova.updated_at == at("2014-01-08T03:38:53Z")
    assert poseidon.custom_fields["address"] is None
    assert fd.company_from_freshdesk(fixture_payload("freshdesk_company")) == nova

    entertainers, helpdesk = fd.groups_from_freshdesk(fixture_payload("freshdesk_groups"))
    assert (entertainers.source_id, entertainers.name) == ("1", "Entertainers")
    assert entertainers.description == "Singers dancers and stand up comedians"
    assert (helpdesk.source_id, helpdesk.name) == ("2", "Helpdesk")


def test_solution_categories_folders_and_articles() -> None:
    [category] = fd.solution_categories_from_freshdesk(
        fixture_payload("freshdesk_solution_categories")
    )
    assert (category.source_id, category.name) == ("2", "General Category")

    [folder] = fd.solution_folders_from_freshdesk(
        fixture_payload("freshdesk_solution_folders"), category_id="2"
    )
    assert (folder.source_id, folder.name, folder.category_id) == ("3", "Getting Started", "2")

    published, draft = fd.solution_articles_from_freshdesk(
        fixture_payload("freshdesk_solution_articles")
    )
    assert (published.source_id, published.title, published.status) == (
        "4",
        "Changing account details",
        "2",
    )
    assert (draft.source_id, draft.status) == ("5", "1")
    assert published.tags == ["foo", "bar"]
    assert (published.author_id, published.category_id, published.section_id) == ("432", "2", "3")
    assert published.html_body.startswith("Update your account details")
    assert published.attachments == []
    assert published.updated_at == at("2020-10-06T11:05:53Z")


def test_field_schema_with_custom_statuses_and_fields() -> None:
    schema = fd.field_schema_from_freshdesk(TICKET_FIELDS)

    assert [(s.key, s.name, s.category, s.default) for s in schema.statuses] == [
        ("2", "Open", StatusCategory.OPEN, True),
        ("3", "Pending", StatusCategory.PENDING, True),
        ("4", "Resolved", StatusCategory.SOLVED, True),
        ("5", "Closed", StatusCategory.CLOSED, True),
        ("6", "Waiting on Customer", StatusCategory.PENDING, False),
    ]
    assert [(p.key, p.name, p.rank) for p in schema.priorities] == [
        ("1", "Low", 1),
        ("2", "Medium", 2),
        ("3", "High", 3),
        ("4", "Urgent", 4),
    ]
    assert [t.key for t in schema.types] == [
        "Question",
        "Incident",
        "Problem",
        "Feature Request",
        "Refund",
    ]
    fields = {field.key: field for field in schema.custom_fields}
    assert fields["cf_order_number"].type is CustomFieldType.INTEGER
    assert fields["cf_order_number"].required
    assert [o.key for o in fields["cf_reason"].options] == ["Bug", "Billing"]
    assert [o.key for o in fields["cf_region"].options] == ["Europe", "Asia"]
    assert fields["cf_notes"].type is CustomFieldType.TEXTAREA
    assert fields["cf_site"].type is CustomFieldType.TEXT
    assert [a.key for a in schema.article_statuses] == ["1", "2"]


def test_field_schema_without_ticket_fields_uses_the_built_ins() -> None:
    schema = fd.field_schema_from_freshdesk([])
    assert [s.key for s in schema.statuses] == ["2", "3", "4", "5"]
    assert schema.types == [] and schema.custom_fields == []


def test_inline_images_in_bodies_become_inline_attachments() -> None:
    reply = {
        **fixture_payload("freshdesk_reply_1"),
        "body": '<div>See <img src="https://acme.freshdesk.com/helpdesk/attachments/5001"></div>',
    }
    comment = fd.conversation_from_freshdesk(reply)
    [image] = comment.inline_images
    assert image.url == "https://acme.freshdesk.com/helpdesk/attachments/5001"
    assert image.file_name == "5001"
    assert comment.file_attachments == []


def test_link_header_pagination() -> None:
    header = '<https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100>; rel="next"'
    assert (
        fd.link_next_page(header) == "https://acme.freshdesk.com/api/v2/tickets?page=2&per_page=100"
    )
    assert fd.link_next_page(None) is None


# --------------------------------------------------------------------------- malformed payloads


@pytest.mark.parametrize(
    ("fixture", "convert", "break_it", "field"),
    [
        (
            "freshdesk_tickets",
            fd.tickets_from_freshdesk,
            lambda p: p[0].update(status="open"),
            "ticket[0].status",
        ),
        (
            "freshdesk_tickets",
            fd.tickets_from_freshdesk,
            lambda p: p[0].pop("created_at"),
            "ticket[0].created_at",
        ),
        (
            "freshdesk_ticket_1",
            fd.ticket_from_freshdesk,
            lambda p: p["attachments"][0].pop("attachment_url"),
            "ticket.attachments[0].attachment_url",
        ),
        (
            "freshdesk_conversations",
            fd.conversations_from_freshdesk,
            lambda p: p[1].update(private="sometimes"),
            "conversation[1].private",
        ),
        ("freshdesk_contact", fd.contact_from_freshdesk, lambda p: p.pop("name"), "contact.name"),
        (
            "freshdesk_companies",
            fd.companies_from_freshdesk,
            lambda p: p[1].update(domains="poseidon"),
            "company[1].domains",
        ),
        ("freshdesk_groups", fd.groups_from_freshdesk, lambda p: p[0].pop("id"), "group[0].id"),
        (
            "freshdesk_solution_articles",
            fd.solution_articles_from_freshdesk,
            lambda p: p[0].update(status=3),
            "solution article[0].status",
        ),
        (
            "freshdesk_solution_folders",
            fd.solution_folders_from_freshdesk,
            lambda p: None,
            "solution folder[0].category_id",
        ),
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
    assert field in caught.value.user_message
    assert caught.value.retryable


def test_pages_must_be_lists() -> None:
    with pytest.raises(MalformedPayloadError, match="without the list"):
        fd.tickets_from_freshdesk({"tickets": []})
    with pytest.raises(MalformedPayloadError, match="not a number"):
        fd.field_schema_from_freshdesk(
            [
                {
                    "id": 3,
                    "name": "priority",
                    "label": "P",
                    "type": "default_priority",
                    "default": True,
                    "choices": {"Low": "low"},
                }
            ]
        )


# --------------------------------------------------------------------------- writing


def test_ticket_create_payload() -> None:
    ticket = fixture_ticket()
    body = fd.ticket_to_freshdesk(ticket, marker=MARKER)

    assert body == {
        "subject": "This is a sample ticket",
        "description": "<div>This is a sample ticket, feel free to delete it.</div>",
        "requester_id": 6012691534,
        "responder_id": 6010396333,
        "status": 2,
        "priority": 1,
        "type": "Question",
        "source": 2,
        "tags": ["foo", "bar", MARKER],
        "cc_emails": ["test2@example.com"],
    }
    assert ("tags[]", MARKER) in fd.multipart_fields(body)
    assert ("requester_id", "6012691534") in fd.multipart_fields(body)


def test_ticket_from_another_platform_uses_category_and_email() -> None:
    ticket = Ticket(
        source_id="35436",
        updated_at=at("2011-05-05T10:38:52Z"),
        created_at=at("2009-07-20T22:55:29Z"),
        subject="Help, my printer is on fire!",
        status="hold",
        status_category=StatusCategory.HOLD,
        requester_email="Customer@Example.com",
        custom_fields={"cf_order_number": 745, "cf_reason": None},
        channel="web",
    )
    body = fd.ticket_to_freshdesk(ticket, marker=MARKER)
    assert body["status"] == 3
    assert body["email"] == "customer@example.com"
    assert "requester_id" not in body
    assert body["custom_fields"] == {"cf_order_number": 745}
    assert "source" not in body
    assert body["description"] == "<p></p>"
    assert fd.multipart_fields(body).count(("custom_fields[cf_order_number]", "745")) == 1


def test_ticket_write_refuses_what_freshdesk_cannot_take() -> None:
    ticket = fixture_ticket()
    with pytest.raises(InvalidRecordError, match="requester"):
        fd.ticket_to_freshdesk(
            ticket.model_copy(update={"requester_id": None, "requester_email": None}), marker=MARKER
        )
    with pytest.raises(InvalidRecordError, match="priority"):
        fd.ticket_to_freshdesk(ticket.model_copy(update={"priority": "high"}), marker=MARKER)
    with pytest.raises(InvalidRecordError, match="assignee_id"):
        fd.ticket_to_freshdesk(
            ticket.model_copy(update={"assignee_id": "ann@acme.test"}), marker=MARKER
        )


def test_original_dates_go_into_a_private_note() -> None:
    note = fd.original_dates_note_to_freshdesk(fixture_ticket())
    assert note["private"] is True
    assert "Created on 2016-05-18 04:36 UTC." in note["body"]
    assert "Resolved on 2020-07-24 15:35 UTC." in note["body"]
    assert "Last updated on 2016-05-18 23:42 UTC." in note["body"]


def test_comments_become_notes_never_replies_with_their_original_date() -> None:
    _, note, reply = fixture_ticket().comments

    note_body = fd.comment_to_freshdesk(note)
    assert note_body.endpoint == "notes"
    assert note_body.body == {
        "body": '<p class="migrated-original-date">On 2016-05-19 05:36 UTC:</p>'
        "<div>This is a private note</div>",
        "private": True,
        "incoming": False,
        "user_id": 1,
    }
    # A reply would e-mail the requester again: an agent's public answer is a public note.
    reply_body = fd.comment_to_freshdesk(reply)
    assert reply_body.endpoint == "notes"
    assert "Rachel &lt;rachel@freshdesk.com&gt; wrote:" in reply_body.body["body"]
    assert reply_body.body["user_id"] == 1
    assert (reply_body.body["private"], reply_body.body["incoming"]) == (False, False)

    from_customer = reply.model_copy(update={"author_kind": AuthorKind.CONTACT})
    customer_body = fd.comment_to_freshdesk(from_customer, original_date_header=False)
    assert customer_body.endpoint == "notes"
    assert customer_body.body == {
        "body": "<div>This is a reply</div>",
        "private": False,
        "incoming": True,
        "user_id": 1,
    }


def as_read_ticket(body: dict[str, Any], *, ticket: Ticket) -> dict[str, Any]:
    """What Freshdesk answers for a created ticket, with the original dates put back."""
    return {
        **body,
        "id": 101,
        "description_text": "",
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
    }


def as_read_conversation(
    endpoint_body: fd.FreshdeskConversationBody, *, comment: Comment
) -> dict[str, Any]:
    body = endpoint_body.body
    return {
        "id": int(comment.source_id) + 500,
        "body": body["body"],
        "private": body.get("private", False),
        "incoming": body.get("incoming", False),
        "user_id": body.get("user_id"),
        "source": 0 if endpoint_body.endpoint == "reply" else 2,
        "created_at": comment.created_at.isoformat(),
        "attachments": [],
    }


def test_ticket_round_trip_keeps_what_freshdesk_holds() -> None:
    original = fixture_ticket()
    created = fd.ticket_to_freshdesk(original, marker=MARKER)
    conversations = [
        as_read_conversation(fd.comment_to_freshdesk(c, original_date_header=False), comment=c)
        for c in original.comments[1:]
    ]
    again = fd.ticket_from_freshdesk(
        as_read_ticket(created, ticket=original),
        conversations=fd.conversations_from_freshdesk(conversations),
    )

    kept = {
        "subject",
        "description",
        "status",
        "status_category",
        "priority",
        "type",
        "requester_id",
        "assignee_id",
        "group_id",
        "organization_id",
        "cc_emails",
        "channel",
    }
    assert again.model_dump(include=kept) == original.model_dump(include=kept)
    assert again.tags == [*original.tags, MARKER]
    assert [(c.public, c.author_id, c.html_body) for c in again.comments] == [
        (c.public, c.author_id, c.html_body) for c in original.comments
    ]


def test_contact_company_group_round_trips() -> None:
    contact = fd.contact_from_freshdesk(fixture_payload("freshdesk_contact"))
    contact = contact.model_copy(update={"other_emails": ["r@home.test"], "organization_id": "1"})
    body = fd.contact_to_freshdesk(contact, marker="m-1")
    assert body == {
        "name": "Rachel",
        "email": "rachel@freshdesk.com",
        "other_emails": ["r@home.test"],
        "company_id": 1,
        "tags": ["m-1"],
    }
    again = fd.contact_from_freshdesk(
        {
            **body,
            "id": 1,
            "updated_at": "2014-12-31T02:27:09Z",
            "created_at": "2014-12-31T02:27:09Z",
        }
    )
    assert again.model_dump(exclude={"tags"}) == contact.model_dump(exclude={"tags"})
    with pytest.raises(InvalidRecordError, match="e-mail address or a phone"):
        fd.contact_to_freshdesk(
            Contact(source_id="9", updated_at=at("2020-01-01T00:00:00Z"), name="Ghost"), marker="m"
        )

    nova = fd.company_from_freshdesk(fixture_payload("freshdesk_company"))
    company_body = fd.company_to_freshdesk(nova)
    assert company_body["custom_fields"]["address"] == "123, Baker Street,\r\nNew York"
    times = {"created_at": "2014-01-08T09:08:53+05:30", "updated_at": "2014-01-08T09:08:53+05:30"}
    assert fd.company_from_freshdesk({**company_body, "id": 1, **times}) == nova

    [entertainers, _] = fd.groups_from_freshdesk(fixture_payload("freshdesk_groups"))
    group_body = fd.group_to_freshdesk(entertainers)
    assert group_body == {
        "name": "Entertainers",
        "description": "Singers dancers and stand up comedians",
    }
    group_times = {
        "created_at": "2014-01-08T07:53:41+05:30",
        "updated_at": "2014-01-08T07:53:41+05:30",
    }
    assert fd.group_from_freshdesk({**group_body, "id": 1, **group_times}) == entertainers


def test_agent_payload() -> None:
    agent = fd.agent_from_freshdesk(fixture_payload("freshdesk_contact_1_agent"))
    assert fd.agent_to_freshdesk(agent, role_ids=[7]) == {
        "email": "rachel@freshdesk.com",
        "name": "Rachel",
        "ticket_scope": 1,
        "occasional": False,
        "group_ids": [1],
        "role_ids": [7],
    }
    with pytest.raises(InvalidRecordError, match="e-mail"):
        fd.agent_to_freshdesk(agent.model_copy(update={"email": None}))


def test_solution_round_trips() -> None:
    [category] = fd.solution_categories_from_freshdesk(
        fixture_payload("freshdesk_solution_categories")
    )
    category_body = fd.solution_category_to_freshdesk(category)
    times = {"created_at": "2020-10-06T09:56:58Z", "updated_at": "2020-10-06T09:56:58Z"}
    assert fd.solution_category_from_freshdesk({**category_body, "id": 2, **times}) == category

    [folder] = fd.solution_folders_from_freshdesk(
        fixture_payload("freshdesk_solution_folders"), category_id="2"
    )
    folder_body = fd.solution_folder_to_freshdesk(folder)
    assert folder_body["visibility"] == 1
    assert (
        fd.solution_folder_from_freshdesk({**folder_body, "id": 3, **times}, category_id="2")
        == folder
    )

    published, _ = fd.solution_articles_from_freshdesk(
        fixture_payload("freshdesk_solution_articles")
    )
    article_body = fd.solution_article_to_freshdesk(published, marker="m-4")
    assert article_body["status"] == 2 and article_body["type"] == 1
    assert article_body["tags"] == ["foo", "bar", "m-4"]
    read = {
        **article_body,
        "id": 4,
        "agent_id": 432,
        "category_id": 2,
        "folder_id": 3,
        "created_at": "2020-10-06T11:05:53Z",
        "updated_at": "2020-10-06T11:05:53Z",
    }
    again = fd.solution_article_from_freshdesk(read)
    assert again.model_dump(exclude={"tags"}) == published.model_dump(exclude={"tags"})

    with pytest.raises(InvalidRecordError, match="status"):
        fd.solution_article_to_freshdesk(
            published.model_copy(update={"status": "published"}), marker="m"
        )

    translation = ArticleTranslation(
        locale="fr", title="Modifier son compte", html_body="<p>Allez</p>"
    )
    assert fd.solution_translation_to_freshdesk(translation, article_status="1") == {
        "title": "Modifier son compte",
        "description": "<p>Allez</p>",
        "status": 1,
    }
    translated = fd.solution_article_from_freshdesk(
        fixture_payload("freshdesk_solution_articles")[0],
        translations={
            "fr": {"title": "Modifier son compte", "description": "<p>Allez</p>", "status": 1}
        },
        locale="en",
    )
    assert translated.translations == [
        ArticleTranslation(
            locale="fr", title="Modifier son compte", html_body="<p>Allez</p>", status="1"
        )
    ]
    assert translated.locale == "en"


def test_ticket_update_for_delta_runs() -> None:
    body = fd.ticket_update_to_freshdesk(fixture_ticket())
    assert body == {
        "subject": "This is a sample ticket",
        "responder_id": 6010396333,
        "status": 2,
        "priority": 1,
        "type": "Question",
        "tags": ["foo", "bar"],
    }
