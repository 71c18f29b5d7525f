"""The drills' oracle sees what is missing on a target, whatever the report says: a copy
of a seeded Zendesk account (made record by record in the emulator's tables) is whole,
and each thing taken away or added is counted."""

from __future__ import annotations

import uuid

import pytest

from connectors.models import EmulatedBlob, EmulatedRecord
from connectors.sandbox import SeedPlan, sandbox_platform
from connectors.zendesk.emulator import BLOB_KEY
from migrator import services
from migrator.drills.oracle import check_run
from migrator.models import Run
from reports.models import ATTACHMENTS, RunRecord

pytestmark = pytest.mark.django_db

PLAN = SeedPlan(
    agents=4,
    contacts=8,
    groups=2,
    tickets=6,
    comments_per_ticket=(3, 5),
    files_per_ticket=(1, 2),
    inline_image_ratio=0.0,
    large_attachment_bytes=300_000,
    large_attachment_tickets=1,
    custom_fields=False,
    article_categories=1,
    article_sections=1,
    articles=4,
    seed=3,
)


def _copy_account(source, target) -> None:
    """Every record and file of ``source`` into ``target``, files under new tokens (the
    same bytes: generated from the same seed)."""
    tokens = {}
    for blob in EmulatedBlob.objects.filter(account=source):
        new_token = uuid.uuid4().hex
        tokens[blob.token] = new_token
        EmulatedBlob.objects.create(
            account=target,
            token=new_token,
            file_name=blob.file_name,
            content_type=blob.content_type,
            size=blob.size,
            sha256=blob.sha256,
            seed=blob.seed,
        )
    EmulatedRecord.objects.filter(account=target).delete()
    for row in EmulatedRecord.objects.filter(account=source):
        data = row.data
        if row.collection == "ticket_comments":
            data = {
                **data,
                "attachments": [
                    {**item, BLOB_KEY: tokens[item[BLOB_KEY]]} for item in data["attachments"]
                ],
            }
        EmulatedRecord.objects.create(
            account=target,
            collection=row.collection,
            number=row.number,
            parent_number=row.parent_number,
            data=data,
        )


@pytest.fixture
def copied(user):
    platform = sandbox_platform("zendesk")
    slug = uuid.uuid4().hex[:6]
    source = platform.account_create(slug=f"oracle-src-{slug}", name="Source")
    platform.seed(account=source, plan=PLAN)
    target = platform.account_create(slug=f"oracle-dst-{slug}", name="Target")
    _copy_account(source, target)
    migration = services.migration_create(owner=user, name="Oracle")
    run = Run.objects.create(migration=migration, kind=Run.Kind.FULL, status=Run.Status.COMPLETED)
    tickets = list(
        EmulatedRecord.objects.filter(account=source, collection="tickets").order_by("number")
    )
    for ticket in tickets:
        RunRecord.objects.create(
            run=run, entity="tickets", source_id=str(ticket.number), outcome="migrated"
        )
    for article in EmulatedRecord.objects.filter(account=source, collection="hc_articles"):
        RunRecord.objects.create(
            run=run, entity="articles", source_id=str(article.number), outcome="migrated"
        )
    return source, target, run, [ticket.number for ticket in tickets]


def _large_file_skipped(source, run) -> None:
    """The seeded large file, reported skipped as the engine would with a target limit."""
    for comment in EmulatedRecord.objects.filter(account=source, collection="ticket_comments"):
        for item in comment.data["attachments"]:
            if item["size"] >= 300_000:
                RunRecord.objects.create(
                    run=run,
                    entity=ATTACHMENTS,
                    source_id=str(item["id"]),
                    outcome="skipped",
                    reason=f"The attachment {item['file_name']} is 293 KB; the target "
                    "accepts at most 200 KB per file.",
                    parent_source_id=f"tickets/{comment.parent_number}",
                )
                return item
    raise AssertionError("no large file was seeded")


def test_a_whole_copy_is_whole(copied):
    source, target, run, _numbers = copied
    findings = check_run(run=run, source=source, target=target)
    assert findings.whole, findings.explain()
    assert findings.tickets == 6 and findings.articles == 4
    assert findings.comments >= 18 and findings.files >= 6


