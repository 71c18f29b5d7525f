"""Verification of migrated records, against the platforms' emulators in this process.

A faithful migration between sandbox accounts must come out "verified" for every record
on every target; a record changed on the target after the run (a comment deleted from the
emulator's tables, an attachment's bytes changed, a status changed) is reported with those
differences, and "Verify again" repairs what the target's update can write, each comment
ending up there exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.models import EmulatedBlob, EmulatedRecord
from connectors.sandbox import SeedPlan
from migrator import configuration, services
from migrator.engine import reverify
from migrator.models import Run, RunBatch
from reports.models import ATTACHMENTS, RunRecord
from tests.migrator.engine.conftest import drain
from tests.migrator.engine.emulated import (  # noqa: F401 (fixture)
    emulated_pair,
    in_process_emulators,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("in_process_emulators"),
]

#: Tickets with several comments, attachments and inline images, and articles with
#: translations and attachments.
PLAN = SeedPlan(
    agents=5,
    inactive_agents=1,
    deleted_agents=1,
    contacts=8,
    organizations=2,
    groups=3,
    tickets=10,
    comments_per_ticket=(2, 6),
    attachment_ratio=0.8,
    inline_image_ratio=0.4,
    article_categories=1,
    article_sections=2,
    articles=4,
    seed=3,
)
OPTIONS = configuration.Options(migrated_tag="migrated", side_conversations_as_notes=True)


def verifications(run: Run) -> dict[tuple[str, str], tuple[str, str, str]]:
    rows = RunRecord.objects.filter(run=run).exclude(entity__in=["agents", "groups", ATTACHMENTS])
    return {
        (row.entity, row.source_id): (row.outcome, row.verification, row.differences)
        for row in rows
    }


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("zendesk", "freshdesk"),
        ("freshdesk", "zendesk"),
        ("zendesk", "edesk"),
        ("zendesk", "teamwork_desk"),
        ("freshdesk", "halo"),
    ],
)
def test_a_faithful_migration_is_verified_for_every_record(user, enqueued, source, target):
    pair = emulated_pair(
        owner=user,
        source_platform=source,
        target_platform=target,
        source_plan=PLAN,
        options=OPTIONS,
    )
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    found = verifications(run)
    tickets = [key for key in found if key[0] == "tickets"]
    assert len(tickets) == PLAN.tickets
    if target != "edesk":  # eDesk has no knowledge base
        assert len([key for key in found if key[0] == "articles"]) == PLAN.articles
    not_verified = {
        key: value for key, value in found.items() if value[:2] != ("migrated", "verified")
    }
    assert not not_verified, not_verified
    batches = RunBatch.objects.filter(run=run, entity="tickets")
    assert sum(batch.verification_calls for batch in batches) >= PLAN.tickets


def test_verification_can_be_switched_off(user, enqueued):
    plan = SeedPlan(agents=2, contacts=3, tickets=3, comments_per_ticket=(2, 3), seed=4)
    pair = emulated_pair(
        owner=user,
        source_platform="zendesk",
        target_platform="freshdesk",
        source_plan=plan,
        options=configuration.Options(verify_migrated=False),
    )
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert run.status == Run.Status.COMPLETED
    assert {value[:2] for value in verifications(run).values()} == {("migrated", "")}
    assert not RunBatch.objects.filter(run=run, verification_calls__gt=0).exists()


# --------------------------------------------------------------------------- tampering


def _tampered_freshdesk_ticket(pair, run: Run) -> tuple[RunRecord, dict[str, object]]:
    """A migrated ticket changed on the target: a comment deleted, an attachment's bytes
    changed, its status changed. Returns its report row and what was done."""
    rows = RunRecord.objects.filter(run=run, entity="tickets", outcome="migrated")
    for row in rows.order_by("source_id"):
        ticket = EmulatedRecord.objects.get(
            account=pair.target, collection="tickets", number=int(row.target_id)
        )
        conversations = EmulatedRecord.objects.filter(
            account=pair.target, collection="conversations", parent_number=ticket.number
        ).order_by("number")
        comments = [c for c in conversations if "wrote:" in c.data.get("body", "")]
        files = [a for c in conversations for a in c.data.get("attachments") or []]
        if len(comments) >= 2 and files:
            break
    else:
        raise AssertionError("no migrated ticket with two comments and a file")
    deleted = comments[-1]
    deleted.delete()
    blob = EmulatedBlob.objects.get(
        account=pair.target, token=files[0]["attachment_url"].rsplit("/", 1)[-1]
    )
    content = Path(blob.stored_path).read_bytes()
    Path(blob.stored_path).write_bytes(bytes([content[0] ^ 0xFF]) + content[1:])
    ticket.data["status"] = 5 if ticket.data["status"] != 5 else 2
    ticket.save(update_fields=["data"])
    return row, {"file": files[0]["name"], "comment": deleted.number}


def test_a_ticket_changed_on_the_target_is_reported_with_its_differences(user, enqueued):
    plan = SeedPlan(
        agents=3, contacts=4, tickets=6, comments_per_ticket=(3, 5), attachment_ratio=1.0, seed=8
    )
    pair = emulated_pair(
        owner=user, source_platform="zendesk", target_platform="freshdesk", source_plan=plan
    )
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert {value[1] for value in verifications(run).values()} == {"verified"}
    row, tampered = _tampered_freshdesk_ticket(pair, run)

    services.run_reverify_start(run=run, by=user)
    reverify.run_reverify(run_id=run.pk, repair=False)

    row.refresh_from_db()
    assert row.outcome == RunRecord.Outcome.FAILED
    assert row.verification == RunRecord.Verification.DIFFERS
    differences = row.differences.split("; ")
    assert any(d.startswith("1 of ") and "comments missing on the target" in d for d in differences)
    assert (
        f"attachment {tampered['file']}: its content differs on the target (sha256)" in differences
    )
    assert any(d.startswith("status is ") for d in differences)
    assert row.reason.startswith("Written, but the target still differs after a repair: ")
    others = RunRecord.objects.filter(run=run, entity="tickets").exclude(pk=row.pk)
    assert set(others.values_list("verification", flat=True)) == {"verified"}
    run.refresh_from_db()
    assert run.reverify_status == Run.ReverifyStatus.DONE
    assert run.reverify_calls > 0


def test_verify_again_repairs_a_comment_deleted_on_the_target_and_writes_it_once(user, enqueued):
    plan = SeedPlan(agents=3, contacts=4, tickets=5, comments_per_ticket=(3, 5), seed=9)
    pair = emulated_pair(
        owner=user, source_platform="zendesk", target_platform="freshdesk", source_plan=plan
    )
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    row = RunRecord.objects.filter(run=run, entity="tickets").order_by("source_id").first()
    conversations = EmulatedRecord.objects.filter(
        account=pair.target, collection="conversations", parent_number=int(row.target_id)
    )
    bodies_before = sorted(c.data["body"] for c in conversations)
    deleted = [c for c in conversations.order_by("number") if "wrote:" in c.data["body"]][-1]
    deleted.delete()

    services.run_reverify_start(run=run, by=user)
    reverify.run_reverify(run_id=run.pk)

    row.refresh_from_db()
    assert (row.outcome, row.verification, row.differences) == ("migrated", "verified", "")
    bodies_after = sorted(c.data["body"] for c in conversations.all())
    assert bodies_after == bodies_before  # every comment exactly once
    run.refresh_from_db()
    assert run.reverify_repaired == 1
    # Verifying once more finds nothing to repair and writes nothing.
    services.run_reverify_start(run=run, by=user)
    reverify.run_reverify(run_id=run.pk)
    assert sorted(c.data["body"] for c in conversations.all()) == bodies_before
    run.refresh_from_db()
    assert (run.reverify_status, run.reverify_repaired) == (Run.ReverifyStatus.DONE, 0)


def test_a_record_cut_short_while_written_is_completed_by_the_engine(user, enqueued, monkeypatch):
    from connectors.freshdesk.connector import FreshdeskConnector

    plan = SeedPlan(agents=3, contacts=4, tickets=4, comments_per_ticket=(3, 4), seed=10)
    pair = emulated_pair(
        owner=user, source_platform="zendesk", target_platform="freshdesk", source_plan=plan
    )
    original = FreshdeskConnector._conversation_post
    skipped: list[str] = []

    def post_but_lose_one(self, ticket_id, planned, *, opener):
        # The write stops short once: one comment never reaches the target.
        if not skipped and "wrote:" in planned.body["body"]:
            skipped.append(ticket_id)
            return None
        return original(self, ticket_id, planned, opener=opener)

    monkeypatch.setattr(FreshdeskConnector, "_conversation_post", post_but_lose_one)
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    assert skipped
    row = RunRecord.objects.get(run=run, entity="tickets", target_id=skipped[0])
    assert (row.outcome, row.verification) == ("migrated", "verified")
    bodies = [
        c.data["body"]
        for c in EmulatedRecord.objects.filter(
            account=pair.target, collection="conversations", parent_number=int(skipped[0])
        )
    ]
    assert len(bodies) == len(set(bodies))


def test_a_record_the_repair_cannot_complete_is_failed_with_what_is_missing(
    user, enqueued, monkeypatch
):
    from connectors.freshdesk.connector import FreshdeskConnector

    plan = SeedPlan(agents=3, contacts=4, tickets=3, comments_per_ticket=(3, 4), seed=12)
    pair = emulated_pair(
        owner=user, source_platform="zendesk", target_platform="freshdesk", source_plan=plan
    )
    original = FreshdeskConnector._conversation_post
    victims: list[str] = []

    def never_its_comments(self, ticket_id, planned, *, opener):
        # The first ticket's comments are refused silently, on every try.
        victims[:] = victims or [ticket_id]
        if ticket_id == victims[0] and "wrote:" in planned.body["body"]:
            return None
        return original(self, ticket_id, planned, opener=opener)

    monkeypatch.setattr(FreshdeskConnector, "_conversation_post", never_its_comments)
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    (row,) = RunRecord.objects.filter(run=run, entity="tickets", outcome="failed")
    assert row.target_id == victims[0]
    assert row.verification == RunRecord.Verification.DIFFERS
    assert "comments missing on the target: “" in row.differences
    assert row.reason.startswith("Written, but the target still differs after a repair: ")
    others = RunRecord.objects.filter(run=run, entity="tickets").exclude(pk=row.pk)
    assert set(others.values_list("verification", flat=True)) == {"verified"}


def test_a_part_the_target_refuses_fails_the_record_naming_what_is_missing(
    user, enqueued, monkeypatch
):
    from connectors.errors import InvalidRecordError
    from connectors.freshdesk.connector import FreshdeskConnector

    plan = SeedPlan(agents=3, contacts=4, tickets=3, comments_per_ticket=(3, 4), seed=12)
    pair = emulated_pair(
        owner=user, source_platform="zendesk", target_platform="freshdesk", source_plan=plan
    )
    original = FreshdeskConnector._conversation_post
    victims: list[str] = []
    refusing = [True]

    def refuse_its_comments(self, ticket_id, planned, *, opener):
        # The first ticket's comments are refused by the target, on every try.
        victims[:] = victims or [ticket_id]
        if refusing and ticket_id == victims[0] and "wrote:" in planned.body["body"]:
            raise InvalidRecordError("Freshdesk refused the note: body is too long", status=400)
        return original(self, ticket_id, planned, opener=opener)

    monkeypatch.setattr(FreshdeskConnector, "_conversation_post", refuse_its_comments)
    run = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    (row,) = RunRecord.objects.filter(run=run, entity="tickets", outcome="failed")
    assert row.target_id == victims[0]
    assert row.reason.startswith("Created on the target, but not all of it was written (")
    assert "comments missing on the target: “" in row.reason
    assert row.reason.endswith(
        "The target refused a part of it: Freshdesk refused the note: body is too long"
    )
    tickets = EmulatedRecord.objects.filter(account=pair.target, collection="tickets")
    assert tickets.count() == 3
    # The refusal gone, the next run completes the ticket it left short: no second copy.
    refusing.clear()
    again = drain(services.run_start(migration=pair.migration, kind=Run.Kind.FULL))
    row = RunRecord.objects.get(run=again, entity="tickets", target_id=victims[0])
    assert (row.outcome, row.verification) == ("migrated", "verified"), row.reason
    assert tickets.count() == 3


# --------------------------------------------------------------------------- comparison


class _StubTarget:
    """What a comparison asks of a target: its capabilities, the comments it adds of its
    own accord, and its files."""

    def __init__(self, files: dict[str, bytes], *, keeps_dates: bool = True) -> None:
        from connectors.base import Capabilities

        self.files = files
        self.capabilities = Capabilities(keeps_original_dates=keeps_dates)

    def added_by_target(self, entity, comment) -> bool:
        return comment.text_body.startswith("Attachments of")

    def download_attachment(self, attachment):
        from contextlib import nullcontext

        return nullcontext(iter([self.files[attachment.url]]))


def _ticket(**changes):
    from datetime import UTC, datetime

    from connectors.schema import Attachment, Comment, Ticket

    moment = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    report = Attachment(
        source_id="a1", file_name="report.pdf", size=5, url="target://report", content_type="x/y"
    )
    comments = [
        Comment(source_id="c1", public=True, html_body="<p>My printer is on fire.</p>",
                created_at=moment, attachments=[report]),
        Comment(source_id="c2", public=False, created_at=moment,
                html_body="<p>Internal: call the <b>fire</b> brigade</p>"),
        Comment(source_id="c3", public=True, text_body="Done, sorry!", created_at=moment),
    ]  # fmt: skip
    values = dict(
        source_id="1",
        updated_at=moment,
        created_at=moment,
        subject="Printer",
        status="open",
        priority="high",
        requester_id="7",
        assignee_id="8",
        group_id="9",
        tags=["printer", "hdm-0a1b2c3d-tkt-1"],
        custom_fields={"cf_order": 12},
        comments=comments,
    )
    values.update(changes)
    return Ticket(**values)


def _compare(expected, actual, files=None):
    from migrator.engine.verify import Comparison, digest_of

    sent = digest_of([b"%PDF!"])
    target = _StubTarget(files or {"target://report": b"%PDF!"})
    return Comparison(target=target, source_file=lambda attachment: sent).run(
        expected.entity, expected, actual
    )


def test_a_ticket_as_the_target_holds_it_reads_the_same_however_it_is_spaced():
    from connectors.schema import Comment

    expected = _ticket()
    spaced = [
        c.model_copy(update={"html_body": c.html_body.replace("<p>", "<div>\n  ")})
        for c in expected.comments
    ]
    extra = Comment(source_id="x", public=False, text_body="Attachments of it (part 2).",
                    created_at=expected.created_at)  # fmt: skip
    actual = expected.model_copy(
        update={"comments": [extra, *reversed(spaced)], "tags": ["printer"], "source_id": "99"}
    )
    assert _compare(expected, actual) == []


def test_each_difference_is_said_in_plain_words():
    expected = _ticket()
    first, second, _third = expected.comments
    actual = expected.model_copy(
        update={
            "comments": [first, second.model_copy(update={"public": True}), second],
            "status": "solved",
            "assignee_id": None,
            "tags": ["laser"],
            "custom_fields": {"cf_order": "13"},
        }
    )
    differences = _compare(expected, actual, files={"target://report": b"%PDF?"})
    assert differences == [
        "assignee is none on the target, 8 expected",
        "status is solved on the target, open expected",
        "tags missing on the target: printer",
        "tags on the target the source lacks: laser",
        "custom field cf_order is '13' on the target, 12 expected",
        "comment “Internal: call the fire brigade” is public on the target, private expected",
        "1 of 3 comments missing on the target: “Done, sorry!”",
        "1 comment on the target that the source does not have (written twice?): "
        "“Internal: call the fire brigade”",
        "attachment report.pdf: its content differs on the target (sha256)",
    ]


# --------------------------------------------------------------------------- restarts


class Crash(BaseException):
    """The worker dies: nothing in the engine may catch it."""


def test_a_verification_whose_worker_died_is_restarted_where_it_stopped(pair, monkeypatch):
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from tests.migrator.engine import memory

    pair.source.add(memory.contact(500), memory.contact(501))
    pair.source.add(*(memory.ticket(n) for n in range(1, 8)))
    running = services.run_start(migration=pair.migration, kind=Run.Kind.FULL)
    with pytest.raises(ValidationError):
        services.run_reverify_start(run=running)  # not finished yet
    run = drain(running)
    assert run.status == Run.Status.COMPLETED
    monkeypatch.setattr(reverify, "CHUNK", 3)
    checked: list[str] = []
    original = reverify._Checker._check

    def check_then_die(self, entity, row, record):
        if len(checked) == 4:
            raise Crash
        checked.append(row.source_id)
        return original(self, entity, row, record)

    monkeypatch.setattr(reverify._Checker, "_check", check_then_die)
    services.run_reverify_start(run=run)
    with pytest.raises(Crash):
        reverify.run_reverify(run_id=run.pk)
    run.refresh_from_db()
    assert run.reverify_status == Run.ReverifyStatus.RUNNING
    with pytest.raises(ValidationError):
        services.run_reverify_start(run=run)  # still beating, as far as anyone knows
    Run.objects.filter(pk=run.pk).update(
        reverify_heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    again: list[str] = []

    def check_and_count(self, entity, row, record):
        again.append(f"{entity.value}/{row.source_id}")
        return original(self, entity, row, record)

    monkeypatch.setattr(reverify._Checker, "_check", check_and_count)
    services.run_reverify_start(run=run)
    reverify.run_reverify(run_id=run.pk)
    run.refresh_from_db()
    assert run.reverify_status == Run.ReverifyStatus.DONE
    rows = RunRecord.objects.filter(run=run, entity__in=["contacts", "tickets"])
    assert rows.count() == 9
    assert set(rows.values_list("verification", flat=True)) == {"verified"}
    assert rows.filter(checked_at__gte=run.reverify_started_at).count() == 9
    # The contacts' chunk was saved before the crash and is not read again; the tickets'
    # chunk that died is read again from its start.
    assert sorted(again) == sorted(f"tickets/{n}" for n in range(1, 8))
