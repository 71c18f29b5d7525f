"""Runs of the engine against the in-memory help desk, batch by batch in this process.

Each test drives a real run through the services, the batch claims, the record map and
the reports; only the broker is replaced by a list (``enqueued``) and the worker by
``drain``. Runs with real worker processes and the HTTP emulators are in
``test_worker_runs.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone

from connectors.base import ScopeKind
from connectors.errors import (
    AuthenticationError,
    InvalidRecordError,
    RateLimitedError,
    TransientError,
)
from connectors.schema import Attachment, Comment, Entity
from migrator import configuration, services
from migrator.engine import execute, failures, scheduling
from migrator.models import Connection, Migration, RecordMap, Run, RunBatch
from reports.models import ATTACHMENTS, RunRecord
from reports.selectors import run_records_csv, run_summary
from tests.migrator.engine import memory
from tests.migrator.engine.conftest import drain

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024


class Crash(BaseException):
    """The worker dies: nothing in the engine may catch it."""


@pytest.fixture(autouse=True)
def small_pages(settings):
    settings.MIGRATOR_PAGE_SIZE = 10


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(failures, "retry_delay", lambda error, attempt: 0.01)


def seed_helpdesk(account: memory.MemoryAccount, *, tickets: int = 25, articles: int = 0) -> None:
    account.add(*(memory.organization(40 + n) for n in range(3)))
    account.add(memory.group(3), memory.group(4))
    account.add(memory.agent(7, group_ids=["3"]), memory.agent(8), memory.agent(9, deleted=True))
    account.add(memory.contact(500, organization_id="40"), memory.contact(501))
    account.add(
        *(
            memory.ticket(n, assignee_id="7" if n % 2 else "9", group_id="3")
            for n in range(1, tickets + 1)
        )
    )
    if articles:
        account.add(memory.category(10), memory.section(20, "10"))
        account.add(*(memory.article(100 + n, "20", author_id="7") for n in range(articles)))


def start(pair, kind: str = Run.Kind.FULL, **arguments) -> Run:
    return services.run_start(migration=pair.migration, kind=kind, **arguments)


def outcomes(run: Run, entity: Entity | str) -> dict[str, str]:
    value = entity.value if isinstance(entity, Entity) else entity
    return dict(RunRecord.objects.filter(run=run, entity=value).values_list("source_id", "outcome"))


def assert_written_once(account: memory.MemoryAccount, entity: Entity, count: int) -> None:
    markers = account.markers(entity)
    assert len(markers) == count
    assert len(set(markers)) == count, "a record was written twice"


# --------------------------------------------------------------------------- full runs


def test_a_full_run_moves_every_entity_in_order_and_reports_each_record(pair):
    seed_helpdesk(pair.source, tickets=25, articles=3)
    pair.configure(
        matches=configuration.Matches(default_agent_id="agent-default", create_missing_agents=True)
    )
    run = drain(start(pair))
    assert run.status == Run.Status.COMPLETED
    assert_written_once(pair.target, Entity.TICKETS, 25)
    assert_written_once(pair.target, Entity.ARTICLES, 3)
    assert_written_once(pair.target, Entity.ORGANIZATIONS, 3)
    tickets = outcomes(run, Entity.TICKETS)
    assert len(tickets) == 25 and set(tickets.values()) == {RunRecord.Outcome.MIGRATED}
    agents = outcomes(run, Entity.AGENTS)
    assert agents == {"7": "migrated", "8": "migrated", "9": "skipped"}
    deleted = RunRecord.objects.get(run=run, entity="agents", source_id="9")
    assert deleted.reason == "Deleted on the source: its tickets go to the default agent."
    written = {t.subject: t for t in pair.target.written_records(Entity.TICKETS)}
    assert written["Ticket 2"].assignee_id == "agent-default"
    organization_of_contact = pair.target.written_records(Entity.CONTACTS)[0].organization_id
    assert organization_of_contact in pair.target.written[Entity.ORGANIZATIONS]
    summary = {row.entity: row for row in run_summary(run=run)}
    assert (summary["tickets"].available, summary["tickets"].migrated) == (25, 25)
    assert (
        RecordMap.objects.filter(migration=pair.migration, state=RecordMap.State.PENDING).count()
        == 0
    )
    batches = RunBatch.objects.filter(run=run, entity="tickets").order_by("sequence")
    assert [b.sequence for b in batches] == [0, 1, 2]
    assert all(b.status == RunBatch.Status.DONE for b in batches)


def crash_on_create(monkeypatch, *, source_id: str) -> None:
    """The worker dies right after the target created ``source_id``, before any commit."""
    original = memory.MemoryDesk.create
    crashed: list[str] = []

    def create_then_die(self, entity, record, **kwargs):
        target_id = original(self, entity, record, **kwargs)
        if entity is Entity.TICKETS and record.source_id == source_id and not crashed:
            crashed.append(target_id)
            raise Crash
        return target_id

    monkeypatch.setattr(memory.MemoryDesk, "create", create_then_die)


def recover_after_crash(run: Run) -> Run:
    """What happens once the worker is dead: its heartbeat goes stale, the reconciler
    sends the batch again, a worker claims it."""
    later = timezone.now() + timedelta(minutes=5)
    assert scheduling.runs_reconcile(now=later)["batches"] >= 1
    RunBatch.objects.filter(run=run, status=RunBatch.Status.CLAIMED).update(
        heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    claimed = RunBatch.objects.filter(run=run, status=RunBatch.Status.CLAIMED)
    for batch_id in claimed.values_list("pk", flat=True):
        execute.batch_execute(batch_id=batch_id)
    return drain(run)


def test_a_crash_between_the_create_and_the_record_map_leaves_no_duplicate(pair, monkeypatch):
    seed_helpdesk(pair.source, tickets=12)
    run = start(pair)
    with monkeypatch.context() as patched:
        crash_on_create(patched, source_id="5")
        with pytest.raises(Crash):
            drain(run)
    pending = RecordMap.objects.get(migration=pair.migration, entity="tickets", source_id="5")
    assert pending.state == RecordMap.State.PENDING
    run = recover_after_crash(run)
    assert run.status == Run.Status.COMPLETED
    assert_written_once(pair.target, Entity.TICKETS, 12)
    assert len(outcomes(run, Entity.TICKETS)) == 12


def test_an_answer_lost_on_the_way_is_resolved_by_the_marker(pair):
    seed_helpdesk(pair.source, tickets=6)
    lost = []

    def lose_answers(entity, record):
        if (
            entity is Entity.TICKETS
            and record.source_id in ("2", "4")
            and record.source_id not in lost
        ):
            lost.append(record.source_id)
            return True
        return None

    pair.target.on_create = lose_answers
    run = drain(start(pair))
    assert run.status == Run.Status.COMPLETED
    assert lost == ["2", "4"]
    assert_written_once(pair.target, Entity.TICKETS, 6)
    assert set(outcomes(run, Entity.TICKETS).values()) == {"migrated"}


def test_retryable_errors_are_retried_and_never_reported_as_failures(pair):
    seed_helpdesk(pair.source, tickets=15)
    failures: dict[str, int] = {}

    def flaky(entity, record):
        if entity is not Entity.TICKETS:
            return None
        count = failures.get(record.source_id, 0)
        if count < 5 and int(record.source_id) % 3 == 0:
            failures[record.source_id] = count + 1
            if count % 2:
                raise RateLimitedError("too many requests", status=429, retry_after=0.01)
            raise TransientError("bad gateway", status=502)
        return None

    pair.target.on_create = flaky
    run = drain(start(pair))
    assert run.status == Run.Status.COMPLETED
    assert set(outcomes(run, Entity.TICKETS).values()) == {"migrated"}
    assert_written_once(pair.target, Entity.TICKETS, 15)
    # The 502s were retried in the batch, the 429s gave it back to wait: neither counts
    # as one more attempt of the batch.
    assert max(RunBatch.objects.filter(run=run).values_list("attempts", flat=True)) == 1


def test_a_refused_record_is_reported_failed_and_the_run_goes_on(pair):
    seed_helpdesk(pair.source, tickets=8)

    def refuse_ticket_3(entity, record):
        if entity is Entity.TICKETS and record.source_id == "3":
            raise InvalidRecordError("subject is too long (HTTP 422)", status=422, detail="{}")

    pair.target.on_create = refuse_ticket_3
    run = drain(start(pair))
    assert run.status == Run.Status.COMPLETED
    failed = RunRecord.objects.get(run=run, entity="tickets", source_id="3")
    assert failed.outcome == RunRecord.Outcome.FAILED
    assert failed.reason == "The target refused it: subject is too long (HTTP 422)"
    assert not RecordMap.objects.filter(entity="tickets", source_id="3").exists()
    assert_written_once(pair.target, Entity.TICKETS, 7)


def test_revoked_credentials_pause_the_run_with_the_reason_and_resume_continues(pair):
    seed_helpdesk(pair.source, tickets=5)

    def revoked(entity, record):
        if entity is Entity.TICKETS:
            raise AuthenticationError("target rejected the credentials (HTTP 401)", status=401)

    pair.target.on_create = revoked
    run = drain(start(pair))
    assert run.status == Run.Status.PAUSED
    assert run.paused_by == Run.PausedBy.SYSTEM
    assert "rejected the credentials" in run.pause_reason
    assert outcomes(run, Entity.TICKETS) == {}
    pair.target.on_create = None
    services.run_resume(run=run)
    run = drain(run)
    assert run.status == Run.Status.COMPLETED
    assert_written_once(pair.target, Entity.TICKETS, 5)


def test_too_many_failures_pause_the_run(pair):
    seed_helpdesk(pair.source, tickets=40)

    def refuse_all(entity, record):
        if entity is Entity.TICKETS:
            raise InvalidRecordError("refused", status=422)

    pair.target.on_create = refuse_all
    run = drain(start(pair))
    assert run.status == Run.Status.PAUSED
    assert "failed" in run.pause_reason and "fix the mapping" in run.pause_reason
    # Fixed: the failures before the resume no longer count against the run.
    pair.target.on_create = None
    services.run_resume(run=run)
    run = drain(run)
    assert run.status == Run.Status.COMPLETED
    assert pair.target.creates[Entity.TICKETS] > 0


def test_pause_resume_and_cancel(pair):
    seed_helpdesk(pair.source, tickets=5)
    run = start(pair)
    services.run_pause(run=run, reason="lunch")
    assert drain(run).status == Run.Status.PAUSED
    assert pair.target.creates[Entity.TICKETS] == 0
    with pytest.raises(ValidationError):
        services.run_pause(run=run)
    services.run_resume(run=run)
    assert drain(run).status == Run.Status.COMPLETED
    with pytest.raises(ValidationError):
        services.run_cancel(run=run)
    second = start(pair)
    services.run_cancel(run=second)
    assert drain(second).status == Run.Status.CANCELLED


def test_one_run_at_a_time_and_delta_needs_a_full_run(pair):
    seed_helpdesk(pair.source, tickets=1)
    with pytest.raises(ValidationError, match="full migration"):
        start(pair, Run.Kind.DELTA)
    start(pair)
    with pytest.raises(ValidationError, match="already under way"):
        start(pair)


# --------------------------------------------------------------------------- attachments


def _ticket_with(number: int, *attachments: Attachment):
    ticket = memory.ticket(number)
    opening = ticket.comments[0].model_copy(update={"attachments": list(attachments)})
    return ticket.model_copy(update={"comments": [opening, *ticket.comments[1:]]})


def test_attachments_are_streamed_and_those_too_large_or_gone_are_reported(pair):
    seed_helpdesk(pair.source, tickets=0)
    big = Attachment(source_id="a-big", file_name="scan.pdf", size=11 * MB, url="mem://big")
    unknown = Attachment(source_id="a-unknown", file_name="video.mp4", url="mem://unknown")
    gone = Attachment(source_id="a-gone", file_name="old.txt", size=3, url="mem://gone")
    fine = Attachment(source_id="a-fine", file_name="ok.txt", size=2, url="mem://fine")
    pair.source.blobs.update({"mem://unknown": b"x" * (10 * MB + 1), "mem://fine": b"ok"})
    pair.source.add(_ticket_with(1, big, unknown, gone, fine))
    pair.configure(options=configuration.Options(max_attachment_bytes=10 * MB))
    run = drain(start(pair))
    assert run.status == Run.Status.COMPLETED
    [ticket] = pair.target.written_records(Entity.TICKETS)
    assert [a.source_id for a in ticket.comments[0].attachments] == ["a-fine"]
    skipped = {r.source_id: r for r in RunRecord.objects.filter(run=run, entity=ATTACHMENTS)}
    assert set(skipped) == {"a-big", "a-unknown", "a-gone"}
    assert skipped["a-big"].reason == (
        "The attachment scan.pdf is 11 MB; the target accepts at most 10 MB per file."
    )
    assert "larger than the 10 MB" in skipped["a-unknown"].reason
    assert "no longer exists on the source" in skipped["a-gone"].reason
    assert skipped["a-big"].parent_source_id == "tickets/1"
    migrated = RunRecord.objects.get(run=run, entity="tickets", source_id="1")
    assert migrated.outcome == "migrated" and "Left out: The attachment scan.pdf" in migrated.reason


# --------------------------------------------------------------------------- delta


def test_delta_updates_changed_records_creates_new_ones_and_duplicates_nothing(pair, settings):
    seed_helpdesk(pair.source, tickets=12)
    full = drain(start(pair))
    assert full.status == Run.Status.COMPLETED
    now = datetime.now(UTC)
    for number in (2, 5):
        changed = pair.source.records[Entity.TICKETS][str(number)]
        reply = Comment(source_id=f"{number}-new", public=True, html_body="<p>Any news?</p>",
                        created_at=now, author_id="500")  # fmt: skip
        pair.source.add(
            changed.model_copy(
                update={
                    "subject": f"Ticket {number} (changed)",
                    "updated_at": now,
                    "comments": [*changed.comments, reply],
                }
            )
        )
    pair.source.add(memory.ticket(13, updated_at=now), memory.ticket(14, updated_at=now))
    delta = drain(start(pair, Run.Kind.DELTA))
    assert delta.status == Run.Status.COMPLETED
    assert delta.updated_since == full.started_at - timedelta(
        seconds=settings.MIGRATOR_DELTA_OVERLAP_SECONDS
    )
    assert outcomes(delta, Entity.TICKETS) == {
        "2": "migrated",
        "5": "migrated",
        "13": "migrated",
        "14": "migrated",
    }
    assert_written_once(pair.target, Entity.TICKETS, 14)
    assert pair.target.updates[Entity.TICKETS] == 2
    subjects = {t.subject for t in pair.target.written_records(Entity.TICKETS)}
    assert "Ticket 5 (changed)" in subjects
    updated = RunRecord.objects.get(run=delta, entity="tickets", source_id="2")
    assert updated.reason.startswith("Updated on the target.")


def test_three_records_sharing_one_updated_time_survive_a_crash_between_them(
    pair, settings, monkeypatch
):
    settings.MIGRATOR_PAGE_SIZE = 2
    seed_helpdesk(pair.source, tickets=4)
    drain(start(pair))
    same_time = datetime.now(UTC).replace(microsecond=0)
    pair.source.add(*(memory.ticket(n, updated_at=same_time) for n in (20, 21, 22)))
    delta = start(pair, Run.Kind.DELTA)
    with monkeypatch.context() as patched:
        crash_on_create(patched, source_id="21")
        with pytest.raises(Crash):
            drain(delta)
    delta = recover_after_crash(delta)
    assert delta.status == Run.Status.COMPLETED
    assert outcomes(delta, Entity.TICKETS) == {"20": "migrated", "21": "migrated", "22": "migrated"}
    assert_written_once(pair.target, Entity.TICKETS, 7)


# --------------------------------------------------------------------------- demos


def test_a_demo_writes_twenty_tickets_and_twenty_articles_with_their_related_records(pair):
    seed_helpdesk(pair.source, tickets=30, articles=25)
    pair.source.add(*(memory.contact(600 + n) for n in range(10)))  # nothing refers to them
    run = drain(start(pair, Run.Kind.DEMO))
    assert run.status == Run.Status.COMPLETED
    assert_written_once(pair.target, Entity.TICKETS, 20)
    assert_written_once(pair.target, Entity.ARTICLES, 20)
    assert {c.source_id for c in pair.target.written_records(Entity.CONTACTS)} == {"500"}
    for row in run_summary(run=run):
        assert row.migrated + row.skipped + row.failed == row.available, row
    assert not RecordMap.objects.filter(namespace=RecordMap.Namespace.DEMO).exists()
    # The full run takes over the demo's records: it updates them, and creates the rest.
    full = drain(start(pair))
    assert full.status == Run.Status.COMPLETED
    assert_written_once(pair.target, Entity.TICKETS, 30)
    assert_written_once(pair.target, Entity.ARTICLES, 25)


def test_a_demo_of_chosen_ids_reports_one_deleted_before_it_was_read(pair):
    seed_helpdesk(pair.source, tickets=10)
    options = configuration.Options(demo_ids={Entity.TICKETS: ["2", "4", "6"]})
    pair.configure(options=options, entities=[Entity.CONTACTS, Entity.TICKETS])
    original_read = memory.MemoryDesk.read_page
    planned = []

    def delete_after_planning(self, entity, **kwargs):
        if entity is Entity.TICKETS and kwargs.get("ids") and planned:
            pair.source.delete(Entity.TICKETS, "4")
        if entity is Entity.TICKETS:
            planned.append(True)
        return original_read(self, entity, **kwargs)

    memory.MemoryDesk.read_page = delete_after_planning
    try:
        run = drain(start(pair, Run.Kind.DEMO))
    finally:
        memory.MemoryDesk.read_page = original_read
    assert run.status == Run.Status.COMPLETED
    assert outcomes(run, Entity.TICKETS) == {"2": "migrated", "4": "skipped", "6": "migrated"}
    vanished = RunRecord.objects.get(run=run, entity="tickets", source_id="4")
    assert vanished.reason == (
        "It was not found on the source when it was read: deleted since it was counted or chosen."
    )
    [tickets] = [row for row in run_summary(run=run) if row.entity == "tickets"]
    assert (tickets.available, tickets.migrated, tickets.skipped) == (3, 2, 1)


def test_i_have_fixed_the_errors_runs_the_demo_again_without_duplicates(pair):
    seed_helpdesk(pair.source, tickets=5)

    def refuse_ticket_2(entity, record):
        if entity is Entity.TICKETS and record.source_id == "2":
            raise InvalidRecordError("type is required (HTTP 422)", status=422)

    pair.target.on_create = refuse_ticket_2
    first = drain(start(pair, Run.Kind.DEMO))
    assert outcomes(first, Entity.TICKETS)["2"] == "failed"
    pair.target.on_create = None
    again = drain(services.demo_restart(migration=pair.migration))
    assert set(outcomes(again, Entity.TICKETS).values()) == {"migrated"}
    assert_written_once(pair.target, Entity.TICKETS, 5)
    assert pair.target.updates[Entity.TICKETS] == 4


# --------------------------------------------------------------------------- agents


def test_agents_match_by_email_or_by_hand_and_unmatched_ones_are_skipped(pair):
    seed_helpdesk(pair.source, tickets=2)
    pair.target.existing_agents["agent7@acme.example"] = "t-7"
    pair.configure(matches=configuration.Matches(agents={"8": "t-8-by-hand"}))
    pair.source.add(memory.agent(10, active=False))
    pair.source.add(memory.agent(11))
    run = drain(start(pair))
    records = {r.source_id: r for r in RunRecord.objects.filter(run=run, entity="agents")}
    assert (records["7"].target_id, records["7"].reason) == (
        "t-7",
        "Matched to the agent with the same e-mail address on the target.",
    )
    assert records["8"].target_id == "t-8-by-hand"
    # Found on the target, not written to it: matched, not migrated.
    assert (records["7"].outcome, records["8"].outcome) == ("matched", "matched")
    [agents] = [row for row in run_summary(run=run) if row.entity == "agents"]
    assert (agents.migrated, agents.matched) == (0, 2)
    assert records["10"].reason.startswith("Inactive on the source")
    assert records["11"].outcome == "skipped"
    assert "creating missing agents is off" in records["11"].reason
    assert pair.target.creates[Entity.AGENTS] == 0


# --------------------------------------------------------------------------- scheduling


def test_a_scheduled_run_waits_for_its_time(pair):
    seed_helpdesk(pair.source, tickets=2)
    soon = timezone.now() + timedelta(hours=1)
    run = start(pair, scheduled_for=soon)
    assert run.status == Run.Status.QUEUED
    assert scheduling.runs_reconcile()["started"] == 0
    assert scheduling.runs_reconcile(now=soon + timedelta(seconds=1))["started"] == 1
    assert drain(run).status == Run.Status.COMPLETED


def test_interval_windows_pause_and_resume_the_run_by_themselves(pair):
    seed_helpdesk(pair.source, tickets=2)
    monday_night = timezone.make_aware(datetime(2030, 1, 7, 23, 0))
    monday_noon = timezone.make_aware(datetime(2030, 1, 7, 12, 0))
    nights = configuration.Window(days=[1, 2, 3, 4, 5], start="22:00", end="06:00")
    run = start(pair, windows=[nights])
    assert scheduling.window_open([nights], monday_night)
    assert scheduling.window_open([nights], monday_night + timedelta(hours=6, minutes=59))
    assert not scheduling.window_open([nights], monday_noon)
    scheduling.runs_reconcile(now=monday_night)
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING
    scheduling.runs_reconcile(now=monday_noon + timedelta(days=1))
    run.refresh_from_db()
    assert (run.status, run.paused_by) == (Run.Status.PAUSED, Run.PausedBy.SCHEDULE)
    assert "continues at Tuesday 22:00" in run.pause_reason
    scheduling.runs_reconcile(now=monday_night + timedelta(days=1))
    assert drain(run).status == Run.Status.COMPLETED


# --------------------------------------------------------------------------- reports


def test_reports_stream_as_csv_with_links_per_outcome(pair):
    seed_helpdesk(pair.source, tickets=3)
    run = drain(start(pair))
    lines = list(run_records_csv(run=run, outcome="migrated"))
    assert lines[0] == (
        "entity,source_id,title,source_url,target_id,target_url,outcome,reason,verification\r\n"
    )
    assert len(lines) == 1 + len(RunRecord.objects.filter(run=run, outcome="migrated"))
    assert all(line.endswith(",verified\r\n") for line in lines[1:] if line.startswith("tickets"))
    skipped = list(run_records_csv(run=run, outcome="skipped"))
    assert any(line.startswith("agents,9,") for line in skipped)


def test_a_create_refused_halfway_keeps_what_the_target_made(pair, monkeypatch):
    seed_helpdesk(pair.source, tickets=3)
    original = memory.MemoryDesk.create

    def refuse_after_creating(self, entity, record, **kwargs):
        target_id = original(self, entity, record, **kwargs)
        if entity is Entity.TICKETS and record.source_id == "2":
            raise InvalidRecordError("the translation's language is not enabled (HTTP 404)")
        return target_id

    monkeypatch.setattr(memory.MemoryDesk, "create", refuse_after_creating)
    run = drain(start(pair))
    monkeypatch.undo()
    second = RunRecord.objects.get(run=run, entity="tickets", source_id="2")
    # Not all of it is on the target: it is not "migrated", and the reason says why.
    assert second.outcome == "failed"
    assert "not all of it was written" in second.reason
    assert "the translation's language is not enabled" in second.reason
    mapping = RecordMap.objects.get(entity="tickets", source_id="2")
    assert (mapping.state, mapping.target_id) == (RecordMap.State.PENDING, second.target_id)
    assert_written_once(pair.target, Entity.TICKETS, 3)
    # The next run completes the record it left short, without a second copy.
    again = drain(start(pair))
    record = RunRecord.objects.get(run=again, entity="tickets", source_id="2")
    assert record.outcome == "migrated", record.reason
    assert RecordMap.objects.get(entity="tickets", source_id="2").state == RecordMap.State.DONE
    assert_written_once(pair.target, Entity.TICKETS, 3)


# --------------------------------------------------------------------------- failed runs


def assert_failed(run: Run, migration_status: str = Migration.Status.FAILED) -> None:
    """A failed run is over: it says why, cannot be resumed, and a new run may start."""
    assert run.status == Run.Status.FAILED and run.is_finished
    assert run.finished_at is not None and run.paused_by == ""
    run.migration.refresh_from_db()
    assert run.migration.status == migration_status
    with pytest.raises(ValidationError, match="Only a paused run"):
        services.run_resume(run=run)


def test_a_platform_no_longer_installed_fails_the_run_with_the_reason(pair):
    seed_helpdesk(pair.source, tickets=1)
    pair.migration.source.platform = "retired_desk"
    pair.migration.source.save()
    run = drain(start(pair))
    assert_failed(run)
    assert "No help desk platform is registered as 'retired_desk'" in run.pause_reason


def test_an_entity_the_target_cannot_take_fails_the_run_at_planning(pair, monkeypatch):
    seed_helpdesk(pair.source, tickets=3, articles=2)
    writes = frozenset(Entity) - {Entity.ARTICLES, Entity.ARTICLE_SECTIONS}
    monkeypatch.setattr(
        memory.MemoryDesk,
        "capabilities",
        memory.MemoryDesk.capabilities.model_copy(update={"writes": writes}),
    )
    pair.configure(entities=[Entity.TICKETS, Entity.ARTICLE_SECTIONS, Entity.ARTICLES])
    run = drain(start(pair))
    assert_failed(run)
    assert run.pause_reason == (
        "The run cannot be carried out as configured: Memory Desk cannot take knowledge base "
        "sections and folders, knowledge base articles. Change the migration's settings, then "
        "start a new run."
    )
    assert pair.target.creates[Entity.TICKETS] == 0
    # Changed settings: a new run goes through.
    pair.configure(entities=[Entity.TICKETS])
    assert drain(start(pair)).status == Run.Status.COMPLETED
    pair.migration.refresh_from_db()
    assert pair.migration.status == Migration.Status.COMPLETED


def test_a_target_scope_never_chosen_fails_the_run(pair, monkeypatch):
    seed_helpdesk(pair.source, tickets=2)
    monkeypatch.setattr(
        memory.MemoryDesk,
        "capabilities",
        memory.MemoryDesk.capabilities.model_copy(update={"scope_kind": ScopeKind.INBOX}),
    )
    run = drain(start(pair, Run.Kind.DEMO))
    assert_failed(run, migration_status=Migration.Status.DEMO)
    assert "needs the inbox the migration writes to, and none was chosen" in run.pause_reason


def test_credentials_that_can_no_longer_be_decrypted_fail_the_run(pair):
    seed_helpdesk(pair.source, tickets=2)
    Connection.objects.filter(pk=pair.migration.target_id).update(
        encrypted_credentials="gAAAAAB-not-a-token"
    )
    run = drain(start(pair))
    assert_failed(run)
    assert "can no longer be decrypted" in run.pause_reason


def test_systemic_errors_pause_and_the_migration_follows_its_runs(pair):
    seed_helpdesk(pair.source, tickets=3)
    pair.target.on_create = lambda entity, record: (_ for _ in ()).throw(
        AuthenticationError("target rejected the credentials (HTTP 401)", status=401)
    )
    run = drain(start(pair))
    pair.migration.refresh_from_db()
    assert (run.status, pair.migration.status) == (Run.Status.PAUSED, Migration.Status.PAUSED)
    services.run_cancel(run=run)
    pair.migration.refresh_from_db()
    assert pair.migration.status == Migration.Status.DRAFT
    pair.target.on_create = None
    assert drain(start(pair)).status == Run.Status.COMPLETED
    pair.migration.refresh_from_db()
    assert pair.migration.status == Migration.Status.COMPLETED
    delta = start(pair, Run.Kind.DELTA)
    pair.migration.refresh_from_db()
    assert pair.migration.status == Migration.Status.RUNNING
    services.run_cancel(run=delta)
    pair.migration.refresh_from_db()
    assert pair.migration.status == Migration.Status.COMPLETED


# --------------------------------------------------------------------------- infrastructure


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda: redis.exceptions.ConnectionError("Connection refused"), id="redis"),
        pytest.param(
            lambda: OperationalError("terminating connection due to administrator command"),
            id="postgresql",
        ),
    ],
)
def test_a_service_of_the_installation_failing_never_fails_a_record(pair, monkeypatch, fault):
    seed_helpdesk(pair.source, tickets=6)
    original = memory.MemoryDesk.create
    faults = {"left": 3}

    def create_while_services_fail(self, entity, record, **kwargs):
        if entity is Entity.TICKETS and faults["left"]:
            faults["left"] -= 1
            raise fault()
        return original(self, entity, record, **kwargs)

    monkeypatch.setattr(memory.MemoryDesk, "create", create_while_services_fail)
    monkeypatch.setattr("migrator.engine.infrastructure.RECOVERY_WAIT_SECONDS", 0.1)
    run = drain(start(pair))
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    assert faults["left"] == 0
    assert set(outcomes(run, Entity.TICKETS).values()) == {"migrated"}
    assert_written_once(pair.target, Entity.TICKETS, 6)


def test_a_service_down_past_every_try_pauses_the_run_and_fails_nothing(pair, monkeypatch):
    seed_helpdesk(pair.source, tickets=3)

    def redis_gone(self, entity, record, **kwargs):
        if entity is Entity.TICKETS:
            raise redis.exceptions.ConnectionError("Connection refused")
        return original(self, entity, record, **kwargs)

    original = memory.MemoryDesk.create
    monkeypatch.setattr(memory.MemoryDesk, "create", redis_gone)
    monkeypatch.setattr("migrator.engine.infrastructure.RECOVERY_WAIT_SECONDS", 0.1)
    run = drain(start(pair))
    assert (run.status, run.paused_by) == (Run.Status.PAUSED, Run.PausedBy.SYSTEM)
    assert "Redis could not be reached" in run.pause_reason
    assert not RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED).exists()
    # Redis is back: resuming writes every ticket, once.
    monkeypatch.undo()
    scheduling.run_resume(run=run)
    run = drain(run)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    assert set(outcomes(run, Entity.TICKETS).values()) == {"migrated"}
    assert_written_once(pair.target, Entity.TICKETS, 3)


def test_a_ticket_whose_requester_the_target_refused_says_what_the_target_said(pair):
    """The requester has an address; the target refused it: the ticket's reason says so,
    in the target's words, never that the requester has no address."""
    seed_helpdesk(pair.source, tickets=3)
    pair.source.add(memory.ticket(4, requester_id="501", requester_email=None))

    def refuse_contact_501(entity, record):
        if entity is Entity.CONTACTS and record.source_id == "501":
            raise InvalidRecordError(
                "Memory refused the contact: email: It should be in the 'valid email "
                "address' format",
                status=400,
            )

    pair.target.on_create = refuse_contact_501
    pair.configure(entities=[Entity.CONTACTS, Entity.TICKETS])
    run = drain(start(pair))
    assert run.status == Run.Status.COMPLETED
    contact = RunRecord.objects.get(run=run, entity="contacts", source_id="501")
    assert contact.outcome == RunRecord.Outcome.FAILED
    ticket = RunRecord.objects.get(run=run, entity="tickets", source_id="4")
    assert ticket.outcome == RunRecord.Outcome.SKIPPED
    assert "no e-mail address" not in ticket.reason
    assert ticket.reason == (
        "The ticket's requester (501) was not migrated, and the target needs a requester "
        "for every ticket. Why the requester was not migrated: The target refused it: "
        "Memory refused the contact: email: It should be in the 'valid email address' format"
    )
