"""What the matching, mapping and options steps suggest: pure functions, no page."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.edesk import CAPABILITIES as EDESK
from connectors.freshdesk import CAPABILITIES as FRESHDESK
from connectors.schema import (
    Agent,
    ArticleStatusCategory,
    ArticleStatusOption,
    CustomField,
    CustomFieldOption,
    CustomFieldType,
    Entity,
    FieldSchema,
    Group,
    PriorityOption,
    StatusCategory,
    StatusOption,
    TypeOption,
)
from connectors.teamwork_desk import CAPABILITIES as TEAMWORK_DESK
from connectors.zendesk import CAPABILITIES as ZENDESK
from migrator.configuration import CREATE_ON_TARGET, PRIVATE_NOTE
from migrator.discovery import MissingAgent
from wizard import suggestions
from wizard.suggestions import AUTOMATIC, TO_DEFAULT

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def agent(source_id: str, email: str | None, **fields) -> Agent:
    name = fields.pop("name", (email or source_id).split("@")[0].title())
    return Agent(source_id=source_id, updated_at=NOW, name=name, email=email, **fields)


def group(source_id: str, name: str, **fields) -> Group:
    return Group(source_id=source_id, updated_at=NOW, name=name, **fields)


SOURCE_AGENTS = [
    agent("1", "Alice@Acme.example"),
    agent("2", "bruno@acme.example"),
    agent("3", "chloe@acme.example", active=False),
    agent("4", "dmitri@acme.example", active=False, deleted=True),
    agent("5", None, name="No Mail"),
]
TARGET_AGENTS = [
    agent("t1", "alice@acme.example"),
    agent("t2", "CHLOE@acme.example"),
    agent("t3", "bruno@acme.example", active=False),
    agent("t4", "esther@acme.example"),
]


# --------------------------------------------------------------------------- agents & groups


def test_agents_match_by_e_mail_ignoring_case_and_only_active_target_agents():
    suggested = suggestions.suggest_agent_matches(
        source=SOURCE_AGENTS, target=TARGET_AGENTS, create_on_target=False
    )
    assert suggested == {
        "1": "t1",  # same address, other case
        "2": TO_DEFAULT,  # the target's Bruno is deactivated
        "3": TO_DEFAULT,  # inactive on the source: the default agent takes their tickets
        "4": TO_DEFAULT,  # deleted on the source
        "5": TO_DEFAULT,  # no address to match by
    }


def test_active_agents_without_a_match_are_created_where_the_target_can():
    suggested = suggestions.suggest_agent_matches(
        source=SOURCE_AGENTS, target=TARGET_AGENTS, create_on_target=True
    )
    assert suggested["2"] == CREATE_ON_TARGET
    assert suggested["5"] == CREATE_ON_TARGET
    # Inactive and deleted ones are never created: they go to the default agent.
    assert suggested["3"] == suggested["4"] == TO_DEFAULT


def test_groups_match_by_name_ignoring_case():
    source = [
        group("g1", "Technical Support"),
        group("g2", "Returns"),
        group("g3", "Old", deleted=True),
    ]
    target = [group("h1", "technical support"), group("h2", "Billing")]
    assert suggestions.suggest_group_matches(
        source=source, target=target, create_on_target=True
    ) == {
        "g1": "h1",
        "g2": CREATE_ON_TARGET,
        "g3": TO_DEFAULT,
    }
    assert (
        suggestions.suggest_group_matches(source=source, target=target, create_on_target=False)[
            "g2"
        ]
        == TO_DEFAULT
    )


def test_saved_choices_win_while_they_are_still_possible():
    side = suggestions.agent_side(
        source=SOURCE_AGENTS,
        target=TARGET_AGENTS,
        can_create=False,
        # Alice was sent to the default on purpose; Bruno to an agent deleted since.
        agents={"1": TO_DEFAULT, "2": "gone"},
        default_agent_id="t4",
    )
    initial = {row.source_id: row.initial for row in side.rows}
    assert initial["1"] == TO_DEFAULT
    assert initial["2"] == TO_DEFAULT  # the stale choice falls back to the suggestion
    assert side.default_initial == "t4"
    assert [choice.value for choice in side.targets] == ["t1", "t2", "t4"]
    assert [choice.value for choice in side.row_choices][:1] == [TO_DEFAULT]
    assert CREATE_ON_TARGET not in {choice.value for choice in side.row_choices}
    stale_default = suggestions.agent_side(
        source=SOURCE_AGENTS,
        target=TARGET_AGENTS,
        can_create=True,
        agents={},
        default_agent_id="t3",
    )
    assert stale_default.default_initial == ""  # t3 is not active on the target
    assert CREATE_ON_TARGET in {choice.value for choice in stale_default.row_choices}


def test_agents_the_target_reports_missing_are_problems_and_only_active_ones():
    side = suggestions.agent_side(
        source=SOURCE_AGENTS,
        target=TARGET_AGENTS,
        can_create=False,
        agents={},
        default_agent_id=None,
        missing=[
            MissingAgent(email="bruno@acme.example", state="inactive"),
            MissingAgent(email="", state="missing"),
        ],
    )
    problems = {row.source_id: row.problem for row in side.problems}
    # Bruno is deactivated on the target; "No Mail" cannot be matched by address. The
    # inactive and deleted source agents go to the default agent and block nothing.
    assert problems == {"2": "inactive", "5": "missing"}
    assert side.valid_ids == frozenset({"t1", "t2", "t4"})
    without_report = suggestions.agent_side(
        source=SOURCE_AGENTS,
        target=TARGET_AGENTS,
        can_create=False,
        agents={},
        default_agent_id=None,
    )
    assert without_report.problems == []


def test_agents_and_groups_matter_only_when_the_data_refers_to_them():
    tickets = [Entity.TICKETS]
    assert suggestions.agents_matter(entities=tickets, source=ZENDESK, target=FRESHDESK)
    assert suggestions.agents_matter(entities=[Entity.ARTICLES], source=ZENDESK, target=FRESHDESK)
    assert not suggestions.agents_matter(
        entities=[Entity.CONTACTS, Entity.ORGANIZATIONS], source=ZENDESK, target=FRESHDESK
    )
    assert suggestions.groups_matter(entities=tickets, source=ZENDESK, target=FRESHDESK)
    # Teamwork Desk and eDesk have no groups to match.
    assert not suggestions.groups_matter(entities=tickets, source=ZENDESK, target=TEAMWORK_DESK)
    assert not suggestions.groups_matter(entities=tickets, source=ZENDESK, target=EDESK)
    assert not suggestions.groups_matter(
        entities=[Entity.CONTACTS], source=ZENDESK, target=FRESHDESK
    )


def test_with_saved_keeps_allowed_values_only():
    assert suggestions.with_saved(
        suggested={"a": "1", "b": "2", "c": "3"},
        saved={"a": "9", "b": "", "x": "1"},
        allowed={"1", "2", "3", ""},
    ) == {"a": "1", "b": "", "c": "3"}


# --------------------------------------------------------------------------- value maps

ZENDESK_STATUSES = [
    StatusOption(key="z-new", name="New", category=StatusCategory.NEW),
    StatusOption(key="z-open", name="Open", category=StatusCategory.OPEN),
    StatusOption(key="z-pending", name="Pending", category=StatusCategory.PENDING),
    StatusOption(key="z-hold", name="On-hold", category=StatusCategory.HOLD),
    StatusOption(key="z-solved", name="Solved", category=StatusCategory.SOLVED),
    StatusOption(key="closed", name="Closed", category=StatusCategory.CLOSED),
]
FRESHDESK_STATUSES = [
    StatusOption(key="2", name="Open", category=StatusCategory.OPEN, default=True),
    StatusOption(key="3", name="Pending", category=StatusCategory.PENDING),
    StatusOption(key="6", name="Waiting on Customer", category=StatusCategory.PENDING),
    StatusOption(key="4", name="Resolved", category=StatusCategory.SOLVED),
    StatusOption(key="5", name="Closed", category=StatusCategory.CLOSED),
    StatusOption(key="9", name="On-hold", category=StatusCategory.HOLD, active=False),
]


def test_statuses_match_by_name_then_fall_back_by_category():
    suggested = suggestions.suggest_status_map(source=ZENDESK_STATUSES, target=FRESHDESK_STATUSES)
    assert suggested == {
        "z-new": "2",  # no "new" on the target: open
        "z-open": "2",
        "z-pending": "3",
        # The target's On-hold is deactivated: on-hold falls back to open.
        "z-hold": "2",
        "z-solved": "4",  # by category: Resolved
        "closed": "5",
    }


def test_on_hold_is_kept_where_the_target_has_it():
    target = [*FRESHDESK_STATUSES[:-1], StatusOption(key="7", name="ON-HOLD", category="hold")]
    assert suggestions.suggest_status_map(source=ZENDESK_STATUSES, target=target)["z-hold"] == "7"


def test_status_map_rows_carry_the_category_and_need_a_choice():
    value_map = suggestions.status_map(
        source=FieldSchema(statuses=ZENDESK_STATUSES),
        target=FieldSchema(statuses=FRESHDESK_STATUSES),
        saved={"z-open": "6", "z-new": "9"},
    )
    rows = {row.key: row for row in value_map.rows}
    assert rows["z-open"].initial == "6"  # saved
    assert rows["z-new"].initial == "2"  # the saved status is inactive on the target now
    assert str(rows["z-hold"].detail) == "on hold"
    assert value_map.automatic_label is None
    assert "9" not in value_map.allowed and "" not in value_map.allowed


def test_types_and_priorities_match_by_name_and_rank():
    types = suggestions.suggest_type_map(
        source=[TypeOption(key="question", name="Question"), TypeOption(key="task", name="Task")],
        target=[TypeOption(key="1", name="question"), TypeOption(key="2", name="Incident")],
    )
    assert types == {"question": "1", "task": AUTOMATIC}
    priorities = suggestions.suggest_priority_map(
        source=[
            PriorityOption(key="low", name="Low", rank=1),
            PriorityOption(key="normal", name="Normal", rank=2),
            PriorityOption(key="urgent", name="Urgent", rank=5),
        ],
        target=[
            PriorityOption(key="1", name="Low", rank=1),
            PriorityOption(key="2", name="Medium", rank=2),
            PriorityOption(key="4", name="Urgent", rank=4),
        ],
    )
    assert priorities == {"low": "1", "normal": "2", "urgent": "4"}
    value_map = suggestions.type_map(
        source=FieldSchema(types=[TypeOption(key="task", name="Task")]),
        target=FieldSchema(types=[TypeOption(key="1", name="Question")]),
        saved={},
    )
    assert value_map.rows[0].initial == AUTOMATIC
    assert [choice.value for choice in value_map.all_choices] == [AUTOMATIC, "1"]


def test_article_statuses_fall_back_by_category_then_to_the_first():
    source = [
        ArticleStatusOption(key="draft", name="Draft", category=ArticleStatusCategory.DRAFT),
        ArticleStatusOption(key="live", name="Published", category=ArticleStatusCategory.PUBLISHED),
        ArticleStatusOption(key="old", name="Archived", category=ArticleStatusCategory.ARCHIVED),
    ]
    target = [
        ArticleStatusOption(key="1", name="Draft", category=ArticleStatusCategory.DRAFT),
        ArticleStatusOption(key="2", name="Visible", category=ArticleStatusCategory.PUBLISHED),
    ]
    assert suggestions.suggest_article_status_map(source=source, target=target) == {
        "draft": "1",
        "live": "2",
        "old": "1",
    }


# --------------------------------------------------------------------------- custom fields


def custom(key: str, title: str, kind: CustomFieldType, *options: str) -> CustomField:
    return CustomField(
        key=key,
        title=title,
        type=kind,
        options=[CustomFieldOption(key=f"{key}-{o.lower()}", name=o) for o in options],
    )


SOURCE_FIELDS = [
    custom("100", "Order number", CustomFieldType.TEXT),
    custom("101", "Product", CustomFieldType.DROPDOWN, "Laptop", "Phone", "Tablet"),
    custom("102", "Purchase date", CustomFieldType.DATE),
    custom("103", "Quantity", CustomFieldType.INTEGER),
]
TARGET_FIELDS = [
    custom("cf_order_number", "ORDER NUMBER", CustomFieldType.INTEGER),
    custom("cf_product", "product", CustomFieldType.DROPDOWN, "Laptop", "PHONE", "Printer"),
    custom("cf_purchase_date", "Purchase Date", CustomFieldType.DATE),
    custom("cf_notes", "Notes", CustomFieldType.TEXTAREA),
]


def test_custom_fields_match_by_title_ignoring_case_between_compatible_types():
    suggested = suggestions.suggest_custom_field_map(
        source=SOURCE_FIELDS, target=TARGET_FIELDS, target_has_fields=True
    )
    assert suggested == {
        "100": PRIVATE_NOTE,  # same title, but a text cannot go into a number field
        "101": "cf_product",
        "102": "cf_purchase_date",
        "103": PRIVATE_NOTE,
    }
    everything_in_notes = suggestions.suggest_custom_field_map(
        source=SOURCE_FIELDS, target=TARGET_FIELDS, target_has_fields=False
    )
    assert set(everything_in_notes.values()) == {PRIVATE_NOTE}


def test_only_compatible_target_fields_are_offered():
    quantity = SOURCE_FIELDS[3]
    offered = suggestions.compatible_target_fields(source_field=quantity, target=TARGET_FIELDS)
    assert [f.key for f in offered] == ["cf_order_number", "cf_notes"]
    plan = suggestions.custom_field_plan(
        source=FieldSchema(custom_fields=SOURCE_FIELDS),
        target=FieldSchema(custom_fields=TARGET_FIELDS),
        target_has_fields=True,
        saved={"103": "cf_order_number", "100": "cf_product"},  # the second is incompatible
        saved_values={},
    )
    rows = {row.field.key: row for row in plan.rows}
    assert rows["103"].initial == "cf_order_number"
    assert rows["100"].initial == PRIVATE_NOTE
    assert [choice.value for choice in rows["100"].choices] == ["cf_notes", PRIVATE_NOTE]


def test_dropdown_values_map_by_name_with_saved_choices():
    plan = suggestions.custom_field_plan(
        source=FieldSchema(custom_fields=SOURCE_FIELDS),
        target=FieldSchema(custom_fields=TARGET_FIELDS),
        target_has_fields=True,
        saved={},
        saved_values={"101": {"101-tablet": "cf_product-printer"}},
    )
    value_map = plan.value_map("101", "cf_product")
    assert {row.key: row.initial for row in value_map.rows} == {
        "101-laptop": "cf_product-laptop",
        "101-phone": "cf_product-phone",  # "PHONE" on the target
        "101-tablet": "cf_product-printer",  # saved
    }
    assert value_map.all_choices[0].value == AUTOMATIC
    # A dropdown going into a text field, or a field it cannot go to, has no value map.
    assert plan.value_map("101", "cf_notes") is None
    assert plan.value_map("101", "cf_order_number") is None
    assert plan.value_map("100", "cf_product") is None


# ----------------------------------------------------------------------- system fields & options


def test_system_fields_follow_what_the_target_keeps():
    freshdesk = [
        str(label)
        for label in suggestions.system_fields(
            source=ZENDESK, target=FRESHDESK, entities=[Entity.TICKETS]
        )
    ]
    assert "Subject" in freshdesk and "Tags" in freshdesk
    assert "Group (from the group matching)" in freshdesk
    edesk = [
        str(label)
        for label in suggestions.system_fields(
            source=ZENDESK, target=EDESK, entities=[Entity.TICKETS]
        )
    ]
    assert "Tags" not in edesk and "Group (from the group matching)" not in edesk
    assert "Created, updated and solved dates" in edesk  # eDesk keeps the dates
    assert (
        suggestions.system_fields(source=ZENDESK, target=FRESHDESK, entities=[Entity.ORGANIZATIONS])
        == []
    )


def test_options_are_those_the_pair_makes_meaningful():
    everything = [Entity.TICKETS, Entity.ARTICLES]
    to_freshdesk = suggestions.available_options(
        entities=everything, source=ZENDESK, target=FRESHDESK
    )
    # Freshdesk shows inline images itself: no need to turn them into attachments.
    assert to_freshdesk == [
        "skip_attachments",
        "migrated_tag",
        "side_conversations_as_notes",
        "call_recordings_as_notes",
        "translations",
        "verify_migrated",
    ]
    to_teamwork = suggestions.available_options(
        entities=everything, source=ZENDESK, target=TEAMWORK_DESK
    )
    assert "inline_images_as_attachments" in to_teamwork
    assert "translations" not in to_teamwork  # Teamwork Desk keeps no translations
    to_edesk = suggestions.available_options(
        entities=[Entity.TICKETS], source=ZENDESK, target=EDESK
    )
    assert "migrated_tag" not in to_edesk  # eDesk cannot tag tickets
    contacts_only = suggestions.available_options(
        entities=[Entity.CONTACTS], source=ZENDESK, target=FRESHDESK
    )
    assert contacts_only == ["verify_migrated"]  # verification applies to every record
    assert suggestions.demo_entities(
        entities=[Entity.ARTICLES, Entity.CONTACTS, Entity.TICKETS]
    ) == [
        Entity.TICKETS,
        Entity.ARTICLES,
    ]
