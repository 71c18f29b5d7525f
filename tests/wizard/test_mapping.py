"""Step 5, mapping fields, through the test client against the emulators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connectors.schema import Entity
from migrator import configuration, discovery, services
from tests.wizard.configure_support import (
    live_site_url,
    sandbox_migration,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_url(live_server, settings) -> str:
    return live_site_url(live_server, settings)


ENTITIES = [
    Entity.TICKETS,
    Entity.ARTICLE_CATEGORIES,
    Entity.ARTICLE_SECTIONS,
    Entity.ARTICLES,
]


def matched(migration):
    services.migration_configure(migration=migration, matches=configuration.Matches())
    migration.refresh_from_db()
    return migration


@pytest.fixture
def freshdesk(user, site_url):
    return matched(sandbox_migration(owner=user, site_url=site_url, entities=ENTITIES))


def shown(response, attribute: str) -> dict[str, str]:
    """Source option name -> target option name, as the page pre-selects them."""
    page = response.context["page"]
    names = {choice.value: str(choice.label) for choice in page.value_maps[attribute].all_choices}
    return {
        row.name: names[field.value()]
        for row, field in response.context["form"].value_rows(attribute)
    }


def custom_shown(response) -> dict[str, str]:
    return {
        row.field.title: select.value()
        for _i, row, select, _v in response.context["form"].custom_rows()
    }


def post_data(response) -> dict[str, str]:
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def test_suggestions_follow_names_categories_and_titles(client, user, freshdesk):
    client.force_login(user)
    response = client.get(reverse("wizard_map", args=[freshdesk.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mapped automatically" in page and "Subject" in page
    assert "data-warn-unsaved" in page

    assert shown(response, "statuses") == {
        "New": "Open",  # Freshdesk has no "new"
        "Open": "Open",
        "Pending": "Pending",
        "On-hold": "Open",  # on-hold falls back to open where the target lacks it
        "Solved": "Resolved",  # by category
        "Closed": "Closed",
    }
    assert shown(response, "types")["Question"] == "Question"
    assert shown(response, "types")["Task"] == "Automatic: same name, else the default"
    assert shown(response, "priorities") == {
        "Low": "Low",
        "Normal": "Medium",  # the same rank
        "High": "High",
        "Urgent": "Urgent",
    }
    fields = custom_shown(response)
    assert fields["Product"] == "cf_product"  # same title, both dropdowns
    assert fields["Purchase date"] == "cf_purchase_date"
    # Same title, but Zendesk's is text and Freshdesk's a number: into the private note.
    assert fields["Order number"] == configuration.PRIVATE_NOTE
    product = next(
        rows
        for _i, r, _s, rows in response.context["form"].custom_rows()
        if r.field.title == "Product"
    )
    assert {row.name: field.value() for row, field in product}["Laptop"] == "Laptop"
    assert shown(response, "article_statuses") == {
        "Draft": "Draft",
        "Published": "Published",
        "Archived": "Draft",  # Freshdesk has no archive
    }


def test_saving_the_mapping_stores_it_and_goes_on(client, user, freshdesk):
    client.force_login(user)
    url = reverse("wizard_map", args=[freshdesk.pk])
    response = client.get(url)
    data = post_data(response)
    source = discovery.source_fields(migration=freshdesk)
    target = discovery.target_fields(migration=freshdesk)
    hold_index = [o.name for o in source.statuses].index("On-hold")
    pending = next(o.key for o in target.statuses if o.name == "Pending")
    data[f"status-{hold_index}"] = pending
    product_index = [f.title for f in source.custom_fields].index("Product")
    data[f"value-{product_index}-2"] = "Printer"  # Tablet -> Printer
    saved = client.post(url, data)
    assert saved.status_code == 302
    assert saved["Location"] == reverse("wizard_options", args=[freshdesk.pk])

    freshdesk.refresh_from_db()
    mappings = freshdesk.configured_mappings()
    hold_key = source.statuses[hold_index].key
    assert mappings.statuses[hold_key] == pending
    product_key = source.custom_fields[product_index].key
    assert mappings.custom_fields[product_key] == "cf_product"
    assert mappings.custom_field_values[product_key]["product_tablet"] == "Printer"
    assert mappings.custom_field_values[product_key]["product_laptop"] == "Laptop"
    order_key = next(f.key for f in source.custom_fields if f.title == "Order number")
    assert mappings.custom_fields[order_key] == configuration.PRIVATE_NOTE
    assert mappings.article_statuses == {"draft": "1", "published": "2", "archived": "1"}

    again = client.get(url)
    assert shown(again, "statuses")["On-hold"] == "Pending"


def test_refused_choices_are_explained_and_the_rest_kept(client, user, freshdesk):
    client.force_login(user)
    url = reverse("wizard_map", args=[freshdesk.pk])
    response = client.get(url)
    data = post_data(response)
    source = discovery.source_fields(migration=freshdesk)
    titles = [f.title for f in source.custom_fields]
    # Two fields into the same target field, and a status left without a choice.
    data[f"field-{titles.index('Amount paid')}"] = "cf_serial_number"
    data[f"field-{titles.index('Order number')}"] = "cf_serial_number"
    data["status-0"] = ""
    data["type-0"] = "Incident"  # a change that must survive the refusal
    refused = client.post(url, data)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Some choices need your attention" in page
    assert "already goes into this field" in page
    assert "This field is required." in page
    assert refused.context["form"]["type-0"].value() == "Incident"
    freshdesk.refresh_from_db()
    assert freshdesk.field_mappings == {}


def test_the_value_map_follows_the_target_field_chosen(client, user, freshdesk):
    client.force_login(user)
    values_url = reverse("wizard_map_values", args=[freshdesk.pk])
    source = discovery.source_fields(migration=freshdesk)
    index = [f.title for f in source.custom_fields].index("Product")
    htmx = {"HX-Request": "true"}
    dropdown = client.get(
        values_url, {"field": index, f"field-{index}": "cf_product"}, headers=htmx
    )
    assert dropdown.status_code == 200
    assert f'name="value-{index}-0"' in dropdown.content.decode()
    assert "<html" not in dropdown.content.decode()
    into_note = client.get(
        values_url, {"field": index, f"field-{index}": configuration.PRIVATE_NOTE}, headers=htmx
    )
    assert "<select" not in into_note.content.decode()
    assert client.get(values_url, {"field": 99}, headers=htmx).status_code == 404
    assert client.get(values_url, {"field": "x"}, headers=htmx).status_code == 404
    assert client.get(values_url, {"field": index}).status_code == 302  # not htmx


def test_a_target_without_custom_fields_takes_them_as_a_private_note(client, user, site_url):
    migration = matched(
        sandbox_migration(
            owner=user,
            site_url=site_url,
            target="teamwork_desk",
            entities=[Entity.TICKETS],
            name="Zendesk to Teamwork Desk",
        )
    )
    client.force_login(user)
    url = reverse("wizard_map", args=[migration.pk])
    response = client.get(url)
    page = response.content.decode()
    assert "Teamwork Desk has no custom fields" in page
    assert 'name="field-0"' not in page
    assert shown(response, "statuses")["On-hold"] == "On-hold"  # Teamwork Desk has it
    assert client.post(url, post_data(response)).status_code == 302
    migration.refresh_from_db()
    mappings = migration.configured_mappings()
    assert set(mappings.custom_fields.values()) == {configuration.PRIVATE_NOTE}
    assert len(mappings.custom_fields) == len(
        discovery.source_fields(migration=migration).custom_fields
    )


def test_steps_before_must_be_done_and_others_get_a_404(client, user, make_user, site_url):
    migration = sandbox_migration(owner=user, site_url=site_url, entities=[Entity.TICKETS])
    url = reverse("wizard_map", args=[migration.pk])
    client.force_login(user)
    early = client.get(url)
    assert early.status_code == 302
    assert early["Location"] == reverse("wizard_match", args=[migration.pk])
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    values = reverse("wizard_map_values", args=[migration.pk])
    assert client.get(values, {"field": 0}, headers={"HX-Request": "true"}).status_code == 404
