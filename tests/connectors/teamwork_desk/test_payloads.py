"""Teamwork Desk JSON <-> canonical records, on answers shaped as the API v2 reference
and the official SDK show them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import source_marker
from connectors.errors import InvalidRecordError
from connectors.schema import (
    Article,
    ArticleCategory,
    ArticleSection,
    AuthorKind,
    Comment,
    Contact,
    Entity,
    StatusCategory,
    Ticket,
)
from connectors.teamwork_desk import payloads as tw
from connectors.wire import MalformedPayloadError

MARKER = source_marker(migration_id=1, entity=Entity.TICKETS, source_id="1")
CREATED = "2024-03-05T09:30:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def ref(number: int, kind: str) -> dict[str, Any]:
    return {"id": number, "type": kind}


TICKET: dict[str, Any] = {
    "id": 14427658,
    "subject": "Printer on fire",
    "inbox": ref(9760, "inboxes"),
    "customer": ref(550214, "customers"),
    "company": ref(16, "companies"),
    "agent": ref(238860, "users"),
    "status": ref(3, "ticketstatuses"),
    "priority": ref(2, "ticketpriorities"),
    "type": ref(143616, "tickettypes"),
    "source": ref(1, "ticketsources"),
    "tags": [ref(7, "tags")],
    "messages": [ref(80054285, "messages"), ref(80054283, "messages"), ref(80054284, "messages")],
    "files": [ref(501, "files")],
    "state": "active",
    "createdAt": CREATED,
    "updatedAt": "2024-03-06T10:00:00Z",
}
INCLUDED: dict[str, Any] = {
    "messages": [
        {
            "id": 80054283,
            "message": '<p>It burns</p><p><img src="https://acme.teamwork.com/desk/file/9/fire.png"></p>',
            "threadType": "message",
            "createdBy": ref(550214, "customers"),
            "files": [ref(501, "files")],
            "createdAt": CREATED,
            "updatedAt": CREATED,
        },
        {
            "id": 80054284,
            "message": "<p>Extinguisher on its way.</p>",
            "threadType": "note",
            "createdBy": ref(238860, "users"),
            "files": [],
            "createdAt": "2024-03-05T10:30:00Z",
        },
        {
            "id": 80054285,
            "message": "<p>Fixed.</p>",
            "threadType": "message",
            "createdBy": ref(238860, "users"),
            "createdAt": "2024-03-06T10:00:00Z",
        },
    ],
    "files": [
        {
            "id": 501,
            "filename": "fire.jpg",
            "mimeType": "image/jpeg",
            "size": 1234,
            "disposition": "attachment",
            "url": "https://acme.teamwork.com/desk/file/501/fire.jpg",
        }
    ],
    "customers": [
        {"id": 550214, "firstName": "Soap", "lastName": "Joe", "email": "Name@Domain.com"}
    ],
    "users": [{"id": 238860, "firstName": "Marc", "lastName": "Cashman", "email": "marc@acme.io"}],
    "tags": [{"id": 7, "name": "printer"}],
    "ticketstatuses": [{"id": 3, "name": "Waiting on customer", "code": "waiting"}],
    "ticketsources": [{"id": 1, "name": "Email"}],
}


def test_a_ticket_and_its_threads_in_order_with_authors_and_files():
    ticket = tw.ticket_from_teamwork(TICKET, included=INCLUDED)
    assert ticket.source_id == "14427658"
    assert ticket.status == "3" and ticket.status_category is StatusCategory.PENDING
    assert (ticket.priority, ticket.type) == ("2", "143616")
    assert ticket.requester_id == "550214" and ticket.requester_email == "name@domain.com"
    assert (ticket.assignee_id, ticket.organization_id) == ("238860", "16")
    assert ticket.tags == ["printer"]
    assert ticket.channel == "email"
    assert ticket.created_at == at(CREATED)
    assert [c.source_id for c in ticket.comments] == ["80054283", "80054284", "80054285"]
    opening, note, reply = ticket.comments
    assert opening.author_kind is AuthorKind.CONTACT and opening.author_name == "Soap Joe"
    assert opening.public and not note.public and reply.public
    assert note.author_kind is AuthorKind.AGENT and note.author_email == "marc@acme.io"
    assert ticket.description == "It burns"
    [attached] = opening.file_attachments
    assert (attached.file_name, attached.size, attached.content_type) == (
        "fire.jpg",
        1234,
        "image/jpeg",
    )
    [inline] = opening.inline_images
    assert inline.url.endswith("/desk/file/9/fire.png")


def test_an_inline_file_and_a_deleted_message():
    included = {
        **INCLUDED,
        "files": [{**INCLUDED["files"][0], "disposition": "attachment-inline"}],
        "messages": [
            INCLUDED["messages"][0],
            {**INCLUDED["messages"][1], "state": "deleted"},
            INCLUDED["messages"][2],
        ],
    }
    ticket = tw.ticket_from_teamwork(TICKET, included=included)
    assert [c.source_id for c in ticket.comments] == ["80054283", "80054285"]
    assert ticket.comments[0].attachments[0].inline


def test_a_message_missing_from_included_names_the_field():
    payload = {"tickets": [TICKET], "included": {**INCLUDED, "messages": []}}
    with pytest.raises(MalformedPayloadError) as broken:
        tw.tickets_from_teamwork(payload)
    assert broken.value.field == "tickets[0].messages[0]"


def test_a_ticket_without_updated_at_is_malformed():
    broken = {key: value for key, value in TICKET.items() if key != "updatedAt"}
    with pytest.raises(MalformedPayloadError) as error:
        tw.tickets_from_teamwork({"tickets": [broken], "included": INCLUDED})
    assert error.value.field == "tickets[0].updatedAt"


def test_agents_invited_or_deleted_are_not_active():
    users = {
        "users": [
            {
                "id": 1,
                "firstName": "Alice",
                "lastName": "Agent",
                "email": "A@x.io",
                "state": "active",
                "updatedAt": CREATED,
            },
            {
                "id": 2,
                "firstName": "Bruno",
                "email": "b@x.io",
                "state": "active",
                "updatedAt": CREATED,
            },
            {"id": 3, "email": "c@x.io", "state": "deleted", "updatedAt": CREATED},
        ]
    }
    invites = {
        "agentinvites": [
            {"id": 9, "state": "pending", "user": ref(2, "users")},
            {"id": 8, "state": "accepted", "user": ref(1, "users")},
        ]
    }
    pending = tw.pending_invited_user_ids(invites)
    assert pending == {"2"}
    alice, bruno, gone = tw.agents_from_teamwork(users, pending=pending)
    assert (alice.name, alice.email, alice.active) == ("Alice Agent", "a@x.io", True)
    assert (bruno.active, bruno.deleted) == (False, False)
    assert (gone.name, gone.active, gone.deleted) == ("c@x.io", False, True)


def test_customers_with_their_addresses_and_company():
    payload = {
        "customers": [
            {
                "id": 5,
                "firstName": "Rachel",
                "lastName": "Green",
                "email": "rachel@example.com",
                "phone": "",
                "mobile": "+1 555",
                "company": ref(16, "companies"),
                "contacts": [ref(71, "contacts"), ref(72, "contacts")],
                "updatedAt": CREATED,
            },
            {"id": 6, "email": "", "contacts": [ref(73, "contacts")], "updatedAt": CREATED},
        ],
        "included": {
            "contacts": [
                {"id": 71, "value": "rachel@example.com", "isMain": True},
                {"id": 72, "value": "rachel@work.example", "isMain": False},
                {"id": 73, "value": "only@example.com", "isMain": True},
            ]
        },
    }
    rachel, anonymous = tw.contacts_from_teamwork(payload)
    assert rachel.name == "Rachel Green" and rachel.organization_id == "16"
    assert rachel.other_emails == ["rachel@work.example"]
    assert (rachel.phone, rachel.mobile) == (None, "+1 555")
    assert (anonymous.email, anonymous.name) == ("only@example.com", "only@example.com")


def test_companies_with_their_domains():
    payload = {
        "companies": [
            {
                "id": 16,
                "name": "Teamwork",
                "details": "Key account",
                "domains": [ref(3, "domains")],
                "updatedAt": CREATED,
            }
        ],
        "included": {"domains": [{"id": 3, "name": "teamwork.com"}]},
    }
    [company] = tw.companies_from_teamwork(payload)
    assert (company.name, company.domains, company.notes) == (
        "Teamwork",
        ["teamwork.com"],
        "Key account",
    )


def test_field_schema_statuses_by_code_and_priorities_by_order():
    schema = tw.field_schema_from_teamwork(
        statuses={
            "ticketstatuses": [
                {"id": 1, "name": "Active", "code": "active"},
                {"id": 3, "name": "Waiting on customer", "code": "waiting"},
                {"id": 9, "name": "Escalated", "code": "escalated"},
                {"id": 5, "name": "Closed", "code": "closed"},
            ]
        },
        priorities={
            "ticketpriorities": [
                {"id": 4, "name": "Urgent", "displayOrder": 4},
                {"id": 1, "name": "Low", "displayOrder": 1},
            ]
        },
        types={"tickettypes": [{"id": 2, "name": "Problem"}]},
    )
    categories = {option.key: (option.category, option.default) for option in schema.statuses}
    assert categories == {
        "1": (StatusCategory.OPEN, True),
        "3": (StatusCategory.PENDING, True),
        "9": (StatusCategory.OPEN, False),
        "5": (StatusCategory.CLOSED, True),
    }
    assert [(p.key, p.rank) for p in schema.priorities] == [("1", 1), ("4", 2)]
    assert [t.key for t in schema.types] == ["2"]
    assert [s.key for s in schema.article_statuses] == ["draft", "published"]


def test_help_docs_sites_categories_and_articles():
    [site] = tw.help_doc_sites_from_teamwork(
        {"helpdocssites": [{"id": 7, "name": "Help", "languageCode": "fr", "updatedAt": CREATED}]}
    )
    assert (site.source_id, site.name, site.locale) == ("7", "Help", "fr")
    [top, nested] = tw.help_doc_categories_from_teamwork(
        {
            "helpdocscategories": [
                {
                    "id": 5,
                    "name": "Basics",
                    "helpDocsSites_id": 7,
                    "parent_id": None,
                    "updatedAt": CREATED,
                },
                {
                    "id": 6,
                    "name": "More",
                    "helpDocsSites_id": 7,
                    "parent_id": 5,
                    "displayOrder": 2,
                    "updatedAt": CREATED,
                },
            ]
        }
    )
    assert (top.category_id, top.parent_section_id) == ("7", None)
    assert (nested.parent_section_id, nested.position) == ("5", 2)
    [article] = tw.help_doc_articles_from_teamwork(
        {
            "helpdocarticles": [
                {
                    "id": 42,
                    "title": "Getting Started",
                    "status": "Published",
                    "contents": "<p>Hi</p>",
                    "categories": [6, 5],
                    "helpdocsite": ref(7, "helpdocssites"),
                    "updatedAt": CREATED,
                }
            ]
        }
    )
    assert (article.status, article.section_id, article.category_id) == ("published", "6", "7")
    with pytest.raises(MalformedPayloadError) as broken:
        tw.help_doc_article_from_teamwork(
            {
                "id": 1,
                "title": "x",
                "status": "draft",
                "categories": [],
                "helpdocsite": ref(7, "s"),
                "updatedAt": CREATED,
            }
        )
    assert broken.value.field == "help doc article.categories"


def test_pages_say_whether_more_follow():
    assert tw.page_meta({"meta": {"page": {"count": 12, "hasMore": True}}}) == (12, True)
    with pytest.raises(MalformedPayloadError):
        tw.page_meta({"tickets": []})


# --------------------------------------------------------------------------- writing


def a_ticket(**fields: Any) -> Ticket:
    opening = Comment(
        source_id="c1",
        author_kind=AuthorKind.CONTACT,
        author_name="Rachel Green",
        author_email="rachel@example.com",
        public=True,
        html_body="<p>My printer is on fire.</p>",
        created_at=at(CREATED),
    )
    values: dict[str, Any] = {
        "source_id": "t1",
        "subject": "Printer on fire",
        "requester_id": "550214",
        "assignee_id": "238860",
        "priority": "2",
        "tags": ["printer"],
        "created_at": at(CREATED),
        "updated_at": at(CREATED),
        "comments": [opening],
        **fields,
    }
    return Ticket(**values)


def test_a_ticket_body_names_inbox_customer_agent_and_keeps_customers_unnotified():
    body = tw.ticket_to_teamwork(
        a_ticket(), inbox_id=9760, status_id=1, tag_ids=[7, 8], file_ids=[501]
    )["ticket"]
    assert body["inbox"] == {"id": 9760} and body["customer"] == {"id": 550214}
    assert body["agent"] == {"id": 238860} and body["priority"] == {"id": 2}
    assert body["status"] == {"id": 1} and body["tags"] == [{"id": 7}, {"id": 8}]
    assert body["files"] == [{"id": 501}]
    assert body["notifyCustomer"] is False and body["editMethod"] == "html"
    assert body["message"].startswith('<p class="migrated-original-date">On 2024-03-05 09:30 UTC,')
    assert "Rachel Green &lt;rachel@example.com&gt; wrote:" in body["message"]
    assert body["message"].endswith("<p>My printer is on fire.</p>")


def test_a_ticket_without_customer_id_goes_by_email_and_needs_one_of_them():
    by_email = a_ticket(requester_id=None, requester_email="rachel@example.com")
    body = tw.ticket_to_teamwork(by_email, inbox_id=1, status_id=None, tag_ids=[])["ticket"]
    assert body["customer"] == {"email": "rachel@example.com"} and "status" not in body
    with pytest.raises(InvalidRecordError):
        tw.ticket_to_teamwork(a_ticket(requester_id=None), inbox_id=1, status_id=None, tag_ids=[])
    with pytest.raises(InvalidRecordError) as refused:
        tw.ticket_to_teamwork(
            a_ticket(assignee_id="agent-9"), inbox_id=1, status_id=None, tag_ids=[]
        )
    assert "agent-9" in refused.value.user_message


def test_public_comments_are_messages_and_private_ones_notes():
    comment = a_ticket().comments[0]
    assert tw.message_to_teamwork(comment)["threadType"] == "message"
    private = comment.model_copy(update={"public": False})
    note = tw.message_to_teamwork(private, file_ids=[3])
    assert note["threadType"] == "note" and note["files"] == [{"id": 3}]


def test_a_message_key_ignores_spacing():
    body = tw.message_html(a_ticket().comments[0])
    assert tw.message_key(body) == tw.message_key(body.replace("</p><p>", "</p>\n\n<p>"))
    assert tw.message_key(body).startswith("On2024-03-0509:30UTC")


def test_customers_carry_the_marker_in_external_id():
    contact = Contact(
        source_id="9", updated_at=at(CREATED), name="Rachel Karen Green", email="R@Example.com"
    )
    body = tw.customer_to_teamwork(contact, marker=MARKER)["customer"]
    assert (body["firstName"], body["lastName"], body["email"]) == (
        "Rachel",
        "Karen Green",
        "r@example.com",
    )
    assert body["externalId"] == MARKER
    assert "externalId" not in tw.customer_to_teamwork(contact, marker="")["customer"]
    nameless = Contact(source_id="9", updated_at=at(CREATED), name="", email="x@example.com")
    assert tw.customer_to_teamwork(nameless, marker="")["customer"]["firstName"] == "x"


def test_help_docs_bodies():
    site = ArticleCategory(source_id="1", updated_at=at(CREATED), name="Help Center")
    body = tw.help_doc_site_to_teamwork(site, subdomain=tw.subdomain_for(site.name, suffix="ab12"))
    assert body == {
        "helpdocssite": {"name": "Help Center", "description": "", "subdomain": "help-center-ab12"}
    }
    section = ArticleSection(
        source_id="2", updated_at=at(CREATED), name="Basics", category_id="7", position=3
    )
    assert tw.help_doc_category_to_teamwork(section, site_id=7, parent_id=None) == {
        "helpdocscategory": {
            "name": "Basics",
            "helpDocsSites_id": 7,
            "parent_id": None,
            "displayOrder": 3,
        }
    }
    article = Article(
        source_id="3", updated_at=at(CREATED), title="Reset", status="published", section_id="5"
    )
    written = tw.help_doc_article_to_teamwork(article, category_id=5)["helpdocarticle"]
    assert (written["status"], written["categories"], written["editMethod"]) == (
        "Published",
        [5],
        "html",
    )
    with pytest.raises(InvalidRecordError):
        tw.help_doc_article_to_teamwork(
            article.model_copy(update={"status": "archived"}), category_id=5
        )
