"""Reasons are true, with real workers: Zendesk (source) to Freshdesk (target) over the
emulators on loopback HTTP. Requesters with accented addresses are migrated with their
address intact; a chosen demo id that does not exist says so."""

from __future__ import annotations

import pytest

from connectors.sandbox import SeedPlan
from connectors.schema import Entity
from migrator import configuration, services
from migrator.models import RecordMap, Run
from reports.models import RunRecord
from tests.migrator.engine import stack as harness

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, groups=2, custom_fields=False, seed=11)
ACCENTED = ["zoë@exämple.fr", "josé@example.com", "renée@xn--bcher-kva.example"]


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def test_accented_requesters_keep_their_address_and_a_missing_chosen_id_says_so(user, stack):
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=SeedPlan(
            agents=4,
            contacts=8,
            organizations=0,
            groups=2,
            tickets=10,
            comments_per_ticket=(1, 2),
            attachment_ratio=0.0,
            inline_image_ratio=0.0,
            articles=0,
            article_sections=0,
            article_categories=0,
            seed=7,
        ),
        target_plan=TARGET_PLAN,
        entities=[Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS],
    )
    source = accounts.source
    tickets = harness.target_records(source, "tickets").order_by("number")
    users = harness.target_records(source, "users")
    requester_numbers: list[int] = []
    for ticket in tickets:
        number = ticket.data.get("requester_id")
        row = users.filter(number=number).first()
        if row is None or row.data.get("role") != "end-user" or number in requester_numbers:
            continue
        requester_numbers.append(number)
        if len(requester_numbers) == len(ACCENTED):
            break
    assert len(requester_numbers) == len(ACCENTED)
    for number, address in zip(requester_numbers, ACCENTED, strict=True):
        row = users.get(number=number)
        row.data = {**row.data, "email": address}
        row.save(update_fields=["data"])
    accented_tickets = {
        ticket.number: ACCENTED[requester_numbers.index(ticket.data["requester_id"])]
        for ticket in tickets
        if ticket.data.get("requester_id") in requester_numbers
    }

    stack.worker()
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    run = harness.wait_for_run(run, timeout=240)
    assert run.status == Run.Status.COMPLETED, run.pause_reason

    for number in requester_numbers:
        row = RunRecord.objects.get(run=run, entity="contacts", source_id=str(number))
        assert row.outcome == RunRecord.Outcome.MIGRATED, row.reason
    target = accounts.target
    for number, address in accented_tickets.items():
        row = RunRecord.objects.get(run=run, entity="tickets", source_id=str(number))
        assert row.outcome == RunRecord.Outcome.MIGRATED, row.reason
        assert "e-mail address" not in row.reason
        mapping = RecordMap.objects.get(
            migration=accounts.migration,
            namespace=RecordMap.Namespace.MAIN,
            entity="tickets",
            source_id=str(number),
        )
        on_target = harness.target_records(target, "tickets").get(number=int(mapping.target_id))
        requester = harness.target_records(target, "contacts").get(
            number=on_target.data["requester_id"]
        )
        assert requester.data["email"] == address

    # A demo of chosen tickets: one that exists, one id Zendesk never had.
    kept = next(iter(accented_tickets))
    services.migration_configure(
        migration=accounts.migration,
        options=configuration.Options(demo_ids={Entity.TICKETS: ["99999", str(kept)]}),
    )
    demo = services.run_start(migration=accounts.migration, kind=Run.Kind.DEMO)
    demo = harness.wait_for_run(demo, timeout=120)
    assert demo.status == Run.Status.COMPLETED, demo.pause_reason
    missing = RunRecord.objects.get(run=demo, entity="tickets", source_id="99999")
    assert missing.outcome == RunRecord.Outcome.SKIPPED
    assert missing.reason == "No ticket with id 99999 on Zendesk."
    assert "deleted since" not in missing.reason
