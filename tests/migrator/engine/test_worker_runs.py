"""Runs with real worker processes: Zendesk (source) to Freshdesk (target) over the
emulators on loopback HTTP, PostgreSQL, Redis, beat running the reconciler, and workers
killed with SIGKILL."""

from __future__ import annotations

import random
import re
import time
from collections import Counter

import httpx
import pytest
from django.db.models import Sum
from django.utils import timezone

from connectors.base import is_marker
from connectors.emulation import isoformat
from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.schema import Entity, html_to_text
from migrator import configuration, services
from migrator.models import RecordMap, Run, RunBatch
from reports.models import ATTACHMENTS, RunRecord
from reports.selectors import run_records_csv, run_summary
from tests.migrator.engine import stack as harness
from tests.support import replayable_seed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
]

TICKETS = 2000
TARGET_PLAN = SeedPlan(agents=6, agents_offset=2, groups=2, custom_fields=False, seed=11)


@pytest.fixture
def stack(tmp_path, settings):
    with harness.running_stack(data_dir=tmp_path) as running:
        settings.MIGRATOR_QUEUE = running.queue
        yield running


def small_source(**fields) -> SeedPlan:
    values = dict(
        agents=6,
        deleted_agents=1,
        contacts=15,
        organizations=4,
        groups=3,
        tickets=25,
        comments_per_ticket=(1, 3),
        attachment_ratio=0.2,
        inline_image_ratio=0.0,
        article_categories=2,
        article_sections=3,
        articles=25,
        seed=5,
    )
    values.update(fields)
    return SeedPlan(**values)


def test_a_demo_writes_exactly_twenty_tickets_and_twenty_articles(user, stack):
    accounts = harness.accounts_seed(
        owner=user, stack=stack, source_plan=small_source(), target_plan=TARGET_PLAN
    )
    stack.worker()
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.DEMO)
    run = harness.wait_for_run(run, timeout=240)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    assert harness.target_records(accounts.target, "tickets").count() == 20
    assert harness.target_records(accounts.target, "solution_articles").count() == 20
    summary = {row.entity: row for row in run_summary(run=run)}
    assert summary["tickets"].available == 20 and summary["articles"].available == 20
    for row in summary.values():
        if row.entity != "attachments":
            assert row.migrated + row.matched + row.skipped + row.failed == row.available, row
    assert not RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED).exists(), list(
        RunRecord.objects.filter(run=run, outcome="failed").values_list(
            "entity", "source_id", "reason"
        )
    )


def ticket_markers(account) -> list[str]:
    return [
        tag
        for tags in harness.target_records(account, "tickets").values_list("data__tags", flat=True)
        for tag in tags or []
        if is_marker(tag)
    ]


def migrated_tickets(run: Run) -> int:
    return RunRecord.objects.filter(run=run, entity="tickets").count()


