"""What the demo, full-run and results pages show, built from the selectors and reports.

The views stay thin: they pick the run and call these builders, which turn the engine's
progress, the reports' summaries and record pages into rows the templates print
(translated labels, links to both platforms, durations in words).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.functional import Promise
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from billing import selectors as billing_selectors
from billing.plans import Feature, unlocking_plan
from connectors.base import pair_migrates
from connectors.errors import ConnectorError
from connectors.messages import translated
from connectors.registry import registry
from connectors.schema import Entity
from migrator import discovery, selectors
from migrator.engine.progress import RunProgress
from migrator.engine.reverify import reverify_is_stale
from migrator.models import Migration, Run
from reports import selectors as report_selectors
from reports.models import ATTACHMENTS, RunRecord
from wizard import steps
from wizard.estimate_text import binding_sentence, estimate_sentences, waiting_sentence
from wizard.steps import Step
from wizard.text import demo_sentences, platform_name

#: A page of the records table; a run may hold hundreds of thousands of records.
RECORDS_PER_PAGE = 50
#: How often the progress partial asks again, in seconds.
POLL_SECONDS = 2
POLL_SECONDS_PAUSED = 10
#: The run history's figures refresh this often while one of its runs is under way.
HISTORY_POLL_SECONDS = 5

#: Runs of the full-migration page: every kind but the demo.
FULL_RUN_KINDS = (Run.Kind.FULL, Run.Kind.DELTA, Run.Kind.REMIGRATION)
DEMO_PAGE_KINDS = (Run.Kind.DEMO, Run.Kind.ROLLBACK)

ENTITY_LABELS: dict[str, Promise] = {
    Entity.ORGANIZATIONS: gettext_lazy("Organizations"),
    Entity.GROUPS: gettext_lazy("Groups"),
    Entity.AGENTS: gettext_lazy("Agents"),
    Entity.CONTACTS: gettext_lazy("Contacts"),
    Entity.TICKETS: gettext_lazy("Tickets"),
    Entity.ARTICLE_CATEGORIES: gettext_lazy("Knowledge base categories"),
    Entity.ARTICLE_SECTIONS: gettext_lazy("Knowledge base sections and folders"),
    Entity.ARTICLES: gettext_lazy("Knowledge base articles"),
    ATTACHMENTS: gettext_lazy("Attachments left out"),
}

WEEKDAYS: tuple[tuple[int, Promise], ...] = (
    (1, gettext_lazy("Monday")),
    (2, gettext_lazy("Tuesday")),
    (3, gettext_lazy("Wednesday")),
    (4, gettext_lazy("Thursday")),
    (5, gettext_lazy("Friday")),
    (6, gettext_lazy("Saturday")),
    (7, gettext_lazy("Sunday")),
)


#: The records of one outcome, in the plural ("Migrés" in French, agreeing with the
#: records): the CSV downloads.
OUTCOME_RECORDS: dict[str, Promise] = {
    RunRecord.Outcome.MIGRATED: pgettext_lazy("number of records", "Migrated"),
    RunRecord.Outcome.MATCHED: pgettext_lazy("number of records", "Matched"),
    RunRecord.Outcome.SKIPPED: pgettext_lazy("number of records", "Skipped"),
    RunRecord.Outcome.FAILED: pgettext_lazy("number of records", "Failed"),
    RunRecord.Outcome.REMOVED: pgettext_lazy("number of records", "Removed"),
}


def entity_label(entity: str) -> str:
    return str(ENTITY_LABELS.get(entity, entity))


def duration_words(duration: timedelta | None) -> str:
    """A duration in words ("2 hours, 5 minutes"), or "" when it cannot be told."""
    if duration is None:
        return ""
    if duration < timedelta(minutes=1):
        return _("less than a minute")
    now = timezone.now()
    return timeuntil(now + duration, now)


def time_left_text(*, run: Run, state: RunProgress) -> str:
    """The "Time left" of a run's page: no countdown while it is paused."""
    if run.status == Run.Status.PAUSED:
        if run.paused_by == Run.PausedBy.SCHEDULE:
            return _("Paused — goes on when its next window opens")
        return _("Paused — goes on when you resume it")
    return duration_words(state.eta) if state.entities else ""


def _side_name(run: Run, side: str) -> str:
    connection = run.migration.source if side == "source" else run.migration.target
    return platform_name(connection.platform) if connection else ""


def pace_text(*, run: Run, state: RunProgress) -> str:
    """Which platform's rate limit sets the run's pace, while it runs."""
    if run.status != Run.Status.RUNNING or not state.binding:
        return ""
    return binding_sentence(_side_name(run, state.binding))


