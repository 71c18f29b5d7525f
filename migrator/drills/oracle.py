"""The drills' oracle: did every source record arrive on the target exactly once and whole?

It compares the source emulator's data with the target emulator's own data (see
:mod:`migrator.drills.readers`), finding each source ticket's copy by its content — the
subject and the requester's e-mail address, then the text of its first comment — never by
the record map or the markers. Records that were on the target before the run (its
``baseline``) are left out. The run's report is checked against what was found, not the
other way round.

Counts:

* lost: a source ticket or article with no copy, unless the report says why for a cause
  that is the record's own (skipped, or failed for a reason that is not a passing fault:
  those are counted as refused);
* duplicated: a copy too many;
* short: a copy missing a comment (each source comment must be there exactly once, by
  its normalised text), a file (by the sha256 of its bytes, unless the report lists it
  as skipped with a reason, e.g. over the target's size limit) or a translation;
* extra comments: a source comment found more than once in its copy;
* report: a source record without its one report row, or whose outcome says otherwise
  than the target (migrated ⇔ there once and whole; skipped or failed ⇔ a reason);
* failed-retryable: records reported failed for a fault that is the infrastructure's or
  passing (5xx, 429, timeouts, dropped connections, Redis or PostgreSQL down, a cut
  answer), which a run should have waited out instead.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from connectors.models import EmulatedAccount, EmulatedRecord
from migrator.drills.readers import (
    ArticleView,
    FileView,
    TicketView,
    normalised_text,
    reader_for,
)
from migrator.models import Run
from reports.models import ATTACHMENTS, RunRecord

#: The collections whose records the baseline remembers, per target platform.
BASELINE_COLLECTIONS = {
    "zendesk": ("tickets", "hc_articles"),
    "freshdesk": ("tickets", "solution_articles"),
}

#: Words of a failure reason that name a passing or infrastructure fault, not the record.
RETRYABLE_FAULT = re.compile(
    r"\b5\d\d\b|\b429\b|too many requests|rate.?limit|time(d)?.?out|timeout|"
    r"connection|could not connect|could not be reached|unreachable|reset by peer|broken pipe|"
    r"\bredis\b|postgres|operationalerror|interfaceerror|server closed|terminat|"
    r"service unavailable|bad gateway|internal server error|server error|"
    r"not (valid )?json|invalid json|jsondecodeerror|cut short|truncated|malformed payload|"
    r"worker (was )?(lost|killed|stopped)|sigkill|sigterm",
    re.IGNORECASE,
)


def target_baseline(account: EmulatedAccount) -> dict[str, set[int]]:
    """The target's records before the run: they are not copies the run made."""
    collections = BASELINE_COLLECTIONS.get(account.platform, ())
    baseline: dict[str, set[int]] = {collection: set() for collection in collections}
    for collection, number in EmulatedRecord.objects.filter(
        account=account, collection__in=collections
    ).values_list("collection", "number"):
        baseline[collection].add(number)
    return baseline


