"""What a ticket costs on Zendesk as the target, one import each and in bulk, measured over
the emulator's API (in this process) and held against what the connector declares."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from connectors.models import EmulatedRecord
from connectors.sandbox import SeedPlan
from connectors.zendesk import CAPABILITIES, emulator
from migrator import configuration, services
from migrator.engine import bulk
from migrator.models import Run, RunBatch
from reports.models import RunRecord
from tests.migrator.engine.conftest import drain
from tests.migrator.engine.emulated import emulated_pair, in_process_emulators

__all__ = ["in_process_emulators"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_process_emulators"),
]

TICKETS = 100
COMMENTS = 5


def source_plan(*, attachments: int) -> SeedPlan:
    return SeedPlan(
        agents=3,
        contacts=10,
        tickets=TICKETS,
        comments_per_ticket=(COMMENTS, COMMENTS),
        attachment_ratio=0.0,
        inline_image_ratio=0.0,
        files_per_ticket=(attachments, attachments) if attachments else None,
        custom_fields=False,
        seed=31,
    )


def requests_per_ticket(user, *, attachments: int) -> float:
    pair = emulated_pair(
        owner=user,
        source_platform="freshdesk",
        target_platform="zendesk",
        source_plan=source_plan(attachments=attachments),
        options=configuration.Options(verify_migrated=False),
    )
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    migrated = RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated")
    assert migrated.count() == TICKETS
    files = sum(
        len(row.data.get("attachments") or [])
        for row in EmulatedRecord.objects.filter(account=pair.target, collection="ticket_comments")
    )
    assert files == TICKETS * attachments
    calls = RunBatch.objects.filter(run=run, entity="tickets").aggregate(n=Sum("target_calls"))
    return calls["n"] / TICKETS


@pytest.mark.parametrize("attachments", [1, 0])
def test_bulk_import_costs_what_zendesk_declares_and_far_less_than_one_import_each(
    user, settings, monkeypatch, attachments, capsys
):
    settings.MIGRATOR_PAGE_SIZE = 50
    bulk_cost = requests_per_ticket(user, attachments=attachments)
    with monkeypatch.context() as patched:
        patched.setattr(bulk, "bulk_page", lambda work: None)
        one_each = requests_per_ticket(user, attachments=attachments)
    declared = CAPABILITIES.ticket_writes
    assert declared is not None
    expected = declared.count(comments=COMMENTS, attachments=attachments)
    with capsys.disabled():
        print(
            f"\n[zendesk target, {COMMENTS} comments, {attachments} attachment(s)] requests a "
            f"ticket: {one_each:.3f} one import each, {bulk_cost:.3f} in bulk "
            f"(declared {expected:.3f})"
        )
    assert one_each == pytest.approx(1 + attachments, abs=0.01)
    assert bulk_cost <= expected + 0.02
    assert bulk_cost >= attachments + 0.01  # the bulk request itself is counted
    if attachments:
        assert bulk_cost == pytest.approx(expected, rel=0.10)
    else:
        assert one_each / bulk_cost >= 20


def test_a_ticket_zendesk_refuses_in_the_job_and_alone_is_reported_in_its_words(user, monkeypatch):
    refused_subjects: set[str] = set()
    import_one = emulator._ticket_import_one

    def refusing(ctx, payload):
        if payload.get("subject") in refused_subjects:
            raise emulator._record_invalid(
                {"subject": [emulator._problem("Subject: is not allowed here")]}
            )
        return import_one(ctx, payload)

    monkeypatch.setattr(emulator, "_ticket_import_one", refusing)
    pair = emulated_pair(
        owner=user,
        source_platform="freshdesk",
        target_platform="zendesk",
        source_plan=source_plan(attachments=1),
    )
    victim = EmulatedRecord.objects.filter(account=pair.source, collection="tickets").first()
    refused_subjects.add(victim.data["subject"])
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    rows = RunRecord.objects.filter(run=run, entity="tickets")
    failed = rows.get(outcome="failed")
    assert failed.source_id == str(victim.number)
    assert "Subject: is not allowed here" in str(failed.reason)
    assert rows.filter(outcome="migrated").count() == TICKETS - 1
    # Refused by the job, then alone: on the target once for every other ticket, never for it.
    jobs = EmulatedRecord.objects.filter(account=pair.target, collection="job_statuses")
    job_errors = [r for job in jobs for r in job.data["results"] if r.get("error")]
    assert [r["details"] for r in job_errors] == ["Subject: is not allowed here"]
    subjects = [
        row.data["subject"]
        for row in EmulatedRecord.objects.filter(account=pair.target, collection="tickets")
    ]
    assert victim.data["subject"] not in subjects
    assert len(subjects) == len(set(subjects)) == TICKETS - 1
