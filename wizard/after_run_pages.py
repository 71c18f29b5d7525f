"""What a finished full run's page offers next, as the support plan allows: re-migration
(within the plan's window) and the verification of skipped and failed records.

Billing decides (``billing.selectors.feature_offer``); the services enforce the same
(``migrator.services.remigration_start``, ``run_recheck_start``). The page shows a
feature the plan lacks as a disabled button naming the plan that includes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from billing import selectors as billing_selectors
from billing.plans import Feature
from migrator.engine.recheck import rows_to_recheck
from migrator.models import Run
from migrator.services import PAID_RUN_KINDS
from reports.models import RunRecord
from wizard.run_pages import entity_label

#: Rows of the verification's table on the page (the CSV has them all).
RECHECK_ROWS_SHOWN = 100


def recheck_sentence(*, verdict: str, note: str) -> str:
    """A checked-again record's verdict in the reader's language, with its particulars."""
    if verdict == RunRecord.Recheck.FINE:
        return _("It is on the target now (id %(target_id)s).") % {"target_id": note}
    if verdict == RunRecord.Recheck.MISSING and not note:
        return _("It no longer exists on the source.")
    if verdict == RunRecord.Recheck.MISSING:
        return _("It still cannot be migrated: %(reason)s") % {"reason": _(note)}
    if verdict == RunRecord.Recheck.MIGRATABLE:
        return _("The source has it and nothing stops it now: a re-migration moves it.")
    if verdict == RunRecord.Recheck.PENDING:
        return _("Being checked…")
    return _("It could not be checked: %(error)s") % {"error": note} if note else ""


@dataclass(frozen=True)
class RecheckRow:
    entity: str
    entity_label: str
    source_id: str
    outcome_label: str
    verdict: str
    verdict_label: str
    sentence: str


def after_run_context(*, run: Run) -> dict[str, object]:
    """Re-migration and verification of skipped and failed records, after a finished full
    run (or a delta or re-migration after it); nothing for demos or runs under way."""
    if run.kind not in PAID_RUN_KINDS or not run.is_finished:
        return {}
    migration = run.migration
    rows = rows_to_recheck(run)
    counts = dict(rows.values_list("recheck").annotate(count=Count("id")).order_by())
    verdict_labels = dict(RunRecord.Recheck.choices)
    outcome_labels = dict(RunRecord.Outcome.choices)
    checked = [
        RecheckRow(
            entity=row.entity,
            entity_label=entity_label(row.entity),
            source_id=row.source_id,
            outcome_label=str(outcome_labels[row.outcome]),
            verdict=row.recheck,
            verdict_label=str(verdict_labels[row.recheck]),
            sentence=recheck_sentence(verdict=row.recheck, note=row.recheck_note),
        )
        for row in rows.exclude(rechecked_at=None).order_by("entity", "id")[:RECHECK_ROWS_SHOWN]
    ]
    return {
        "after_run": run,
        "remigration": billing_selectors.feature_offer(
            migration=migration, feature=Feature.REMIGRATION
        ),
        "verification": billing_selectors.feature_offer(
            migration=migration, feature=Feature.VERIFICATION
        ),
        "recheck_total": sum(counts.values()),
        "recheck_pending": counts.get(RunRecord.Recheck.PENDING, 0),
        "recheck_counts": [
            (verdict, verdict_labels[verdict], counts.get(verdict, 0))
            for verdict in (
                RunRecord.Recheck.FINE,
                RunRecord.Recheck.MIGRATABLE,
                RunRecord.Recheck.MISSING,
            )
        ],
        "recheck_rows": checked,
        "recheck_done": bool(checked),
    }