def test_each_loss_and_each_duplicate_is_counted(copied):
    source, target, run, numbers = copied
    comments = EmulatedRecord.objects.filter(account=target, collection="ticket_comments")
    # A comment of the second ticket gone; the third ticket's files gone; the fourth
    # ticket twice; the fifth gone; a comment of the sixth written twice.
    comments.filter(parent_number=numbers[1]).order_by("number").last().delete()
    for comment in comments.filter(parent_number=numbers[2]):
        comment.data = {**comment.data, "attachments": []}
        comment.save()
    fourth = EmulatedRecord.objects.get(account=target, collection="tickets", number=numbers[3])
    twin = EmulatedRecord.objects.create(
        account=target, collection="tickets", number=99_999, data=fourth.data
    )
    for comment in comments.filter(parent_number=numbers[3]):
        EmulatedRecord.objects.create(
            account=target,
            collection="ticket_comments",
            number=comment.number + 50_000_000,
            parent_number=twin.number,
            data=comment.data,
        )
    EmulatedRecord.objects.filter(account=target, collection="tickets", number=numbers[4]).delete()
    again = comments.filter(parent_number=numbers[5]).order_by("number").last()
    EmulatedRecord.objects.create(
        account=target,
        collection="ticket_comments",
        number=again.number + 60_000_000,
        parent_number=numbers[5],
        data=again.data,
    )
    findings = check_run(run=run, source=source, target=target)
    counts = findings.counts()
    assert counts["lost"] == 1 and f"tickets/{numbers[4]}" in findings.lost[0]
    assert counts["duplicated"] == 1 and f"tickets/{numbers[3]}" in findings.duplicated[0]
    assert counts["short"] == 2, findings.explain()
    assert counts["missing_comments"] == 1 and counts["extra_comments"] == 1
    assert counts["missing_files"] >= 1
    # Every one of those was reported migrated: the report does not match the target.
    assert counts["report_mismatches"] == 5, findings.explain()


def test_a_file_the_report_skips_with_a_reason_is_not_missing(copied):
    source, target, run, _numbers = copied
    large = _large_file_skipped(source, run)
    for comment in EmulatedRecord.objects.filter(account=target, collection="ticket_comments"):
        kept = [item for item in comment.data["attachments"] if item["id"] != large["id"]]
        if len(kept) != len(comment.data["attachments"]):
            comment.data = {**comment.data, "attachments": kept}
            comment.save()
    findings = check_run(run=run, source=source, target=target)
    assert findings.whole, findings.explain()
    assert findings.files_reported_skipped == 1


def test_a_record_failed_for_a_passing_fault_is_lost_and_counted(copied):
    source, target, run, numbers = copied
    EmulatedRecord.objects.filter(account=target, collection="tickets", number=numbers[0]).delete()
    RunRecord.objects.filter(run=run, source_id=str(numbers[0])).update(
        outcome="failed", reason="An unexpected error stopped this record (ConnectionError)."
    )
    findings = check_run(run=run, source=source, target=target)
    assert findings.counts()["lost"] == 1
    assert findings.counts()["failed_retryable"] == 1
    assert findings.counts()["report_mismatches"] == 0


def test_two_alike_source_tickets_with_a_copy_each_are_whole(copied):
    source, target, run, numbers = copied
    first, second = numbers[0], numbers[1]
    for account in (source, target):
        tickets = EmulatedRecord.objects.filter(account=account, collection="tickets")
        model = tickets.get(number=first).data
        twin = tickets.get(number=second)
        twin.data = {
            **twin.data,
            "subject": model["subject"],
            "requester_id": model["requester_id"],
        }
        twin.save()
        comments = EmulatedRecord.objects.filter(account=account, collection="ticket_comments")
        opening = comments.filter(parent_number=first).order_by("number").first().data
        twin_opening = comments.filter(parent_number=second).order_by("number").first()
        twin_opening.data = {**twin_opening.data, "html_body": opening["html_body"]}
        twin_opening.save()
    findings = check_run(run=run, source=source, target=target)
    assert findings.whole, findings.explain()
    EmulatedRecord.objects.filter(account=target, collection="tickets", number=second).delete()
    findings = check_run(run=run, source=source, target=target)
    assert findings.counts()["lost"] == 1 and findings.counts()["duplicated"] == 0