def waiting_text(*, run: Run, state: RunProgress) -> str:
    """The run waits for a platform's rate limit: whose, and for how long."""
    if run.status != Run.Status.RUNNING or not state.waiting_on or state.waiting_until is None:
        return ""
    return waiting_sentence(platform=_side_name(run, state.waiting_on), until=state.waiting_until)


def run_step(run: Run) -> Step:
    """The step a run belongs to: the demo (and the removal of its records), or the full
    migration (its deltas, and the removal of the demo's records it waits on)."""
    if run.kind == Run.Kind.DEMO or (run.kind == Run.Kind.ROLLBACK and not run.follow_up):
        return steps.DEMO
    return steps.RUN


def run_page_url(run: Run) -> str:
    return reverse(run_step(run).url_name, args=[run.migration_id])


def windows_text(run: Run) -> list[str]:
    """The interval windows of a run, one line each ("Saturday, Sunday: 08:00-18:00")."""
    names = dict(WEEKDAYS)
    lines = []
    for window in run.configured_windows():
        days = ", ".join(str(names[day]) for day in window.days)
        lines.append(
            _("%(days)s: %(start)s to %(end)s")
            % {
                "days": days,
                "start": time_format(window.start, "H:i"),
                "end": time_format(window.end, "H:i"),
            }
        )
    return lines


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class ProgressRow:
    entity: str
    label: str
    status: str
    available: int
    done: int
    migrated: int
    matched: int
    skipped: int
    failed: int
    percent: int


def progress_context(*, run: Run) -> dict[str, object]:
    """The live part of a run's page: per entity done/total, speed and time left."""
    state = selectors.run_progress(run=run)
    rows = [
        ProgressRow(
            entity=entity.entity.value,
            label=entity_label(entity.entity.value),
            status=entity.status,
            available=entity.available,
            done=entity.done,
            migrated=entity.migrated,
            matched=entity.matched,
            skipped=entity.skipped,
            failed=entity.failed,
            percent=entity.percent,
        )
        for entity in state.entities
    ]
    return {
        "run": run,
        "progress": state,
        "progress_rows": rows,
        "eta_text": time_left_text(run=run, state=state),
        "pace_text": pace_text(run=run, state=state),
        "waiting_text": waiting_text(run=run, state=state),
        "poll_seconds": POLL_SECONDS_PAUSED if run.status == Run.Status.PAUSED else POLL_SECONDS,
        "windows_text": windows_text(run),
        "paused_by_person": selectors.run_paused_by(run=run),
    }


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SummaryRow:
    entity: str
    label: str
    available: int
    migrated: int
    skipped: int
    failed: int
    filtered_out: int = 0
    #: Read back and found as they should be (None: not verified, e.g. matched agents).
    verified: int | None = None
    differs: int = 0
    #: Found already on the target and not written (agents, groups).
    matched: int = 0


@dataclass(frozen=True)
class RecordRow:
    entity: str
    label: str
    source_id: str
    source_url: str
    target_id: str
    target_url: str
    outcome: str
    #: The record's subject, title or name ("" for rows of older runs: the id stands alone).
    title: str
    outcome_label: str
    reason: str
    verification: str = ""
    verification_label: str = ""
    differences: str = ""


@dataclass(frozen=True)
class Download:
    label: str
    url: str


#: The longest search the records list accepts (longer ones are cut).
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True)
class RecordFilters:
    """What the records list and its CSV show: one outcome, one entity, a search."""

    outcome: str = ""
    entity: str = ""
    search: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> RecordFilters:
        """The filters of a GET query; unknown values are ignored (never an error)."""
        outcome = query.get("outcome", "")
        entity = query.get("entity", "")
        return cls(
            outcome=outcome if outcome in RunRecord.Outcome.values else "",
            entity=entity if entity in ENTITY_LABELS else "",
            # Words only: control characters (a NUL byte) cannot be searched for.
            search=" ".join(
                "".join(char for char in query.get("q", "") if char.isprintable()).split()
            )[:MAX_SEARCH_CHARS],
        )

    def query(self) -> dict[str, str]:
        pairs = (("outcome", self.outcome), ("entity", self.entity), ("q", self.search))
        return {key: value for key, value in pairs if value}


def _records_page(run: Run, *, filters: RecordFilters, number: str | None) -> Page:
    records = report_selectors.run_records(
        run=run,
        outcome=filters.outcome or None,
        entity=filters.entity or None,
        search=filters.search or None,
    )
    columns = (
        "pk",
        "entity",
        "source_id",
        "title",
        "target_id",
        "outcome",
        "reason",
        "reason_key",
        "reason_params",
        "parent_source_id",
        "verification",
        "differences",
    )
    return Paginator(records.only(*columns), RECORDS_PER_PAGE).get_page(number)


