"""The engine reports each record with its title (subject, title, name) as the source gave
it: migrated, matched, refused, skipped or gone since it was chosen."""

from __future__ import annotations

import pytest

from connectors.errors import InvalidRecordError
from connectors.schema import Attachment, Entity
from migrator import configuration, services
from migrator.models import Run
from reports.models import ATTACHMENTS, RunRecord
from reports.titles import record_title
from tests.migrator.engine import memory
from tests.migrator.engine.conftest import drain

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024


def titles(run: Run, entity: str) -> dict[str, tuple[str, str]]:
    return {
        row.source_id: (row.outcome, row.title)
        for row in RunRecord.objects.filter(run=run, entity=entity)
    }


def test_every_report_row_carries_the_records_title(pair):
    pair.source.add(memory.organization(40), memory.group(3))
    pair.source.add(memory.agent(7), memory.agent(8), memory.agent(9, deleted=True))
    pair.source.add(memory.contact(500, name="Zoé Dubois"))
    pair.source.add(memory.ticket(1, subject="Printer on fire"), memory.ticket(2, subject="Refund"))
    pair.source.add(memory.category(60), memory.section(61, "60"))
    pair.source.add(memory.article(62, "61", title="Reset your password"))
    pair.target.existing_agents["agent7@acme.example"] = "t-7"
    pair.configure(matches=configuration.Matches(create_missing_agents=True))

    def refuse_ticket_2(entity, record):
        if entity is Entity.TICKETS and record.source_id == "2":
            raise InvalidRecordError("type is required (HTTP 422)", status=422)

    pair.target.on_create = refuse_ticket_2
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert titles(run, "tickets") == {
        "1": ("migrated", "Printer on fire"),
        "2": ("failed", "Refund"),
    }
    assert titles(run, "agents") == {
        "7": ("matched", "Agent 7"),
        "8": ("migrated", "Agent 8"),
        "9": ("skipped", "Agent 9"),
    }
    assert titles(run, "contacts") == {"500": ("migrated", "Zoé Dubois")}
    assert titles(run, "organizations") == {"40": ("migrated", "Org 40")}
    assert titles(run, "articles") == {"62": ("migrated", "Reset your password")}
    assert titles(run, "article_sections") == {"61": ("migrated", "Section 61")}


def test_a_record_gone_from_the_source_is_reported_without_a_title(pair):
    pair.source.add(memory.contact(500), *(memory.ticket(n) for n in range(1, 5)))
    options = configuration.Options(demo_ids={Entity.TICKETS: ["2", "3"]})
    pair.configure(options=options, entities=[Entity.CONTACTS, Entity.TICKETS])
    original_read = memory.MemoryDesk.read_page

    def delete_before_reading(self, entity, **kwargs):
        if entity is Entity.TICKETS and kwargs.get("ids"):
            pair.source.delete(Entity.TICKETS, "3")
        return original_read(self, entity, **kwargs)

    memory.MemoryDesk.read_page = delete_before_reading
    try:
        run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.DEMO))
    finally:
        memory.MemoryDesk.read_page = original_read
    assert titles(run, "tickets") == {"2": ("migrated", "Ticket 2"), "3": ("skipped", "")}


def test_a_title_is_one_line_of_at_most_255_characters_and_never_an_error():
    assert record_title(memory.ticket(1, subject="  Two\n lines  ")) == "Two lines"
    assert len(record_title(memory.ticket(1, subject="x" * 400))) == 255
    assert record_title(object()) == ""

    class Broken:
        @property
        def name(self):
            raise RuntimeError("no name")

    assert record_title(Broken()) == ""


def test_a_left_out_attachment_is_titled_by_its_file_name(pair):
    big = Attachment(source_id="a-big", file_name="scan.pdf", size=11 * MB, url="mem://big")
    ticket = memory.ticket(1, subject="Scanner")
    opening = ticket.comments[0].model_copy(update={"attachments": [big]})
    pair.source.add(
        memory.contact(500),
        ticket.model_copy(update={"comments": [opening, *ticket.comments[1:]]}),
    )
    pair.configure(options=configuration.Options(max_attachment_bytes=10 * MB))
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert titles(run, ATTACHMENTS) == {"a-big": ("skipped", "scan.pdf")}
    assert titles(run, "tickets") == {"1": ("migrated", "Scanner")}