def test_a_full_run_killed_five_times_moves_every_ticket_exactly_once(user, stack):
    source_plan = SeedPlan(
        agents=6,
        contacts=40,
        organizations=5,
        groups=3,
        tickets=TICKETS,
        comments_per_ticket=(1, 1),
        attachment_ratio=0.0,
        inline_image_ratio=0.0,
        custom_fields=False,
        seed=9,
    )
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=source_plan,
        target_plan=TARGET_PLAN,
        entities=[
            Entity.ORGANIZATIONS,
            Entity.GROUPS,
            Entity.AGENTS,
            Entity.CONTACTS,
            Entity.TICKETS,
        ],
    )
    worker = stack.worker(concurrency=3)
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    # Seeded and printed, so that a failure can be replayed with the same kill moments.
    moments = random.Random(replayable_seed())
    for kill in range(5):
        # Anywhere in the run: planning, small entities, or in the middle of the tickets.
        goal = moments.randint(kill * TICKETS // 6, (kill + 1) * TICKETS // 6)
        harness.wait_for_run(
            run, timeout=120, until=lambda current, goal=goal: migrated_tickets(current) >= goal
        )
        pause = moments.uniform(0, 1.5)
        print(f"kill {kill + 1}: {pause:.2f}s after {goal} tickets were reported", flush=True)
        time.sleep(pause)
        worker.kill()
        worker = stack.worker(concurrency=3)
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    markers = ticket_markers(accounts.target)
    assert len(markers) == TICKETS
    assert len(set(markers)) == TICKETS, "a ticket was created twice"
    assert harness.target_records(accounts.target, "tickets").count() == TICKETS
    reported = RunRecord.objects.filter(run=run, entity="tickets")
    assert reported.count() == TICKETS
    assert set(reported.values_list("outcome", flat=True)) == {RunRecord.Outcome.MIGRATED}
    assert not RecordMap.objects.filter(
        migration=accounts.migration, state=RecordMap.State.PENDING
    ).exists()


def test_a_run_whose_workers_are_stopped_with_sigterm_writes_every_comment_once(user, stack):
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=small_source(
            tickets=90,
            comments_per_ticket=(3, 6),
            attachment_ratio=1.0,
            articles=0,
            article_sections=0,
            article_categories=0,
        ),
        target_plan=TARGET_PLAN,
        entities=[Entity.CONTACTS, Entity.TICKETS],
    )
    moments = random.Random(replayable_seed())
    worker = stack.worker(concurrency=3)
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    given_back = 0
    for stop in range(3):
        goal = moments.randint(stop * 90 // 4, (stop + 1) * 90 // 4)
        harness.wait_for_run(
            run, timeout=180, until=lambda current, goal=goal: migrated_tickets(current) >= goal
        )
        time.sleep(moments.uniform(0, 1.0))
        # What a service manager's stop and Ctrl-C send: SIGTERM to the whole group.
        worker.stop(timeout=60)
        given_back += sum("given back: the worker is stopping" in line for line in worker.lines)
        worker = stack.worker(concurrency=3)
    # The batches at hand were given back by the stopping workers, not left to go stale.
    assert given_back, "no stopping worker gave its batch back"
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    reported = RunRecord.objects.filter(run=run, entity="tickets")
    assert set(reported.values_list("outcome", flat=True)) == {RunRecord.Outcome.MIGRATED}
    assert harness.target_records(accounts.target, "tickets").count() == 90
    assert_every_comment_once(accounts)


# --------------------------------------------------------------------------- delta


def zendesk_call(accounts, stack, method: str, path: str, body: dict) -> dict:
    """A change made on the source while the migration runs, through Zendesk's API."""
    values = sandbox_platform("zendesk").credentials(
        account=accounts.source, site_url=stack.site_url
    )
    response = httpx.request(
        method,
        f"{values['url']}/api/v2/{path}",
        json=body,
        auth=(f"{values['email']}/token", values["api_token"]),
        timeout=30,
    )
    response.raise_for_status()
    return response.json() if response.content else {}


def source_tickets(accounts) -> list[int]:
    return sorted(
        harness.target_records(accounts.source, "tickets").values_list("number", flat=True)
    )


def target_ticket(accounts, source_id: int | str):
    mapping = RecordMap.objects.get(
        migration=accounts.migration,
        namespace=RecordMap.Namespace.MAIN,
        entity="tickets",
        source_id=str(source_id),
    )
    return harness.target_records(accounts.target, "tickets").get(number=int(mapping.target_id))


def conversation_texts(accounts, source_id: int | str) -> list[str]:
    """The bodies of a migrated ticket's conversations on the target."""
    ticket = target_ticket(accounts, source_id)
    rows = harness.target_records(accounts.target, "conversations").filter(
        parent_number=ticket.number
    )
    return [row.data.get("body_text") or "" for row in rows.order_by("number")]


def test_crashes_after_creates_and_updates_and_a_delta_duplicate_nothing(user, stack):
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=small_source(tickets=60, articles=10),
        target_plan=TARGET_PLAN,
        entities=[Entity.CONTACTS, Entity.TICKETS],
    )
    ids = source_tickets(accounts)
    created_crash = stack.data_dir / "crashed-after-create"
    worker = stack.worker(
        concurrency=1,
        MIGRATOR_PAGE_SIZE="10",
        MIGRATOR_CRASH_POINT=f"after_create@{ids[25]}:1:{created_crash}",
    )
    full = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    harness.wait_for_run(full, timeout=120, until=lambda run: migrated_tickets(run) >= 15)
    # While the full run goes on: replies on migrated tickets, and new tickets.
    for number in ids[:3]:
        zendesk_call(
            accounts,
            stack,
            "PUT",
            f"tickets/{number}.json",
            {"ticket": {"comment": {"body": "Any news?", "public": True}}},
        )
    requester = harness.target_records(accounts.source, "tickets").get(number=ids[0]).data
    new_ids = [
        zendesk_call(
            accounts,
            stack,
            "POST",
            "tickets.json",
            {
                "ticket": {
                    "subject": f"Arrived during the run {n}",
                    "comment": {"body": "Hello"},
                    "requester_id": requester["requester_id"],
                }
            },
        )["ticket"]["id"]
        for n in range(2)
    ]
    full = harness.wait_for_run(full, timeout=180)
    assert full.status == Run.Status.COMPLETED, full.pause_reason
    assert created_crash.exists(), "the worker was to be killed right after a create"
    assert len(set(ticket_markers(accounts.target))) == len(ticket_markers(accounts.target))

    # Three tickets changed within one second, the worker dying between two of them.
    same_second = timezone.now().replace(microsecond=0)
    trio = ids[40:43]
    for row in harness.target_records(accounts.source, "tickets").filter(number__in=trio):
        row.data = {
            **row.data,
            "subject": f"{row.data['subject']} (edited)",
            "updated_at": isoformat(same_second),
        }
        row.updated_at = same_second
        row.save(update_fields=["data", "updated_at"])
    updated_crash = stack.data_dir / "crashed-after-update"
    worker.stop()
    stack.worker(
        concurrency=1,
        MIGRATOR_PAGE_SIZE="2",
        MIGRATOR_CRASH_POINT=f"after_update@{trio[1]}:1:{updated_crash}",
    )
    delta = services.run_start(migration=accounts.migration, kind=Run.Kind.DELTA)
    delta = harness.wait_for_run(delta, timeout=180)
    assert delta.status == Run.Status.COMPLETED, delta.pause_reason
    assert updated_crash.exists(), "the worker was to be killed between two of the trio"
    markers = ticket_markers(accounts.target)
    assert len(markers) == len(set(markers)) == len(ids) + len(new_ids)
    for number in new_ids:
        assert target_ticket(accounts, number).data["subject"].startswith("Arrived during")
    for number in trio:
        assert target_ticket(accounts, number).data["subject"].endswith("(edited)")
        assert (
            RunRecord.objects.get(run=delta, entity="tickets", source_id=str(number)).outcome
            == RunRecord.Outcome.MIGRATED
        )
    # Replies posted during the full run are on the target once, whichever run took them.
    for number in ids[:3]:
        texts = conversation_texts(accounts, number)
        assert sum("Any news?" in text for text in texts) == 1, texts


