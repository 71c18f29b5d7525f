from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from connectors.schema import (
    RECORD_TYPES,
    Agent,
    Article,
    Attachment,
    Comment,
    Contact,
    CustomField,
    CustomFieldOption,
    CustomFieldType,
    Entity,
    FieldSchema,
    StatusCategory,
    StatusOption,
    Ticket,
    are_field_types_compatible,
    compatible_field_types,
    convert_custom_value,
    fallback_status,
    html_to_text,
    inline_images_from_html,
    match_custom_fields,
    record_type,
    text_to_html,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def comment(**overrides: object) -> Comment:
    values: dict[str, object] = {"source_id": "c1", "public": True, "created_at": NOW}
    values.update(overrides)
    return Comment.model_validate(values)


def status(key: str, category: StatusCategory, *, default: bool = False) -> StatusOption:
    return StatusOption(key=key, name=key.title(), category=category, default=default)


# --------------------------------------------------------------------------- entities


def test_entities_come_in_dependency_order() -> None:
    order = list(Entity)
    assert order[:5] == [
        Entity.ORGANIZATIONS,
        Entity.GROUPS,
        Entity.AGENTS,
        Entity.CONTACTS,
        Entity.TICKETS,
    ]
    for entity in Entity:
        assert all(
            order.index(dependency) < order.index(entity) for dependency in entity.dependencies
        )
    assert Entity.in_dependency_order({Entity.ARTICLES, Entity.CONTACTS, Entity.GROUPS}) == [
        Entity.GROUPS,
        Entity.CONTACTS,
        Entity.ARTICLES,
    ]


def test_every_entity_has_its_record_type() -> None:
    assert set(RECORD_TYPES) == set(Entity)
    for entity, model in RECORD_TYPES.items():
        assert model.entity is entity
        assert record_type(entity) is model
        assert {"source_id", "updated_at"} <= set(model.model_fields)


# --------------------------------------------------------------------------- records


def test_dates_must_carry_a_time_zone_and_are_kept_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    agent = Agent(source_id="7", updated_at=datetime(2024, 5, 1, 14, 0, tzinfo=paris), name="Ann")
    assert agent.updated_at == NOW
    assert agent.updated_at.tzinfo is UTC
    with pytest.raises(ValidationError, match="timezone"):
        Agent(source_id="7", updated_at=datetime(2024, 5, 1, 14, 0), name="Ann")


def test_records_refuse_unknown_fields_and_empty_ids() -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Agent(source_id="7", updated_at=NOW, name="Ann", shoe_size=42)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="source_id"):
        Agent(source_id="", updated_at=NOW, name="Ann")
    agent = Agent(source_id="7", updated_at=NOW, name="Ann")
    with pytest.raises(ValidationError):
        agent.updated_at = "not a date"  # type: ignore[assignment]


def test_contact_emails_are_normalised_and_not_repeated() -> None:
    contact = Contact(
        source_id="1",
        updated_at=NOW,
        name="Rachel",
        email=" Rachel@Freshdesk.com ",
        other_emails=["rachel@freshdesk.com", "R@Home.test", "r@home.test", ""],
    )
    assert contact.email == "rachel@freshdesk.com"
    assert contact.other_emails == ["r@home.test"]
    assert contact.all_emails == ["rachel@freshdesk.com", "r@home.test"]


def test_comment_fills_the_missing_body() -> None:
    from_text = comment(text_body="Hello <team>\n\nLine one\nLine two")
    assert from_text.html_body == "<p>Hello &lt;team&gt;</p><p>Line one<br>Line two</p>"
    from_html = comment(html_body="<div>Hello <b>team</b></div><p>Bye&amp;thanks</p>")
    assert from_html.text_body == "Hello team\n\nBye&thanks"
    assert from_html.updated_at == NOW