@dataclass
class Findings:
    tickets: int = 0
    articles: int = 0
    comments: int = 0
    files: int = 0
    files_reported_skipped: int = 0
    lost: list[str] = field(default_factory=list)
    #: Records with no copy that the report says failed for a reason of their own.
    refused: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    missing_comments: int = 0
    extra_comments: int = 0
    missing_files: int = 0
    extra_files: int = 0
    missing_translations: int = 0
    #: Target copies matching no source record at all.
    unmatched_copies: int = 0
    report_problems: list[str] = field(default_factory=list)
    failed_retryable: list[str] = field(default_factory=list)
    #: Every reported failure, retryable or not (entity/source id: reason).
    failed: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "short": len(self.short),
            "failed_retryable": len(self.failed_retryable),
            "report_mismatches": len(self.report_problems),
            "missing_comments": self.missing_comments,
            "extra_comments": self.extra_comments,
            "missing_files": self.missing_files,
            "extra_files": self.extra_files,
            "missing_translations": self.missing_translations,
            "unmatched_copies": self.unmatched_copies,
            "failed": len(self.failed),
            "refused": len(self.refused),
        }

    @property
    def whole(self) -> bool:
        counts = self.counts()
        return not any(counts[name] for name in counts if name not in ("failed", "refused"))

    def summary(self) -> str:
        counts = self.counts()
        return (
            f"{self.tickets} tickets ({self.comments} comments, {self.files} files, "
            f"{self.files_reported_skipped} reported skipped), {self.articles} articles: "
            f"lost {counts['lost']}, duplicated {counts['duplicated']}, short {counts['short']}, "
            f"failed-retryable {counts['failed_retryable']}; missing comments "
            f"{self.missing_comments}, extra comments {self.extra_comments}, missing files "
            f"{self.missing_files}, extra files {self.extra_files}, missing translations "
            f"{self.missing_translations}, copies matching nothing {self.unmatched_copies}, "
            f"report mismatches {len(self.report_problems)}, failed {len(self.failed)} "
            f"(refused by the target for a reason of their own, no copy: {len(self.refused)})"
        )

    def explain(self, *, limit: int = 25) -> str:
        lines = [self.summary()]
        for title, items in (
            ("lost", self.lost),
            ("duplicated", self.duplicated),
            ("short", self.short),
            ("failed-retryable", self.failed_retryable),
            ("refused", self.refused),
            ("report", self.report_problems),
            ("detail", self.details),
        ):
            for item in items[:limit]:
                lines.append(f"  {title}: {item}")
            if len(items) > limit:
                lines.append(f"  {title}: … and {len(items) - limit} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------- matching


def _key(subject: str, email: str) -> tuple[str, str]:
    return normalised_text(subject), email.casefold()


def _assign_copies(
    sources: list[TicketView], targets: list[TicketView]
) -> dict[int, list[TicketView]]:
    """Each target ticket, given to the source ticket it is a copy of: the same subject
    and requester, the source's opening text in its first comment (else in any). When
    several sources fit (one's opening contains another's, or two sources are alike),
    the most specific opening wins, then the source the copy holds most of, then the one
    with fewer copies so far, so that two alike source tickets with one copy each are
    not counted as one ticket lost and one duplicated."""
    by_key: dict[tuple[str, str], list[TicketView]] = {}
    for source in sources:
        by_key.setdefault(_key(source.subject, source.requester_email), []).append(source)
    assigned: dict[int, list[TicketView]] = {source.number: [] for source in sources}
    for target in targets:
        alike = by_key.get(_key(target.subject, target.requester_email), [])
        # The opening is the copy's first comment; only a copy whose first comment was
        # changed is looked for further down (a later comment may repeat another
        # ticket's opening words).
        fitting = [
            source
            for source in alike
            if target.comments and _opening(source) in target.comments[0].text
        ] or [
            source
            for source in alike
            if any(_opening(source) in comment.text for comment in target.comments)
        ]
        if not fitting:
            continue
        longest = max(len(_opening(source)) for source in fitting)
        chosen = min(
            (source for source in fitting if len(_opening(source)) == longest),
            key=lambda source: (
                len(_comment_gaps(source, target)[0]),
                len(assigned[source.number]),
                source.number,
            ),
        )
        assigned[chosen.number].append(target)
    return assigned


def _opening(ticket: TicketView) -> str:
    return ticket.comments[0].text if ticket.comments else ""


def _comment_gaps(source: TicketView, copy: TicketView) -> tuple[list[str], int]:
    """(texts of source comments missing from the copy, comments found twice or more).

    Each source comment must match one target comment containing its text, each target
    comment serving once: the copy's comments may carry a header (original date and
    author) before the text, and notes of its own (the original dates)."""
    unused = list(range(len(copy.comments)))
    missing = []
    for comment in source.comments:
        found = next((i for i in unused if comment.text in copy.comments[i].text), None)
        if found is None:
            missing.append(comment.text)
        else:
            unused.remove(found)
    extra = sum(
        1
        for i in unused
        if any(
            comment.text and comment.text in copy.comments[i].text for comment in source.comments
        )
    )
    return missing, extra


def _expected_files(source: TicketView, *, inline_uploaded: bool) -> list[FileView]:
    return [file for file in source.files if inline_uploaded or not file.inline]


# --------------------------------------------------------------------------- the check


@dataclass
class _Report:
    rows: dict[tuple[str, str], RunRecord]
    skipped_files: dict[str, list[RunRecord]]


def _report_of(run: Run) -> _Report:
    rows: dict[tuple[str, str], RunRecord] = {}
    skipped_files: dict[str, list[RunRecord]] = {}
    for record in RunRecord.objects.filter(run=run):
        if record.entity == ATTACHMENTS:
            if record.outcome == RunRecord.Outcome.SKIPPED and record.reason.strip():
                skipped_files.setdefault(record.parent_source_id, []).append(record)
            continue
        rows[(record.entity, record.source_id)] = record
    return _Report(rows=rows, skipped_files=skipped_files)


def _reported_skipped(file: FileView, rows: list[RunRecord]) -> bool:
    """Whether one of the ticket's skipped-attachment rows names this file; the row is
    used up so that each row accounts for one file only."""
    for row in rows:
        if file.name and file.name in row.reason:
            rows.remove(row)
            return True
    return False


def _retryable(record: RunRecord) -> bool:
    return bool(RETRYABLE_FAULT.search(f"{record.reason}\n{record.detail}"))


def _absent(findings: Findings, row: RunRecord | None, label: str) -> None:
    """A source record with no copy: lost, unless the report gives a reason of its own."""
    if row is not None and row.reason.strip():
        if row.outcome == RunRecord.Outcome.SKIPPED:
            return
        if row.outcome == RunRecord.Outcome.FAILED and not _retryable(row):
            findings.refused.append(f"{label}: {row.reason[:160]}")
            return
    reason = f" (reported {row.outcome}: {row.reason[:120]})" if row else " (no report row)"
    findings.lost.append(f"{label}{reason}")


def _check_report_row(
    findings: Findings, report: _Report, *, entity: str, source_id: str, on_target_whole: bool
) -> RunRecord | None:
    row = report.rows.get((entity, source_id))
    label = f"{entity}/{source_id}"
    if row is None:
        findings.report_problems.append(f"{label}: no report row")
        return None
    if row.outcome == RunRecord.Outcome.MIGRATED and not on_target_whole:
        findings.report_problems.append(
            f"{label}: reported migrated but not on the target once and whole"
        )
    elif row.outcome != RunRecord.Outcome.MIGRATED and not row.reason.strip():
        findings.report_problems.append(f"{label}: reported {row.outcome} without a reason")
    return row


def _check_tickets(
    findings: Findings,
    report: _Report,
    *,
    sources: list[TicketView],
    targets: list[TicketView],
    inline_uploaded: bool,
) -> None:
    assigned = _assign_copies(sources, targets)
    claimed: set[int] = set()
    findings.tickets = len(sources)
    for source in sources:
        source_id = str(source.number)
        label = f"tickets/{source_id}"
        expected_files = _expected_files(source, inline_uploaded=inline_uploaded)
        findings.comments += len(source.comments)
        findings.files += len(expected_files)
        copies = assigned[source.number]
        claimed.update(copy.number for copy in copies)
        if not copies:
            _absent(findings, report.rows.get(("tickets", source_id)), label)
            _check_report_row(
                findings, report, entity="tickets", source_id=source_id, on_target_whole=False
            )
            continue
        if len(copies) > 1:
            findings.duplicated.append(
                f"{label}: {len(copies)} copies ({', '.join(str(c.number) for c in copies)})"
            )
        # The fullest copy is judged; the others are duplicates already counted.
        copy = min(copies, key=lambda candidate: len(_comment_gaps(source, candidate)[0]))
        missing_comments, extra_comments = _comment_gaps(source, copy)
        skipped_rows = list(report.skipped_files.get(label, []))
        target_files = Counter(file.sha256 for file in copy.files)
        missing_files = []
        for file in expected_files:
            if target_files[file.sha256] > 0:
                target_files[file.sha256] -= 1
            elif _reported_skipped(file, skipped_rows):
                findings.files_reported_skipped += 1
            else:
                missing_files.append(file.name)
        expected_shas = {file.sha256 for file in expected_files}
        extra_files = sum(n for sha, n in target_files.items() if sha in expected_shas and n > 0)
        findings.missing_comments += len(missing_comments)
        findings.extra_comments += extra_comments
        findings.missing_files += len(missing_files)
        findings.extra_files += extra_files
        if missing_comments or missing_files:
            findings.short.append(
                f"{label} (copy {copy.number}): {len(missing_comments)} of "
                f"{len(source.comments)} comments and {len(missing_files)} of "
                f"{len(expected_files)} files missing"
                + (f" ({', '.join(missing_files)})" if missing_files else "")
            )
        if extra_comments or extra_files:
            findings.details.append(
                f"{label} (copy {copy.number}): {extra_comments} comment(s) and "
                f"{extra_files} file(s) twice"
            )
        whole = len(copies) == 1 and not (
            missing_comments or missing_files or extra_comments or extra_files
        )
        _check_report_row(
            findings, report, entity="tickets", source_id=source_id, on_target_whole=whole
        )
    unmatched = [target for target in targets if target.number not in claimed]
    findings.unmatched_copies += len(unmatched)
    for target in unmatched[:10]:
        findings.details.append(
            f"target ticket {target.number} ({target.subject!r}, {target.requester_email}) "
            "matches no source ticket"
        )


def _check_articles(
    findings: Findings,
    report: _Report,
    *,
    sources: list[ArticleView],
    targets: list[ArticleView],
) -> None:
    by_title: dict[str, list[ArticleView]] = {}
    for target in targets:
        by_title.setdefault(normalised_text(target.title), []).append(target)
    claimed: set[int] = set()
    findings.articles = len(sources)
    for source in sources:
        source_id = str(source.number)
        label = f"articles/{source_id}"
        copies = [
            target
            for target in by_title.get(normalised_text(source.title), [])
            if source.text in target.text
        ]
        claimed.update(copy.number for copy in copies)
        if not copies:
            _absent(findings, report.rows.get(("articles", source_id)), label)
            _check_report_row(
                findings, report, entity="articles", source_id=source_id, on_target_whole=False
            )
            continue
        if len(copies) > 1:
            findings.duplicated.append(f"{label}: {len(copies)} copies")
        copy = copies[0]
        missing = []
        if copy.translations is not None and source.translations:
            for locale, (title, text) in source.translations.items():
                held = copy.translations.get(locale)
                same_title = held is not None and normalised_text(held[0]) == normalised_text(title)
                if not (same_title and held is not None and text in held[1]):
                    missing.append(locale)
        if missing:
            findings.missing_translations += len(missing)
            findings.short.append(f"{label} (copy {copy.number}): translations {missing} missing")
        _check_report_row(
            findings,
            report,
            entity="articles",
            source_id=source_id,
            on_target_whole=len(copies) == 1 and not missing,
        )
    findings.unmatched_copies += sum(1 for target in targets if target.number not in claimed)


def check_run(
    *,
    run: Run,
    source: EmulatedAccount,
    target: EmulatedAccount,
    baseline: dict[str, set[int]] | None = None,
    entities: tuple[str, ...] = ("tickets", "articles"),
) -> Findings:
    """Compare what ``run`` left on ``target`` with ``source``; see the module's words."""
    baseline = baseline or {}
    source_reader, target_reader = reader_for(source.platform), reader_for(target.platform)
    collections = BASELINE_COLLECTIONS.get(target.platform, ("tickets", "articles"))
    findings = Findings()
    report = _report_of(run)
    if "tickets" in entities:
        before = baseline.get(collections[0], set())
        _check_tickets(
            findings,
            report,
            sources=source_reader.tickets(source),
            targets=[t for t in target_reader.tickets(target) if t.number not in before],
            inline_uploaded=target_reader.inline_images_uploaded,
        )
    if "articles" in entities:
        before = baseline.get(collections[1], set())
        _check_articles(
            findings,
            report,
            sources=source_reader.articles(source),
            targets=[a for a in target_reader.articles(target) if a.number not in before],
        )
    for record in RunRecord.objects.filter(run=run, outcome=RunRecord.Outcome.FAILED):
        line = f"{record.entity}/{record.source_id}: {record.reason[:200]}"
        findings.failed.append(line)
        if _retryable(record):
            findings.failed_retryable.append(line)
    return findings