def test_a_delta_adds_a_new_reply_without_repeating_the_conversation(user, stack):
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=small_source(
            tickets=3,
            comments_per_ticket=(3, 3),
            articles=0,
            article_sections=0,
            article_categories=0,
        ),
        target_plan=TARGET_PLAN,
        entities=[Entity.CONTACTS, Entity.TICKETS],
    )
    stack.worker(concurrency=1)
    full = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    assert harness.wait_for_run(full, timeout=120).status == Run.Status.COMPLETED
    # Zendesk refuses changes to closed tickets: the reply goes to one still open.
    number = next(
        row.number
        for row in harness.target_records(accounts.source, "tickets").order_by("number")
        if row.data.get("status") != "closed"
    )
    before = conversation_texts(accounts, number)
    zendesk_call(
        accounts,
        stack,
        "PUT",
        f"tickets/{number}.json",
        {"ticket": {"comment": {"body": "Any news?", "public": True}}},
    )
    delta = services.run_start(migration=accounts.migration, kind=Run.Kind.DELTA)
    assert harness.wait_for_run(delta, timeout=120).status == Run.Status.COMPLETED
    after = conversation_texts(accounts, number)
    assert len(after) == len(before) + 1, after


# --------------------------------------------------------------------------- faults


def test_server_errors_and_429_bursts_never_fail_a_record(user, stack):
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=small_source(tickets=60, articles=10),
        target_plan=TARGET_PLAN,
    )
    for account in (accounts.source, accounts.target):
        account.fault_server_error_ratio = 0.05
        # Bursts: 40 requests per 2-second window, then 429 with Retry-After.
        account.rate_limit_per_minute = 40
        account.options = {**account.options, "rate_window_seconds": 2}
        account.save()
    # Answers cut short: on a write, the record was made but its answer was lost.
    accounts.target.fault_malformed_ratio = 0.03
    accounts.target.save()
    # The workers count the announced 40 in 1-second windows, the emulators in 2-second
    # ones: the platforms allow half what they announce, so 429 bursts still come.
    stack.worker(concurrency=3, CONNECTOR_RATE_WINDOW_SECONDS="1")
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    run = harness.wait_for_run(run, timeout=300)
    assert run.status == Run.Status.COMPLETED, run.pause_reason
    failed = RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED)
    assert not failed.exists(), list(failed.values_list("entity", "source_id", "reason"))
    assert RunBatch.objects.filter(run=run).aggregate(n=Sum("rate_limited"))["n"] > 0
    markers = ticket_markers(accounts.target)
    assert len(markers) == len(set(markers)) == 60
    assert_every_comment_once(accounts)