def test_comment_splits_inline_images_from_files() -> None:
    image = Attachment(source_id="1", file_name="a.png", url="https://x.test/a.png", inline=True)
    pdf = Attachment(source_id="2", file_name="b.pdf", url="https://x.test/b.pdf", size=10)
    note = comment(attachments=[image, pdf])
    assert note.inline_images == [image]
    assert note.file_attachments == [pdf]
    with pytest.raises(ValidationError, match="size"):
        Attachment(source_id="3", file_name="c", url="https://x.test/c", size=-1)


def test_ticket_keeps_its_thread_and_survives_json() -> None:
    opening = comment(source_id="1", text_body="My printer is on fire")
    reply = comment(
        source_id="2",
        public=False,
        created_at=NOW + timedelta(hours=1),
        attachments=[Attachment(source_id="9", file_name="log.txt", url="https://x.test/log")],
    )
    ticket = Ticket(
        source_id="35436",
        updated_at=NOW,
        created_at=NOW,
        subject="Help",
        status="hold",
        status_category=StatusCategory.HOLD,
        tags=["vip", "vip", "printer"],
        cc_emails=["A@x.test", "a@x.test"],
        custom_fields={"27642": "745", "multi": ["a", "b"], "flag": True},
        comments=[opening, reply],
    )
    assert ticket.tags == ["vip", "printer"]
    assert ticket.cc_emails == ["a@x.test"]
    assert ticket.opening_comment == opening
    assert [attachment.source_id for attachment in ticket.attachments] == ["9"]
    assert Ticket.model_validate_json(ticket.model_dump_json()) == ticket


def test_article_needs_a_title_status_and_section() -> None:
    with pytest.raises(ValidationError) as caught:
        Article.model_validate({"source_id": "1", "updated_at": NOW, "title": ""})
    fields = {error["loc"][0] for error in caught.value.errors()}
    assert fields == {"title", "status", "section_id"}


# --------------------------------------------------------------------------- field schemas


def test_field_schema_refuses_duplicate_keys() -> None:
    with pytest.raises(ValidationError, match="statuses has duplicate keys: open"):
        FieldSchema(
            statuses=[status("open", StatusCategory.OPEN), status("open", StatusCategory.NEW)]
        )


def test_only_choice_fields_have_options() -> None:
    option = CustomFieldOption(key="red", name="Red")
    CustomField(key="1", title="Colour", type=CustomFieldType.DROPDOWN, options=[option])
    with pytest.raises(ValidationError, match="cannot have options"):
        CustomField(key="1", title="Colour", type=CustomFieldType.TEXT, options=[option])


def test_status_falls_back_by_category() -> None:
    target = [
        status("open", StatusCategory.OPEN, default=True),
        status("waiting", StatusCategory.PENDING),
        status("pending", StatusCategory.PENDING, default=True),
        status("solved", StatusCategory.SOLVED, default=True),
    ]
    assert fallback_status(category=StatusCategory.HOLD, available=target).key == "open"
    assert fallback_status(category=StatusCategory.PENDING, available=target).key == "pending"
    assert fallback_status(category=StatusCategory.CLOSED, available=target).key == "solved"
    assert fallback_status(category=StatusCategory.NEW, available=target).key == "open"
    with_hold = [*target, status("hold", StatusCategory.HOLD)]
    assert fallback_status(category=StatusCategory.HOLD, available=with_hold).key == "hold"
    inactive = [StatusOption(key="o", name="O", category=StatusCategory.OPEN, active=False)]
    assert fallback_status(category=StatusCategory.OPEN, available=inactive) is None


def test_compatible_custom_field_types() -> None:
    T = CustomFieldType
    assert are_field_types_compatible(source_type=T.INTEGER, target_type=T.DECIMAL)
    assert not are_field_types_compatible(source_type=T.DECIMAL, target_type=T.INTEGER)
    assert are_field_types_compatible(source_type=T.DROPDOWN, target_type=T.MULTISELECT)
    assert not are_field_types_compatible(source_type=T.MULTISELECT, target_type=T.DROPDOWN)
    assert not are_field_types_compatible(source_type=T.CHECKBOX, target_type=T.TEXT)
    assert not are_field_types_compatible(source_type=T.TEXT, target_type=T.REGEXP)
    assert all(
        are_field_types_compatible(source_type=source, target_type=T.TEXTAREA) for source in T
    )
    assert compatible_field_types(source_type=T.CHECKBOX) == {T.CHECKBOX, T.TEXTAREA}
    assert compatible_field_types(source_type=T.DATE) == {T.DATE, T.TEXT, T.TEXTAREA}


