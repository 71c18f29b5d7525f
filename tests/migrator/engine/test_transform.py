"""The transform: references, value maps, custom fields, options, HTML and attachments."""

from __future__ import annotations

import pytest

from connectors.base import TranslationLanguages
from connectors.schema import (
    ArticleTranslation,
    Attachment,
    AuthorKind,
    Comment,
    CommentKind,
    Entity,
)
from migrator.configuration import PRIVATE_NOTE, FieldMappings, Filters, Matches, Options
from migrator.engine.transform import (
    PairFacts,
    RecordSkipped,
    References,
    Transformer,
    repaired_html,
)
from tests.migrator.engine import memory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def transformer(
    *,
    known: dict[tuple[Entity, str], str] | None = None,
    matches: Matches | None = None,
    mappings: FieldMappings | None = None,
    options: Options | None = None,
    filters: Filters | None = None,
    target_capabilities=None,
    target_fields=None,
    target_languages=lambda: None,
) -> Transformer:
    matches = matches or Matches()
    references = References(migration_id=0, namespace="main", matches=matches)
    for (entity, source_id), target_id in (known or {}).items():
        references.remember(entity, source_id, target_id)
    capabilities = target_capabilities or memory.MemoryDesk.capabilities
    return Transformer(
        facts=PairFacts(
            source_name="Memory Source",
            source_capabilities=memory.MemoryDesk.capabilities,
            target_capabilities=capabilities,
            source_fields=memory.SOURCE_FIELDS,
            target_fields=target_fields or memory.TARGET_FIELDS,
            target_languages=target_languages,
        ),
        references=references,
        filters=filters or Filters(),
        matches=matches,
        mappings=mappings or FieldMappings(),
        options=options or Options(),
    )


PEOPLE = {
    (Entity.CONTACTS, "500"): "9500",
    (Entity.AGENTS, "7"): "907",
    (Entity.GROUPS, "3"): "903",
    (Entity.ORGANIZATIONS, "40"): "940",
}


def test_references_become_target_ids():
    prepared = transformer(known=PEOPLE).prepare(
        memory.ticket(1, assignee_id="7", group_id="3", organization_id="40", follower_ids=["7"])
    )
    ticket = prepared.record
    assert ticket.requester_id == "9500"
    assert ticket.assignee_id == "907"
    assert ticket.group_id == "903"
    assert ticket.organization_id == "940"
    assert ticket.follower_ids == ["907"]
    assert {comment.author_id for comment in ticket.comments} == {"9500"}
    assert prepared.notes == []


def test_a_deleted_or_unmatched_agent_gives_the_ticket_to_the_default_agent():
    matches = Matches(default_agent_id="901", default_group_id="990")
    prepared = transformer(known=PEOPLE, matches=matches).prepare(
        memory.ticket(1, assignee_id="66", group_id="67")
    )
    assert prepared.record.assignee_id == "901"
    assert prepared.record.group_id == "990"
    assert any("Agent 66" in note and "default agent" in note for note in map(str, prepared.notes))


def test_an_agent_matched_by_hand_is_used_when_agents_are_not_migrated():
    matches = Matches(agents={"66": "8066"})
    prepared = transformer(known=PEOPLE, matches=matches).prepare(
        memory.ticket(1, assignee_id="66")
    )
    assert prepared.record.assignee_id == "8066"


def test_unassigned_tickets_get_the_default_agent_only_when_asked():
    plain = transformer(known=PEOPLE, matches=Matches(default_agent_id="901"))
    assert plain.prepare(memory.ticket(1)).record.assignee_id is None
    asked = transformer(
        known=PEOPLE, matches=Matches(default_agent_id="901", assign_unassigned_to_default=True)
    )
    assert asked.prepare(memory.ticket(1)).record.assignee_id == "901"