def results_context(*, run: Run, query: QueryDict) -> dict[str, object]:
    """A run's results: per entity available/migrated/skipped/failed, CSV downloads, and
    a page of its records (filtered by outcome and entity) with links to both sides."""
    summary = [
        SummaryRow(
            entity=row.entity,
            label=entity_label(row.entity),
            available=row.available,
            migrated=row.migrated,
            matched=row.matched,
            skipped=row.skipped,
            failed=row.failed,
            filtered_out=row.filtered_out,
            verified=row.verified,
            differs=row.differs,
        )
        for row in report_selectors.run_summary(run=run)
    ]
    totals = SummaryRow(
        entity="",
        label=_("All"),
        available=sum(row.available for row in summary if row.entity != ATTACHMENTS),
        migrated=sum(row.migrated for row in summary),
        matched=sum(row.matched for row in summary),
        skipped=sum(row.skipped for row in summary),
        failed=sum(row.failed for row in summary),
        verified=sum(row.verified or 0 for row in summary),
        differs=sum(row.differs for row in summary),
    )
    filters = RecordFilters.from_query(query)
    page = _records_page(run, filters=filters, number=query.get("page"))
    migration = run.migration
    outcome_labels = dict(RunRecord.Outcome.choices)
    verification_labels = dict(RunRecord.Verification.choices)
    records = []
    for record in page.object_list:
        source_url, target_url = report_selectors.record_links(
            source=migration.source,
            target=migration.target,
            entity=record.entity,
            source_id=record.source_id,
            target_id=record.target_id,
            parent_source_id=record.parent_source_id,
        )
        records.append(
            RecordRow(
                entity=record.entity,
                label=entity_label(record.entity),
                source_id=record.source_id,
                source_url=source_url,
                target_id=record.target_id,
                target_url=target_url,
                outcome=record.outcome,
                title=record.title,
                outcome_label=str(outcome_labels.get(record.outcome, record.outcome)),
                reason=report_selectors.reason_display(record),
                verification=record.verification,
                verification_label=str(verification_labels.get(record.verification, "")),
                differences=record.differences,
            )
        )
    csv_url = reverse("wizard_run_csv", args=[run.pk])
    # A removal of the demo's records removes or fails; the other runs never remove.
    outcome_choices = [
        (value, label)
        for value, label in OUTCOME_RECORDS.items()
        if (value == RunRecord.Outcome.REMOVED) == (run.kind == Run.Kind.ROLLBACK)
        or value == RunRecord.Outcome.FAILED
    ]
    downloads = [
        Download(label=str(label), url=f"{csv_url}?{urlencode({'outcome': value})}")
        for value, label in outcome_choices
    ]
    downloads.append(Download(label=_("All records"), url=csv_url))
    chosen = filters.query()
    return {
        "results_run": run,
        "summary": summary,
        "totals": totals,
        "filtered_out": [row for row in summary if row.filtered_out],
        "downloads": downloads,
        "records": records,
        "records_page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "records_query": urlencode(chosen) + "&" if chosen else "",
        "records_csv_url": f"{csv_url}?{urlencode(chosen)}" if chosen else "",
        "outcome_filter": filters.outcome,
        "entity_filter": filters.entity,
        "search_filter": filters.search,
        "outcome_choices": outcome_choices,
        "entity_choices": [(row.entity, row.label) for row in summary],
        **reverify_context(run=run),
        **_after_run_context(run),
    }


def _after_run_context(run: Run) -> dict[str, object]:
    from wizard.after_run_pages import after_run_context  # it reads this module's labels

    return after_run_context(run=run)


def reverify_context(*, run: Run) -> dict[str, object]:
    """The verification of a finished run's records: its cost in API calls, and "Verify
    again" (in progress, or its last figures)."""
    return {
        "reverify_run": run,
        "verification_calls": report_selectors.verification_calls(run=run),
        "reverify_running": run.reverify_status == Run.ReverifyStatus.RUNNING,
        # A worker that died while verifying: the button starts it again, where it stopped.
        "reverify_stale": reverify_is_stale(run),
        "reverify_checked": report_selectors.reverify_checked(run=run),
    }


def run_context(*, run: Run, query: QueryDict) -> dict[str, object]:
    """A run's part of a page: its live progress while under way, its results once ended."""
    if run.is_finished:
        return {"run": run, **results_context(run=run, query=query)}
    return progress_context(run=run)


# --------------------------------------------------------------------------- pages


def _source_entities(migration: Migration) -> list[Entity]:
    return migration.selected_entities() or list(Entity)


