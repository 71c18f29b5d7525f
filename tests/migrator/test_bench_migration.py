"""The migration benchmark's options: any pair of sandboxes, limits per side told to the
connections or not, repeated runs with their medians; bad options get a clear message."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.models import EmulatedAccount
from migrator.bench import BENCH_EMAIL, Pair
from migrator.bench_figures import (
    FIRST_MINUTE,
    EmulatorMeter,
    RunFigures,
    SideFigures,
    figures_median,
)
from migrator.models import Connection, RunBatch
from tests.migrator.engine.stack import skip_reason

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("zendesk", "Write the pair as SOURCE:TARGET"),
        ("zendesk:nowhere", "No sandbox for 'nowhere'"),
        (":freshdesk", "Write the pair as SOURCE:TARGET"),
    ],
)
def test_a_bad_pair_is_refused_with_its_reason(text, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("bench_migration", f"--pair={text}", stdout=io.StringIO())


def test_a_pair_is_read_in_any_case():
    assert Pair.parse(" Freshdesk:ZENDESK ") == Pair(source="freshdesk", target="zendesk")


def test_a_negative_limit_is_refused():
    with pytest.raises(CommandError, match="0 for none"):
        call_command("bench_migration", "--limit-target=-1", stdout=io.StringIO())


def test_two_runs_of_a_pair_print_each_run_and_the_medians():
    if reason := skip_reason():
        pytest.skip(reason)
    output = io.StringIO()
    call_command(
        "bench_migration",
        "--pair=freshdesk:zendesk",
        "--tickets=30",
        "--comments=2",
        "--attachments=0",
        "--limit-source=0",
        "--limit-target=0",
        "--repeat=2",
        "--no-verify",
        "--concurrency=2",
        "--web-workers=2",
        stdout=output,
    )
    text = output.getvalue()
    for title in ("Run 1", "Run 2", "Medians of 2"):
        assert f"{title}: freshdesk -> zendesk, 30/30 tickets migrated (completed)" in text, text
    assert text.count("no limit enforced, told to the connection") == 6
    told = Connection.objects.filter(owner__email=BENCH_EMAIL).values_list(
        "rate_limit_per_minute", flat=True
    )
    assert list(told) == [0, 0, 0, 0]
    # --no-verify: nothing was read back on the target.
    batches = RunBatch.objects.filter(run__migration__owner__email=BENCH_EMAIL)
    assert batches.filter(entity="tickets").exists()
    assert not batches.filter(verification_calls__gt=0).exists()
    per_ticket = [float(value) for value in re.findall(r"requests per ticket (\d+\.\d+)", text)]
    assert len(per_ticket) == 6 and all(value > 0 for value in per_ticket)
    assert re.search(r"time: estimate before the run \S+, actual \S+", text)
    assert re.search(r"tickets per minute: [1-9]\d*", text)
    # The accounts it seeded are gone.
    assert not EmulatedAccount.objects.filter(slug__startswith="bench-").exists()


def test_the_emulator_meter_counts_whole_windows_after_the_first_minute():
    meter = EmulatorMeter(EmulatedAccount(platform="zendesk", rate_limit_per_minute=100))
    # Windows 100..103 (minutes since the epoch): 120 calls (20 refused), then 95, 100, 30.
    meter.used = {100: 120, 101: 95, 102: 100, 103: 30}
    start = datetime.fromtimestamp(100 * 60 + 10, tz=UTC)  # 10 s into window 100
    end = datetime.fromtimestamp(103 * 60 + 20, tz=UTC)  # 20 s into window 103
    late = meter.windows_between(start + FIRST_MINUTE, end, whole=True)
    assert late == [102]  # 101 began before the first minute ended; 103 is not over
    assert meter.accepted(late) == 100
    assert meter.windows_between(start + FIRST_MINUTE, end, whole=False) == [102, 103]
    assert meter.refused([100, 101, 102, 103]) == 20


def test_medians_keep_counts_whole():
    side = SideFigures(
        side="source",
        platform="zendesk",
        limit=700,
        limit_known=False,
        requests=100,
        per_ticket=2.0,
        floor=None,
        per_minute=600.0,
        per_minute_late=None,
        refused=0,
        refused_late=0,
    )
    first = RunFigures(
        pair="zendesk -> zendesk",
        status="completed",
        tickets=10,
        migrated=10,
        seconds=60.0,
        ticket_seconds=30.0,
        estimate_seconds=50.0,
        rate_limited=1,
        rate_limited_late=0,
        verification_per_ticket=2.0,
        source=side,
        target=replace(side, side="target", per_ticket=1.0),
    )
    second = replace(first, seconds=80.0, rate_limited=2, source=replace(side, per_ticket=3.0))
    median = figures_median([first, second])
    assert median.seconds == 70.0
    assert median.rate_limited == 1 and isinstance(median.rate_limited, int)
    assert median.source.per_ticket == 2.5
    assert median.source.per_minute_late is None  # missing from a run: missing
    assert median.target.side == "target"
