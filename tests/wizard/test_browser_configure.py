"""In a real browser, against a run_site process serving the sandbox: match agents, map
fields (leaving with an unsaved change warns), set the options; Teamwork Desk's missing
agents block the matching. No horizontal scroll at 1280 and 390 px; a screenshot of
each page at both widths goes to test-output/.

The test process seeds the sandbox accounts and checks the connections over HTTP against
the site, in the test database the site also uses.
"""

from __future__ import annotations

import os
import re

import pytest
from allauth.account.models import EmailAddress

from connectors.schema import Entity
from migrator import discovery
from migrator.models import Migration
from tests.conftest import PASSWORD
from tests.wizard.browser import check_widths, log_in
from tests.wizard.configure_support import sandbox_migration

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the site process shares the test database: DATABASE_URL must name PostgreSQL",
    ),
    pytest.mark.usefixtures("orm_beside_playwright"),
]


def test_match_map_and_options_in_the_browser(user, site_pages_only, browser, screenshots):
    site = site_pages_only.url
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    migration = sandbox_migration(
        owner=user,
        site_url=site,
        entities=[
            Entity.AGENTS,
            Entity.GROUPS,
            Entity.TICKETS,
            Entity.ARTICLE_CATEGORIES,
            Entity.ARTICLE_SECTIONS,
            Entity.ARTICLES,
        ],
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    log_in(page, site, email=user.email, password=PASSWORD)

    # --- Step: match agents.
    page.goto(f"{site}/migrations/{migration.pk}/match/")
    assert page.locator("h1").inner_text() == "Match agents"
    chloe = page.locator("tr", has=page.locator("td.email", has_text="chloé@acme.example"))
    assert "chloé@acme.example" in chloe.locator("select option:checked").inner_text()
    alice = page.locator("tr", has=page.locator("td.email", has_text="alice@acme.example"))
    assert alice.locator("select option:checked").inner_text() == "Create on the target"
    # Freshdesk creates the missing agents: no bulk control to give them to one agent.
    assert page.locator("[data-testid=bulk-assign]").count() == 0
    check_widths(page, screenshots, "01-match")
    page.select_option("#id_default_agent_id", label="Esther Agent <esther@acme.example>")
    assert page.locator(".unsaved-banner").is_visible()
    page.click("text=Save matching")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/map/$"))
    migration.refresh_from_db()
    assert migration.configured_matches().default_agent_id

    # --- Step: map fields.
    assert page.locator("h1").inner_text() == "Map fields"
    hold = page.locator("tr", has=page.locator("td", has_text="On-hold"))
    assert hold.locator("select option:checked").inner_text() == "Open"
    check_widths(page, screenshots, "02-map")

    # An unsaved change, then "Back": the browser asks first; staying keeps the page.
    hold.locator("select").select_option(label="Pending")
    assert page.locator(".unsaved-banner").is_visible()

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("a[rel=prev]")
    assert dialogs == ["You have changes that are not saved. Leave this step without saving them?"]
    assert page.url.endswith(f"/migrations/{migration.pk}/map/")
    assert hold.locator("select option:checked").inner_text() == "Pending"
    page.screenshot(path=screenshots / "03-map-unsaved-1280.png", full_page=True)

    # Leaving anyway drops the change.
    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("a[rel=prev]")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/match/$"))
    assert len(dialogs) == 2
    migration.refresh_from_db()
    assert migration.field_mappings == {}

    page.goto(f"{site}/migrations/{migration.pk}/map/")
    hold = page.locator("tr", has=page.locator("td", has_text="On-hold"))
    hold.locator("select").select_option(label="Pending")
    # The Product dropdown's values follow the target field chosen (htmx).
    product = page.locator(
        ".custom-field", has=page.locator(".custom-field-title", has_text="Product")
    )
    assert product.locator(".value-map select").count() == 7
    product.locator(".custom-field-head select").select_option(label="Into a private note")
    product.locator(".value-map").wait_for(state="detached")
    product.locator(".custom-field-head select").select_option(label="Product (dropdown)")
    product.locator(".value-map").wait_for()
    tablet = product.locator("tr", has=page.locator("td", has_text="Tablet"))
    tablet.locator("select").select_option(label="Printer")
    page.click("text=Save mapping")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/options/$"))
    assert len(dialogs) == 2  # saving asks nothing
    migration.refresh_from_db()
    mappings = migration.configured_mappings()
    assert "3" in mappings.statuses.values()  # Freshdesk's Pending
    assert "Printer" in next(iter(mappings.custom_field_values.values())).values()

    # --- Step: options.
    assert page.locator("h1").inner_text() == "Options"
    assert page.locator("[data-option=translations]").count() == 1
    assert page.locator("[data-option=inline_images_as_attachments]").count() == 0
    check_widths(page, screenshots, "04-options")
    page.check("#id_tag_tickets")
    page.fill("#id_migrated_tag", "from-zendesk")
    page.fill("#id_demo_tickets", " ".join(str(n) for n in range(1, 22)))
    page.click("text=Save options")
    page.locator("text=A demo takes at most 20 tickets; you entered 21.").wait_for()
    assert page.input_value("#id_migrated_tag") == "from-zendesk"  # kept
    check_widths(page, screenshots, "05-options-refused")
    page.fill("#id_demo_tickets", "1, 2 3")
    page.click("text=Save options")
    page.wait_for_url(lambda url: "/options/" not in url)
    migration.refresh_from_db()
    options = migration.configured_options()
    assert options.migrated_tag == "from-zendesk"
    assert options.demo_ids == {Entity.TICKETS: ["1", "2", "3"]}
    page.close()


def test_teamwork_desk_missing_agents_block_the_matching(
    user, site_pages_only, browser, screenshots
):
    site = site_pages_only.url
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    migration = sandbox_migration(
        owner=user,
        site_url=site,
        target="teamwork_desk",
        entities=[Entity.AGENTS, Entity.TICKETS],
        name="Zendesk to Teamwork Desk",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, site, email=user.email, password=PASSWORD)
    page.goto(f"{site}/migrations/{migration.pk}/match/")
    warning = page.locator("[data-testid=missing-agents]")
    assert "alice@acme.example" in warning.inner_text()
    assert "People > Agents > Invite agents" in warning.inner_text()
    check_widths(page, screenshots, "01-match-teamwork-desk")
    page.click("text=Save matching")
    page.locator("text=have no active match on the target yet").wait_for()
    assert page.url.endswith(f"/migrations/{migration.pk}/match/")
    assert Migration.objects.get(pk=migration.pk).matches == {}
    check_widths(page, screenshots, "02-match-teamwork-desk-refused")
    page.close()


def test_teamwork_desk_matching_saves_with_a_default_agent_and_with_the_bulk_control(
    user, site_pages_only, browser, screenshots
):
    site = site_pages_only.url
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    migration = sandbox_migration(
        owner=user,
        site_url=site,
        target="teamwork_desk",
        entities=[Entity.AGENTS, Entity.TICKETS],
        name="Zendesk to Teamwork Desk",
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, site, email=user.email, password=PASSWORD)
    page.goto(f"{site}/migrations/{migration.pk}/match/")
    # Before anything is chosen, the page says a default agent is enough.
    warning = page.locator("[data-testid=missing-agents]")
    assert "or choose a default agent below: their tickets go to it" in warning.inner_text()
    check_widths(page, screenshots, "01-match-teamwork-desk-default")

    # A default agent: the missing agents' tickets go to it, and saving goes on.
    page.select_option("#id_default_agent_id", label="Esther Agent <esther@acme.example>")
    page.click("text=Save matching")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/map/$"))
    matches = Migration.objects.get(pk=migration.pk).configured_matches()
    source = {a.email: a.source_id for a in discovery.source_agents(migration=migration)}
    target = {a.email: a.source_id for a in discovery.target_agents(migration=migration)}
    assert matches.default_agent_id == target["esther@acme.example"]
    assert matches.agents[source["alice@acme.example"]] == ""  # to the default agent

    # The bulk control gives every unmatched agent to one agent, without JavaScript's help.
    page.goto(f"{site}/migrations/{migration.pk}/match/")
    alice = page.locator("tr", has=page.locator("td.email", has_text="alice@acme.example"))
    assert alice.locator("select option:checked").inner_text() == "Default (see below)"
    page.select_option("#id_bulk_agent", label="Dmitri Agent <dmitri@acme.example>")
    page.click("[data-testid=bulk-assign] button[name=bulk_assign]")
    page.locator("text=unmatched agents now go to the agent you chose").wait_for()
    alice = page.locator("tr", has=page.locator("td.email", has_text="alice@acme.example"))
    assert alice.locator("select option:checked").inner_text() == (
        "Dmitri Agent <dmitri@acme.example>"
    )
    bruno = page.locator("tr", has=page.locator("td.email", has_text="bruno@acme.example"))
    assert "dmitri@acme.example" in bruno.locator("select option:checked").inner_text()
    chloe = page.locator("tr", has=page.locator("td.email", has_text="chloé@acme.example"))
    assert "chloé@acme.example" in chloe.locator("select option:checked").inner_text()
    check_widths(page, screenshots, "02-match-teamwork-desk-bulk")
    page.set_viewport_size({"width": 390, "height": 900})
    page.locator("[data-testid=bulk-assign]").screenshot(path=screenshots / "03-bulk-390.png")
    page.locator("[data-testid=missing-agents]").screenshot(path=screenshots / "04-note-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("text=Save matching")
    page.wait_for_url(re.compile(rf"/migrations/{migration.pk}/map/$"))
    matches = Migration.objects.get(pk=migration.pk).configured_matches()
    for name in ("alice", "bruno"):
        assert matches.agents[source[f"{name}@acme.example"]] == target["dmitri@acme.example"]
    assert matches.agents[source["chloé@acme.example"]] == target["chloé@acme.example"]
    page.close()
