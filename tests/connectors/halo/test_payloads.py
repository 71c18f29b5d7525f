"""Halo JSON <-> canonical records, without HTTP."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from connectors.base import Capabilities, not_migrated
from connectors.errors import InvalidRecordError
from connectors.halo import CAPABILITIES, HaloCredentials
from connectors.halo.connector import HaloConnector, account_name_from_url, action_key
from connectors.halo.payloads import (
    HaloFaqList,
    action_to_halo,
    agent_to_halo,
    article_from_halo,
    article_to_halo,
    attachment_to_halo,
    attachments_from_halo,
    created_record,
    field_schema_from_halo,
    record_count,
    section_from_halo,
    status_categories,
    ticket_from_halo,
    ticket_to_halo,
)
from connectors.schema import (
    Agent,
    Article,
    AuthorKind,
    Comment,
    CustomFieldType,
    Entity,
    StatusCategory,
    Ticket,
)
from connectors.wire import MalformedPayloadError

READ_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
STATUSES = [
    {"id": 1, "name": "New", "sequence": 1},
    {"id": 2, "name": "In Progress", "sequence": 2},
    {"id": 4, "name": "Waiting on User", "sequence": 3},
    {"id": 5, "name": "On Hold", "sequence": 4},
    {"id": 8, "name": "Resolved", "sequence": 5},
    {"id": 9, "name": "Closed", "sequence": 6},
]
PRIORITIES = [{"id": 1, "name": "Critical"}, {"id": 4, "name": "Low"}]
TYPES = [{"id": 1, "name": "Incident"}]
FIELDS = [
    {"id": 100, "name": "CFOrder", "label": "Order number", "type": 0, "inputtype": 0},
    {"id": 101, "name": "CFQty", "label": "Quantity", "type": 0, "inputtype": 1},
    {
        "id": 102,
        "name": "CFProduct",
        "label": "Product",
        "type": 2,
        "values": [{"id": 1, "name": "Laptop"}, {"id": 2, "name": "Phone"}],
    },
    {"id": 103, "name": "CFDate", "label": "Purchase date", "type": 4},
    {"id": 104, "name": "CFFlag", "label": "Refund", "type": 6},
]


def schema():
    return field_schema_from_halo(
        statuses=STATUSES, priorities=PRIORITIES, types=TYPES, fields=FIELDS
    )


def test_statuses_priorities_types_and_custom_fields_are_read_from_the_instance():
    fields = schema()
    categories = {option.name: option.category for option in fields.statuses}
    assert categories == {
        "New": StatusCategory.NEW,
        "In Progress": StatusCategory.OPEN,
        "Waiting on User": StatusCategory.PENDING,
        "On Hold": StatusCategory.HOLD,
        "Resolved": StatusCategory.SOLVED,
        "Closed": StatusCategory.CLOSED,
    }
    # Priority 1 is Halo's most urgent: it ranks highest.
    assert {p.name: p.rank for p in fields.priorities} == {"Critical": 2, "Low": 1}
    assert [t.name for t in fields.types] == ["Incident"]
    kinds = {field.title: field.type for field in fields.custom_fields}
    assert kinds == {
        "Order number": CustomFieldType.TEXT,
        "Quantity": CustomFieldType.INTEGER,
        "Product": CustomFieldType.DROPDOWN,
        "Purchase date": CustomFieldType.DATE,
        "Refund": CustomFieldType.CHECKBOX,
    }
    product = fields.custom_field("102")
    assert product is not None and [o.key for o in product.options] == ["Laptop", "Phone"]
    assert [o.key for o in fields.article_statuses] == ["draft", "published", "archived"]


def test_a_ticket_reads_with_its_details_actions_attachments_and_custom_fields():
    payload = {
        "id": 1001,
        "summary": "Printer on fire",
        "details": "<p>It burns.</p>",
        "status_id": 4,
        "priority_id": 1,
        "tickettype_id": 1,
        "agent_id": 3,
        "team_id": 2,
        "client_id": 7,
        "user_id": 12,
        "user_email": "Ada@Example.com",
        "dateoccurred": "2024-05-01T08:00:00Z",
        "last_update": "2024-05-02T09:00:00Z",
        "customfields": [{"id": 100, "value": "ORD-1"}, {"id": 102, "value": "Laptop"}],
    }
    actions = [
        {
            "id": 6,
            "ticket_id": 1001,
            "note_html": "<p>Internal.</p>",
            "hiddenfromuser": True,
            "who": "Bruno Agent",
            "who_type": 1,
            "who_agentid": 3,
            "datetime": "2024-05-01T10:00:00Z",
        },
        {
            "id": 5,
            "ticket_id": 1001,
            "note": "Thanks!",
            "who": "Ada",
            "who_type": 2,
            "user_id": 12,
            "datetime": "2024-05-01T09:00:00Z",
        },
    ]
    files = attachments_from_halo(
        [
            {"id": 40, "filename": "log.txt", "filesize": 10, "ticket_id": 1001, "action_id": 0},
            {"id": 41, "filename": "a.png", "filesize": 20, "ticket_id": 1001, "action_id": 6},
        ],
        url_of=lambda number: f"https://h/api/Attachment/{number}",
    )
    ticket = ticket_from_halo(
        payload,
        actions=actions,
        attachments=files,
        categories=status_categories(schema()),
        read_at=READ_AT,
    )
    assert ticket.status == "4" and ticket.status_category is StatusCategory.PENDING
    assert ticket.requester_email == "ada@example.com"
    assert ticket.custom_fields == {"100": "ORD-1", "102": "Laptop"}
    opening, first, second = ticket.comments
    assert opening.html_body == "<p>It burns.</p>" and opening.public
    assert [a.file_name for a in opening.attachments] == ["log.txt"]
    assert first.source_id == "5" and first.author_kind is AuthorKind.CONTACT and first.public
    assert first.html_body == "<p>Thanks!</p>"
    assert second.author_id == "3" and second.author_kind is AuthorKind.AGENT
    assert not second.public
    assert second.attachments[0].url == "https://h/api/Attachment/41"
    assert ticket.updated_at == datetime(2024, 5, 2, 9, tzinfo=UTC)


def test_a_ticket_without_its_date_is_refused_naming_the_field():
    with pytest.raises(MalformedPayloadError) as broken:
        ticket_from_halo(
            {"id": 1, "summary": "x"}, actions=[], attachments=[], categories={}, read_at=READ_AT
        )
    assert broken.value.field == "ticket.dateoccurred"


def test_a_ticket_is_written_with_its_date_marker_and_custom_fields():
    ticket = Ticket(
        source_id="t1",
        updated_at=READ_AT,
        created_at=datetime(2023, 1, 1, 12, tzinfo=UTC),
        subject="",
        priority="2",
        requester_id="12",
        assignee_id="3",
        group_id="2",
        custom_fields={"100": "ORD-9", "104": True},
    )
    body = ticket_to_halo(ticket, status_id=9, marker="hdm-1", details_html="<p>x</p>")
    assert body["summary"] == "(no subject)"
    assert body["dateoccurred"] == "2023-01-01T12:00:00Z"
    assert body["third_party_id"] == "hdm-1"
    assert body["customfields"] == [{"id": 100, "value": "ORD-9"}, {"id": 104, "value": True}]
    assert (body["user_id"], body["agent_id"], body["team_id"]) == (12, 3, 2)
    assert body["dont_do_rules"] is True and body["sendack"] is False
    assert "third_party_id" not in ticket_to_halo(
        ticket, status_id=None, marker=None, details_html=""
    )
    with pytest.raises(InvalidRecordError):
        ticket_to_halo(
            ticket.model_copy(update={"assignee_id": "agent-x"}),
            status_id=None,
            marker=None,
            details_html="",
        )


def test_comments_become_notes_hidden_from_the_user_when_private():
    comment = Comment(
        source_id="c",
        author_name="Bruno Agent",
        author_email="bruno@acme.example",
        public=False,
        text_body="Internal",
        created_at=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
    )
    body = action_to_halo(comment, ticket_id=5, agent_id=3, user_id=None)
    assert body["hiddenfromuser"] is True and body["outcome"] == "Note"
    assert body["datetime"] == "2024-02-03T04:05:06Z"
    assert (body["who"], body["who_type"], body["who_agentid"]) == ("Bruno Agent", 1, 3)
    assert body["note_html"] == "<p>Internal</p>"
    public = action_to_halo(
        comment.model_copy(update={"public": True}), ticket_id=5, agent_id=None, user_id=None
    )
    assert public["hiddenfromuser"] is False and "who_type" not in public


def test_attachments_are_sent_in_base64():
    body = attachment_to_halo(file_name="a.bin", content=b"\x00\x01", ticket_id=4, action_id=None)
    assert base64.b64decode(body["data_base64"]) == b"\x00\x01"
    assert "action_id" not in body


def test_article_statuses_round_trip():
    parents = {5: 2}
    for flags, status in (
        ({"approved": False}, "draft"),
        ({"approved": True}, "published"),
        ({"inactive": True}, "archived"),
    ):
        article = article_from_halo(
            {"id": 1, "name": "Reset", "faqlists": [{"id": 5}], **flags},
            parents=parents,
            read_at=READ_AT,
        )
        assert (article.status, article.section_id, article.category_id) == (status, "5", "2")
        body = article_to_halo(article, faqlist_id=5)
        assert (
            article_from_halo({**body, "id": 1}, parents=parents, read_at=READ_AT).status == status
        )
    with pytest.raises(InvalidRecordError):
        article_to_halo(
            Article(source_id="a", updated_at=READ_AT, title="t", status="x", section_id="5"),
            faqlist_id=5,
        )


def test_nested_faq_lists_keep_their_category_and_parent():
    section = section_from_halo(
        HaloFaqList(id=7, name="Deep", parent_id=5), parents={7: 5, 5: 2}, read_at=READ_AT
    )
    assert (section.category_id, section.parent_section_id) == ("2", "5")
    direct = section_from_halo(
        HaloFaqList(id=5, name="Top child", parent_id=2), parents={5: 2}, read_at=READ_AT
    )
    assert (direct.category_id, direct.parent_section_id) == ("2", None)


def test_agents_need_an_email_to_be_created():
    agent = Agent(source_id="1", updated_at=READ_AT, name="Ada", email=None)
    with pytest.raises(InvalidRecordError):
        agent_to_halo(agent, team_ids=[])
    body = agent_to_halo(agent.model_copy(update={"email": "ada@acme.example"}), team_ids=[3])
    assert body["teams"] == [{"team_id": 3}]


def test_list_and_save_envelopes():
    assert record_count({"record_count": 3, "tickets": []}, what="tickets") == 3
    with pytest.raises(MalformedPayloadError):
        record_count({"tickets": []}, what="tickets")
    assert created_record([{"id": 4}], what="ticket") == {"id": 4}
    with pytest.raises(MalformedPayloadError):
        created_record({"name": "x"}, what="ticket")


def test_credentials_keep_the_servers_paths_and_check_the_tenant():
    credentials = HaloCredentials(
        resource_server="acme",
        auth_server="https://acme.halopsa.com/auth/",
        client_id="id",
        client_secret="secret",
    )
    assert credentials.resource_server == "https://acme.halopsa.com/api"
    assert credentials.auth_server == "https://acme.halopsa.com/auth"
    assert account_name_from_url(credentials.resource_server) == "acme"
    with pytest.raises(ValidationError):
        HaloCredentials(
            resource_server="https://acme.halopsa.com/api",
            auth_server="https://acme.halopsa.com/auth",
            client_id="id",
            client_secret="secret",
            tenant="two words",
        )
    hints = HaloCredentials.form_schema()["properties"]
    assert all("Configuration > Integrations" in field["hint"] for field in hints.values())
    assert HaloCredentials.secret_field_names() == {"client_secret"}


def test_capabilities_say_what_will_not_be_migrated():
    assert CAPABILITIES.can_create_agents and CAPABILITIES.can_create_groups
    source = Capabilities(
        reads=frozenset(Entity), tags=True, custom_fields=True, max_attachment_bytes=None
    )
    losses = not_migrated(source=source, target=CAPABILITIES)
    assert "Tags." in losses
    assert "Attachments larger than 20 MB." in losses
    assert not any("cannot be created" in loss for loss in losses)
    checklist = HaloConnector.pre_migration_checklist()
    assert any("approval process" in step for step in checklist)
    assert any("AI" in step for step in checklist)


def test_action_keys_tell_migrated_actions_apart():
    assert action_key(moment="2024-01-01T00:00:00Z", html_body="<p>a  b</p>") == (
        "2024-01-01T00:00:00Z|ab"
    )