def _demo_text(*, migration: Migration, chosen: bool) -> list[str]:
    """What the demo moves, from both platforms' capabilities."""
    if migration.source is None or migration.target is None:
        return []
    source = registry.get(migration.source.platform).capabilities
    target = registry.get(migration.target.platform).capabilities
    pair = pair_migrates(source=source, target=target, selected=migration.selected_entities())
    return demo_sentences(
        pair=pair,
        target_name=migration.target.account_name or platform_name(migration.target.platform),
        chosen=chosen,
        translations=migration.configured_options().translations,
    )


def history_context(*, migration: Migration, kind: str) -> dict[str, object]:
    """The run history table of the demo page (``kind`` "demo") or the full-run page
    ("all"); ``history_live`` while one of its runs is under way (the table then polls)."""
    demo = kind == "demo"
    history = list(
        selectors.run_history(migration=migration, kinds=DEMO_PAGE_KINDS if demo else None)
    )
    return {
        "migration": migration,
        "history": history,
        "history_kind": "demo" if demo else "all",
        "history_title": _("Demo history") if demo else _("Run history"),
        "history_live": any(not past.is_finished for past in history),
        "history_poll_seconds": HISTORY_POLL_SECONDS,
    }


def demo_context(*, migration: Migration, query: QueryDict) -> dict[str, object]:
    """The demo page: what it moves, the latest demo's progress or results, earlier ones."""
    run = selectors.run_current(migration=migration, kinds=DEMO_PAGE_KINDS)
    if run is not None and run_step(run) is not steps.DEMO:
        # The removal a full run waits on shows on the full run's page.
        run = selectors.run_current(migration=migration, kinds=[Run.Kind.DEMO])
    options = migration.configured_options()
    chosen = [
        (entity_label(entity.value), ", ".join(ids))
        for entity, ids in options.demo_ids.items()
        if ids
    ]
    context: dict[str, object] = {
        "run": run,
        "chosen_ids": chosen,
        "demo_text": _demo_text(migration=migration, chosen=bool(chosen)),
        **history_context(migration=migration, kind="demo"),
        **demo_records_context(migration=migration),
    }
    if run is not None:
        context.update(run_context(run=run, query=query))
    return context


@dataclass(frozen=True)
class EstimateRow:
    entity: str
    label: str
    count: int


def estimate_context(*, migration: Migration) -> dict[str, object]:
    """Before the full run: the source's count per selected entity and how long it takes."""
    try:
        counts = discovery.source_counts(migration=migration, entities=_source_entities(migration))
    except ConnectorError as error:
        return {"estimate_error": translated(error)}
    rows = [
        EstimateRow(entity=entity.value, label=entity_label(entity.value), count=count)
        for entity, count in sorted(counts.items(), key=lambda item: list(Entity).index(item[0]))
    ]
    estimate = selectors.migration_estimate(migration=migration, counts=counts)
    return {
        "estimate_rows": rows,
        "estimate_total": sum(row.count for row in rows),
        "estimate_text": duration_words(estimate.duration if estimate else None),
        "estimate_assumptions": (
            estimate_sentences(migration=migration, estimate=estimate) if estimate else []
        ),
    }


def full_run_context(*, migration: Migration, query: QueryDict) -> dict[str, object]:
    """The full-migration page: the run under way, else the latest results and what can
    start next (the full run with its estimate, or a delta after a completed full run)."""
    run = selectors.run_current(migration=migration, kinds=FULL_RUN_KINDS)
    removal = selectors.run_current(migration=migration, kinds=[Run.Kind.ROLLBACK])
    if removal is not None and removal.follow_up and not removal.is_finished:
        # "Remove the demo's records first": the full run starts once they are gone.
        run = removal
    full_done = migration.runs.filter(kind=Run.Kind.FULL, status=Run.Status.COMPLETED).exists()
    granted = billing_selectors.entitlements(migration=migration)
    context: dict[str, object] = {
        "run": run,
        "full_done": full_done,
        "may_run_full": granted.may_run_full,
        "may_run_delta": granted.allows(Feature.DELTA),
        "delta_unlocked_by": unlocking_plan(Feature.DELTA).label,
        **history_context(migration=migration, kind="all"),
        "time_zone": timezone.get_current_timezone_name(),
        **demo_records_context(migration=migration),
    }
    active = run is not None and not run.is_finished
    if run is not None:
        context.update(run_context(run=run, query=query))
    if not active and not full_done:
        context.update(estimate_context(migration=migration))
    return context


def demo_records_context(*, migration: Migration) -> dict[str, object]:
    """What the demos created on the target and may still be removed: nothing to say
    when there is none (or once a full run made them the migration's)."""
    count = selectors.demo_records_on_target(migration=migration)
    return {
        "demo_records_count": count,
        "demo_rollback_url": reverse("wizard_demo_rollback", args=[migration.pk]) if count else "",
    }