def test_a_ticket_without_any_requester_is_skipped_with_a_reason():
    with pytest.raises(RecordSkipped, match="no requester"):
        transformer().prepare(memory.ticket(1, requester_id=None, requester_email=None))
    with pytest.raises(RecordSkipped, match=r"requester \(404\) was not migrated"):
        transformer().prepare(memory.ticket(1, requester_id="404", requester_email=None))


def test_an_unmigrated_requester_with_an_email_travels_by_email():
    prepared = transformer().prepare(memory.ticket(1, requester_id="404"))
    assert prepared.record.requester_id is None
    assert prepared.record.requester_email == "contact500@example.com"
    assert any("e-mail address" in note for note in map(str, prepared.notes))


def test_statuses_follow_the_value_map_then_fall_back_by_category():
    mapped = transformer(known=PEOPLE, mappings=FieldMappings(statuses={"open": "3"}))
    assert mapped.prepare(memory.ticket(1)).record.status == "3"
    plain = transformer(known=PEOPLE)
    assert plain.prepare(memory.ticket(1)).record.status == "2"
    on_hold = plain.prepare(memory.ticket(2, status="hold", status_category="hold"))
    assert on_hold.record.status == "2"  # On-hold is sent as Open, like ticket sharing does
    assert any("'On-hold'" in note and "'Open'" in note for note in map(str, on_hold.notes))


def test_types_and_priorities_follow_maps_names_and_ranks():
    prepared = transformer(known=PEOPLE, mappings=FieldMappings(types={"incident": "Problem"}))
    ticket = prepared.prepare(memory.ticket(1, type="incident", priority="urgent")).record
    assert ticket.type == "Problem"
    assert ticket.priority == "4"
    question = prepared.prepare(memory.ticket(2, type="question")).record
    assert question.type == "Question"


def test_custom_fields_go_to_matching_target_fields_and_the_rest_into_a_private_note():
    ticket = memory.ticket(1, custom_fields={"100": "1234", "101": "plan_gold", "102": "VIP"})
    prepared = transformer(known=PEOPLE).prepare(ticket)
    assert prepared.record.custom_fields == {"cf_order_number": 1234, "cf_plan": "Gold"}
    note = prepared.record.comments[1]
    assert note.public is False
    assert note.source_id == "custom-fields-1"
    assert "Internal remark: VIP" in note.html_body
    assert note.created_at == ticket.comments[0].created_at


def test_custom_fields_mapped_to_the_note_or_unconvertible_go_into_the_note():
    mappings = FieldMappings(custom_fields={"101": PRIVATE_NOTE})
    ticket = memory.ticket(1, custom_fields={"100": "12.5", "101": "plan_gold"})
    prepared = transformer(known=PEOPLE, mappings=mappings).prepare(ticket)
    assert prepared.record.custom_fields == {}
    note = prepared.record.comments[1].html_body
    assert "Plan: Gold" in note
    assert "Order number: 12.5" in note
    assert any("could not go into" in n for n in map(str, prepared.notes))


def test_a_target_without_custom_fields_gets_them_all_in_the_note():
    capabilities = memory.MemoryDesk.capabilities.model_copy(update={"custom_fields": False})
    prepared = transformer(known=PEOPLE, target_capabilities=capabilities).prepare(
        memory.ticket(1, custom_fields={"100": "7"})
    )
    assert prepared.record.custom_fields == {}
    assert "Order number: 7" in prepared.record.comments[1].html_body