def test_custom_fields_match_by_title_between_compatible_types() -> None:
    source = [
        CustomField(key="27642", title="Order number", type=CustomFieldType.INTEGER),
        CustomField(key="27648", title="Under warranty", type=CustomFieldType.CHECKBOX),
        CustomField(key="27650", title="Notes", type=CustomFieldType.TEXTAREA),
    ]
    target = [
        CustomField(key="cf_order_number", title="ORDER NUMBER ", type=CustomFieldType.DECIMAL),
        CustomField(key="cf_under_warranty", title="Under warranty", type=CustomFieldType.TEXT),
        CustomField(key="cf_notes", title="notes", type=CustomFieldType.TEXTAREA),
    ]
    assert match_custom_fields(source=source, target=target) == {
        "27642": "cf_order_number",
        "27650": "cf_notes",
    }


@pytest.mark.parametrize(
    ("value", "field_type", "expected"),
    [
        ("745", CustomFieldType.INTEGER, 745),
        ("745.0", CustomFieldType.INTEGER, 745),
        ("2.5", CustomFieldType.DECIMAL, 2.5),
        ("yes", CustomFieldType.CHECKBOX, True),
        (False, CustomFieldType.CHECKBOX, False),
        ("2024-05-01T10:00:00Z", CustomFieldType.DATE, "2024-05-01"),
        ("red", CustomFieldType.MULTISELECT, ["red"]),
        (["a", "b"], CustomFieldType.TEXTAREA, "a, b"),
        (True, CustomFieldType.TEXT, "true"),
        ("", CustomFieldType.INTEGER, None),
        (None, CustomFieldType.DATE, None),
    ],
)
def test_custom_values_convert_between_types(
    value: object, field_type: CustomFieldType, expected: object
) -> None:
    assert convert_custom_value(value, field_type=field_type) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "field_type"),
    [
        ("7.5", CustomFieldType.INTEGER),
        ("seven", CustomFieldType.DECIMAL),
        ("maybe", CustomFieldType.CHECKBOX),
        ("1st of May", CustomFieldType.DATE),
        (["a"], CustomFieldType.TEXT),
        (True, CustomFieldType.INTEGER),
    ],
)
def test_custom_values_that_do_not_fit_are_refused(
    value: object, field_type: CustomFieldType
) -> None:
    with pytest.raises(ValueError):
        convert_custom_value(value, field_type=field_type)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- HTML helpers


def test_inline_images_are_found_in_html() -> None:
    markup = (
        '<p>See <img src="https://acme.freshdesk.com/helpdesk/attachments/42/screen%20shot.png">'
        ' and <img src="data:image/png;base64,AAAA"> and '
        '<img src="https://files.test/listed.jpg"></p>'
        '<img src="https://acme.freshdesk.com/helpdesk/attachments/42/screen%20shot.png">'
    )
    images = inline_images_from_html(markup, exclude_urls=["https://files.test/listed.jpg"])
    assert len(images) == 1
    image = images[0]
    assert image.inline
    assert image.file_name == "screen shot.png"
    assert image.content_type == "image/png"
    assert image.size is None
    assert image.source_id.startswith("inline-")
    assert inline_images_from_html(markup)[0].source_id == image.source_id


def test_html_and_text_conversions() -> None:
    assert html_to_text("<ol><li>One</li><li>Two &amp; three</li></ol>") == "One\nTwo & three"
    assert text_to_html("a\r\nb") == "<p>a<br>b</p>"
    assert text_to_html("") == ""
