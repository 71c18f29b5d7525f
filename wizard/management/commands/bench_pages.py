"""Server time of the run pages with a big report: the results page, the progress partial
and the CSV download's first byte, with a full run of 10,000 ticket records."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from connectors.schema import Entity
from migrator import configuration, services
from migrator.crypto import encrypt_credentials
from migrator.models import Connection, Migration, Run, RunBatch, RunEntity, User
from reports.models import RunRecord
from wizard.run_pages import RECORDS_PER_PAGE

TARGET_MS = 300
BATCH_RECORDS = 50


class Command(BaseCommand):
    help = (
        "Create a migration whose full run holds many ticket records, print the median "
        "server time of its results page, progress partial and CSV download's first byte, "
        "then delete it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tickets", type=int, default=10_000, help="Records in the run.")
        parser.add_argument("--requests", type=int, default=7, help="Timed requests per page.")

    def handle(self, *args, tickets: int, requests: int, **options) -> None:
        started = time.monotonic()
        owner, run = self._create(tickets)
        self.stdout.write(
            f"Run #{run.pk}: {tickets} ticket records in the report "
            f"(created in {time.monotonic() - started:.1f}s, database: {connection.vendor})."
        )
        try:
            with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
                self._measure(owner=owner, run=run, tickets=tickets, requests=requests)
        finally:
            Migration.objects.filter(owner=owner).delete()
            owner.delete()

    # ------------------------------------------------------------------ the data

    def _create(self, tickets: int) -> tuple[User, Run]:
        """A migration between two connections (never contacted) and its full run, under
        way, with ``tickets`` records of mixed outcomes and their batches."""
        now = timezone.now()
        with transaction.atomic():
            owner = User.objects.create_user(f"bench-{uuid.uuid4().hex[:10]}@example.com")
            source, target = (
                Connection.objects.create(
                    owner=owner,
                    platform=platform,
                    encrypted_credentials=encrypt_credentials(credentials={"benchmark": True}),
                    account_name=f"Bench on {platform}",
                    account_url=f"https://bench.{platform}.example",
                    verified_at=now,
                )
                for platform in ("zendesk", "freshdesk")
            )
            migration = services.migration_create(owner=owner, name="Page benchmark")
            # Every step saved, so the step pages open as they would for a user.
            services.migration_configure(
                migration=migration,
                source=source,
                target=target,
                entities=[Entity.TICKETS],
                filters=configuration.Filters(),
                matches=configuration.Matches(),
                field_mappings=configuration.FieldMappings(),
                options=configuration.Options(),
            )
            run = Run.objects.create(
                migration=migration,
                kind=Run.Kind.FULL,
                status=Run.Status.RUNNING,
                created_by=owner,
                started_at=now - timedelta(hours=2),
            )
            RunEntity.objects.create(
                run=run,
                entity=Entity.TICKETS,
                position=0,
                status=RunEntity.Status.RUNNING,
                available=tickets + tickets // 5,
                started_at=run.started_at,
            )
            RunRecord.objects.bulk_create(
                (self._record(run, number, now, tickets) for number in range(1, tickets + 1)),
                batch_size=2000,
            )
            RunBatch.objects.bulk_create(
                (
                    RunBatch(
                        run=run,
                        entity=Entity.TICKETS,
                        sequence=sequence,
                        status=RunBatch.Status.DONE,
                        migrated=BATCH_RECORDS,
                        source_calls=BATCH_RECORDS * 2,
                        target_calls=BATCH_RECORDS * 3,
                    )
                    for sequence in range(tickets // BATCH_RECORDS)
                ),
                batch_size=2000,
            )
        if connection.vendor == "postgresql":
            # What autovacuum does after a run writes this many rows.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {RunRecord._meta.db_table}")
        return owner, run

    @staticmethod
    def _record(run: Run, number: int, now, tickets: int) -> RunRecord:
        recorded_at = now - timedelta(seconds=(tickets - number) * 0.5)
        if number % 11 == 0:
            return RunRecord(
                run=run,
                entity=Entity.TICKETS,
                source_id=str(number),
                outcome=RunRecord.Outcome.FAILED,
                reason="The target refused the ticket: the requester's e-mail is not valid.",
                detail='{"errors": [{"field": "email", "code": "invalid_value"}]}',
                recorded_at=recorded_at,
            )
        if number % 23 == 0:
            return RunRecord(
                run=run,
                entity=Entity.TICKETS,
                source_id=str(number),
                outcome=RunRecord.Outcome.SKIPPED,
                reason="Left out by the migration's filters.",
                recorded_at=recorded_at,
            )
        return RunRecord(
            run=run,
            entity=Entity.TICKETS,
            source_id=str(number),
            target_id=str(500_000 + number),
            outcome=RunRecord.Outcome.MIGRATED,
            recorded_at=recorded_at,
        )

    # ------------------------------------------------------------------ the timing

    def _measure(self, *, owner: User, run: Run, tickets: int, requests: int) -> None:
        client = Client()
        client.force_login(owner)
        results_url = reverse("wizard_run_results", args=[run.pk])
        progress_url = reverse("wizard_run_progress", args=[run.pk])
        csv_url = reverse("wizard_run_csv", args=[run.pk])
        last_page = max(1, -(-tickets // RECORDS_PER_PAGE))

        def get(url: str, **params) -> Callable[[], None]:
            def request() -> None:
                response = client.get(url, params, headers={"HX-Request": "true"})
                assert response.status_code == 200, (url, response.status_code)

            return request

        def csv_first_byte() -> None:
            response = client.get(csv_url, {"outcome": "migrated"})
            assert response.status_code == 200
            chunks = iter(response.streaming_content)
            next(chunks)
            return chunks

        figures: list[tuple[str, float]] = []
        # While the run goes on: the partial the page polls.
        figures.append(
            ("progress partial (run under way)", self._median(get(progress_url), requests))
        )
        Run.objects.filter(pk=run.pk).update(
            status=Run.Status.COMPLETED, finished_at=timezone.now()
        )
        RunEntity.objects.filter(run=run).update(status=RunEntity.Status.DONE, read_complete=True)
        figures.append(
            ("results page, first page of records", self._median(get(results_url), requests))
        )
        figures.append(
            (
                f"results page, last page of records (page {last_page})",
                self._median(get(results_url, page=last_page), requests),
            )
        )
        figures.append(
            (
                "results page, failed records only",
                self._median(get(results_url, outcome="failed"), requests),
            )
        )
        step_url = reverse("wizard_run", args=[run.migration_id])
        figures.append(
            ("full migration step page (results, history)", self._median(get(step_url), requests))
        )
        figures.append(
            ("CSV download, first byte", self._median(csv_first_byte, requests, drain=True))
        )

        width = max(len(label) for label, _ms in figures)
        self.stdout.write(
            f"Median server time of {requests} requests each (target: under {TARGET_MS} ms):"
        )
        for label, ms in figures:
            self.stdout.write(f"  {label:<{width}}  {ms:7.1f} ms")
        slow = [label for label, ms in figures if ms >= TARGET_MS]
        if slow:
            self.stdout.write(self.style.WARNING(f"Over {TARGET_MS} ms: {', '.join(slow)}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"All under {TARGET_MS} ms."))

    @staticmethod
    def _median(request: Callable[[], object], count: int, *, drain: bool = False) -> float:
        """Milliseconds, median of ``count`` timed calls after one untimed warm-up."""
        times = []
        for attempt in range(count + 1):
            begin = time.perf_counter()
            rest = request()
            elapsed = (time.perf_counter() - begin) * 1000
            if drain and rest is not None:
                for _chunk in rest:  # the rest of the file, untimed: it closes the cursor
                    pass
            if attempt:
                times.append(elapsed)
        return statistics.median(times)