def test_side_conversations_and_call_recordings_follow_the_options():
    ticket = memory.ticket(1)
    extra = [
        Comment(
            source_id="side",
            public=True,
            kind=CommentKind.SIDE_CONVERSATION,
            html_body="<p>Asked the vendor</p>",
            created_at=ticket.created_at,
            author_kind=AuthorKind.AGENT,
        ),
        Comment(
            source_id="call",
            public=True,
            kind=CommentKind.CALL_RECORDING,
            html_body="<p>Call</p>",
            created_at=ticket.created_at,
        ),
    ]
    ticket = ticket.model_copy(update={"comments": [*ticket.comments, *extra]})
    left_out = transformer(known=PEOPLE).prepare(ticket)
    assert [c.source_id for c in left_out.record.comments] == ["1-0", "1-1"]
    assert any("side conversation" in note for note in map(str, left_out.notes))
    kept = transformer(
        known=PEOPLE,
        options=Options(side_conversations_as_notes=True, call_recordings_as_notes=True),
    ).prepare(ticket)
    notes = {c.source_id: c for c in kept.record.comments}
    assert notes["side"].public is False and "Side conversation" in notes["side"].html_body
    assert notes["call"].kind is CommentKind.MESSAGE and "Call recording" in notes["call"].html_body


def test_malformed_comment_html_is_repaired_and_said_so():
    ticket = memory.ticket(1)
    broken = ticket.comments[0].model_copy(
        update={"html_body": "<div><p>Hello <b>there</div></i><table><tr><td>cell"}
    )
    ticket = ticket.model_copy(update={"comments": [broken, *ticket.comments[1:]]})
    prepared = transformer(known=PEOPLE).prepare(ticket)
    body = prepared.record.comments[0].html_body
    assert body == "<div><p>Hello <b>there</b></p></div><table><tr><td>cell</td></tr></table>"
    assert any("malformed HTML" in note for note in map(str, prepared.notes))


@pytest.mark.parametrize(
    "markup",
    [
        "<p>fine</p>",
        "<p>one<p>two",  # end tags HTML lets a writer leave out
        "<ul><li>a<li>b</ul>",
        "plain text",
        '<img src="x.png"><br>text',
    ],
)
def test_valid_html_is_left_alone(markup):
    assert repaired_html(markup) == (markup, False)


def test_tags_and_the_migrated_tag():
    prepared = transformer(known=PEOPLE, options=Options(migrated_tag="migrated")).prepare(
        memory.ticket(1, tags=["vip"])
    )
    assert prepared.record.tags == ["vip", "migrated"]


def _with_attachments(*attachments: Attachment):
    ticket = memory.ticket(1)
    opening = ticket.comments[0].model_copy(update={"attachments": list(attachments)})
    return ticket.model_copy(update={"comments": [opening, *ticket.comments[1:]]})


def test_attachments_over_the_target_limit_are_dropped_with_the_reason():
    big = Attachment(source_id="a1", file_name="scan.pdf", size=11 * MB, url="mem://scan.pdf")
    small = Attachment(source_id="a2", file_name="note.txt", size=10, url="mem://note.txt")
    prepared = transformer(known=PEOPLE, options=Options(max_attachment_bytes=10 * MB)).prepare(
        _with_attachments(big, small)
    )
    assert [a.source_id for a in prepared.record.comments[0].attachments] == ["a2"]
    [dropped] = prepared.dropped
    assert dropped.attachment.source_id == "a1"
    assert str(dropped.reason) == (
        "The attachment scan.pdf is 11 MB; the target accepts at most 10 MB per file."
    )


def test_inline_images_follow_the_target_and_the_option():
    image = Attachment(source_id="i1", file_name="logo.png", url="mem://logo.png", inline=True)
    left_out = transformer(known=PEOPLE).prepare(_with_attachments(image))
    assert left_out.record.comments[0].attachments == []
    assert any("inline image" in note for note in map(str, left_out.notes))
    as_files = transformer(
        known=PEOPLE, options=Options(inline_images_as_attachments=True)
    ).prepare(_with_attachments(image))
    [attachment] = as_files.record.comments[0].attachments
    assert attachment.inline is False


def test_skip_attachments_removes_them_all():
    small = Attachment(source_id="a2", file_name="note.txt", size=10, url="mem://note.txt")
    prepared = transformer(known=PEOPLE, options=Options(skip_attachments=True)).prepare(
        _with_attachments(small)
    )
    assert prepared.record.comments[0].attachments == []
    assert prepared.dropped == []