#: The header a migrated comment's text starts with on Freshdesk: its date and author.
COMMENT_HEADER = re.compile(r"^On \d{4}-\d\d-\d\d \d\d:\d\d UTC(?:, .+? wrote)?:")


def assert_every_comment_once(accounts) -> None:
    """Each source comment after the first (the description) is, on the target, exactly
    one of its ticket's conversations, with the same text; the target's own data says so."""

    def letters(text: str) -> str:
        return re.sub(r"\s+", "", text)

    source_comments = harness.target_records(accounts.source, "ticket_comments")
    wrong = {}
    for number in source_tickets(accounts):
        texts = [
            letters(COMMENT_HEADER.sub("", " ".join(text.split())))
            for text in conversation_texts(accounts, number)
        ]
        comments = source_comments.filter(parent_number=number).order_by("number")
        # A text said twice on the source is there twice: counted, not just found.
        expected = Counter(
            letters(html_to_text(comment.data.get("html_body") or ""))
            for comment in list(comments)[1:]
        )
        found = Counter(texts)
        for body, count in expected.items():
            if found[body] != count:
                wrong[(number, body)] = (count, found[body])
    assert not wrong, f"comments short or doubled (source, target): {wrong}"


# --------------------------------------------------------------------------- bad data


def test_bad_data_lands_in_the_right_report_with_a_readable_reason(user, stack):
    accounts = harness.accounts_seed(
        owner=user,
        stack=stack,
        source_plan=small_source(
            tickets=12,
            articles=0,
            article_sections=0,
            article_categories=0,
            large_attachment_bytes=11 * 1024 * 1024,
            deleted_agents=1,
            attachment_ratio=0.0,
        ),
        target_plan=TARGET_PLAN,
        entities=[Entity.GROUPS, Entity.AGENTS, Entity.CONTACTS, Entity.TICKETS],
    )
    services.migration_configure(
        migration=accounts.migration,
        # Freshdesk takes 20 MB; this target is set to take 10 MB, like eDesk.
        options=configuration.Options(max_attachment_bytes=10 * 1024 * 1024),
    )
    source = accounts.source
    comments = harness.target_records(source, "ticket_comments")
    [large] = [
        row.parent_number
        for row in comments
        if any(a.get("size", 0) > 10 * 1024 * 1024 for a in row.data.get("attachments") or [])
    ]
    others = [number for number in source_tickets(accounts) if number != large]
    no_requester, with_deleted_agent, malformed, deleted, plain = others[:5]
    tickets = harness.target_records(source, "tickets")

    def edit_ticket(number: int, **changes) -> None:
        row = tickets.get(number=number)
        row.data = {**row.data, **changes}
        row.save(update_fields=["data"])

    edit_ticket(no_requester, requester_id=99999999, submitter_id=99999999)
    gone_agent = harness.target_records(source, "deleted_users").first()
    edit_ticket(with_deleted_agent, assignee_id=gone_agent.number)
    broken = comments.filter(parent_number=malformed).order_by("number").first()
    broken.data = {**broken.data, "html_body": "<div><p>Printer <b>on fire</div></i><td>help"}
    broken.save(update_fields=["data"])
    stack.worker()
    run = services.run_start(migration=accounts.migration, kind=Run.Kind.FULL)
    run = harness.wait_for_run(run, timeout=180)
    assert run.status == Run.Status.COMPLETED, run.pause_reason

    def report(entity: str, source_id) -> RunRecord:
        return RunRecord.objects.get(run=run, entity=entity, source_id=str(source_id))

    missing = report("tickets", no_requester)
    assert missing.outcome == RunRecord.Outcome.SKIPPED
    assert "requester (99999999) was not migrated and the source gave no e-mail address" in (
        missing.reason
    )
    agent = report("agents", gone_agent.number)
    assert agent.outcome == RunRecord.Outcome.SKIPPED
    assert agent.reason.startswith("Deleted on the source")
    assigned = report("tickets", with_deleted_agent)
    assert assigned.outcome == RunRecord.Outcome.MIGRATED
    assert f"Agent {gone_agent.number} is deleted, inactive or not matched" in assigned.reason
    repaired = report("tickets", malformed)
    assert repaired.outcome == RunRecord.Outcome.MIGRATED
    assert "had malformed HTML (unclosed or stray tags); it was repaired" in repaired.reason
    assert report("tickets", plain).outcome == RunRecord.Outcome.MIGRATED
    with_large = report("tickets", large)
    assert with_large.outcome == RunRecord.Outcome.MIGRATED
    [too_large] = RunRecord.objects.filter(run=run, entity=ATTACHMENTS)
    assert too_large.outcome == RunRecord.Outcome.SKIPPED
    assert too_large.reason == (
        "The attachment diagnostics-bundle.zip is 11 MB; the target accepts at most 10 MB per file."
    )
    assert too_large.parent_source_id == f"tickets/{large}"
    skipped_csv = "".join(run_records_csv(run=run, outcome="skipped"))
    assert "diagnostics-bundle.zip is 11 MB" in skipped_csv
    assert harness.target_records(accounts.target, "tickets").count() == 11

    # A demo of chosen tickets, one of them deleted on the source after it was chosen.
    services.migration_configure(
        migration=accounts.migration,
        options=configuration.Options(
            demo_ids={Entity.TICKETS: [str(deleted), str(plain)]},
        ),
    )
    zendesk_call(accounts, stack, "DELETE", f"tickets/{deleted}.json", {})
    demo = services.run_start(migration=accounts.migration, kind=Run.Kind.DEMO)
    demo = harness.wait_for_run(demo, timeout=120)
    assert demo.status == Run.Status.COMPLETED, demo.pause_reason
    vanished = RunRecord.objects.get(run=demo, entity="tickets", source_id=str(deleted))
    assert vanished.outcome == RunRecord.Outcome.SKIPPED
    # Gone before the demo was planned: the source has no such ticket.
    assert vanished.reason == f"No ticket with id {deleted} on Zendesk."
    [tickets] = [row for row in run_summary(run=demo) if row.entity == "tickets"]
    assert (tickets.available, tickets.migrated, tickets.skipped) == (2, 1, 1)