def test_filters_leave_out_tickets_by_date_and_tags():
    from datetime import date

    by_date = transformer(filters=Filters(created_from=date(2024, 1, 2)))
    assert by_date.excluded_by_filters(memory.ticket(1))
    by_tag = transformer(filters=Filters(tags=["VIP"]))
    assert by_tag.excluded_by_filters(memory.ticket(1))
    assert not by_tag.excluded_by_filters(memory.ticket(2, tags=["vip"]))
    assert not by_tag.excluded_by_filters(memory.contact(1))


def test_articles_need_their_section_and_map_statuses():
    known = {(Entity.ARTICLE_SECTIONS, "20"): "920", (Entity.ARTICLE_CATEGORIES, "10"): "910"}
    prepared = transformer(known=known).prepare(memory.article(1, "20", category_id="10"))
    assert prepared.record.section_id == "920"
    assert prepared.record.category_id == "910"
    assert prepared.record.status == "2"
    with pytest.raises(RecordSkipped, match="section or folder 21 was not migrated"):
        transformer(known=known).prepare(memory.article(2, "21"))
    mapped = transformer(known=known, mappings=FieldMappings(article_statuses={"published": "1"}))
    assert mapped.prepare(memory.article(3, "20")).record.status == "1"


def test_translations_in_languages_the_target_lacks_are_left_out_with_a_note():
    asked = []

    def languages():
        asked.append(1)
        return TranslationLanguages(primary="en", accepted=("fr", "pt-BR"))

    known = {(Entity.ARTICLE_SECTIONS, "20"): "920"}
    transform = transformer(known=known, target_languages=languages)
    article = memory.article(1, "20").model_copy(
        update={
            "locale": "es",
            "translations": [
                ArticleTranslation(locale="es", title="El artículo"),
                ArticleTranslation(locale="fr-fr", title="L'article"),
                ArticleTranslation(locale="pt", title="O artigo"),
                ArticleTranslation(locale="de", title="Der Artikel"),
                ArticleTranslation(locale="en-us", title="The article"),
            ],
        }
    )
    prepared = transform.prepare(article)
    # Kept in the target's spelling of the language; the article's own language stays.
    assert [t.locale for t in prepared.record.translations] == ["es", "fr", "pt-BR"]
    assert [str(note) for note in prepared.notes] == [
        "The German translation was not migrated: the target help desk does not have "
        "German enabled.",
        "The English translation was not migrated: English is the target help desk's main "
        "language, which the article itself is written in.",
    ]
    # The target's languages are read once, however many articles there are.
    transform.prepare(article.model_copy(update={"source_id": "2"}))
    transform.prepare(memory.article(3, "20"))
    assert len(asked) == 1
    # A target that takes any language (None) keeps them all.
    anything = transformer(known=known).prepare(article)
    assert len(anything.record.translations) == 5 and not anything.notes


def test_sections_need_their_category_and_keep_a_migrated_parent():
    known = {(Entity.ARTICLE_CATEGORIES, "10"): "910", (Entity.ARTICLE_SECTIONS, "20"): "920"}
    prepared = transformer(known=known).prepare(memory.section(21, "10", parent_section_id="20"))
    assert (prepared.record.category_id, prepared.record.parent_section_id) == ("910", "920")
    orphan = transformer(known=known).prepare(memory.section(22, "10", parent_section_id="99"))
    assert orphan.record.parent_section_id is None and orphan.notes
    with pytest.raises(RecordSkipped):
        transformer(known=known).prepare(memory.section(23, "11"))


def test_contacts_and_agents_point_at_migrated_organizations_and_groups():
    prepared = transformer(known=PEOPLE).prepare(memory.contact(1, organization_id="40"))
    assert prepared.record.organization_id == "940"
    agent = transformer(known=PEOPLE).prepare(memory.agent(1, group_ids=["3", "99"]))
    assert agent.record.group_ids == ["903"]
