"""Fault drills: full runs with real worker processes, PostgreSQL, a Redis of the test's own
and the emulated help desks over loopback HTTP, while the worker group is killed or
stopped, the target answers 5xx and 429 bursts, answers are cut short, Redis is down for
20 s or the workers' database sessions are terminated. Each is judged by the oracle
(``migrator.drills.oracle``) on the target's own data, not on our bookkeeping.

Run them alone with ``-k drill``. Random moments come from DRILL_SEED (printed; set it to
replay a run); DRILL_TICKETS sets the size (40 by default).
"""

from __future__ import annotations

import os
import random

import pytest

from migrator.drills import runner
from migrator.drills.readers import reader_for
from migrator.models import Run
from migrator.processes import redis_server_available
from reports.models import RunRecord
from tests.migrator.engine import stack as harness

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.skipif(harness.skip_reason() is not None, reason=str(harness.skip_reason())),
    pytest.mark.skipif(not redis_server_available(), reason="redis-server is not installed"),
]

SEED = int(os.environ.get("DRILL_SEED") or random.SystemRandom().randrange(1, 1_000_000))
TICKETS = int(os.environ.get("DRILL_TICKETS") or 40)

DRILL_CASES = [
    *(pytest.param(drill, "zendesk", "freshdesk", id=f"{drill}-into-freshdesk")
      for drill in runner.DRILLS),
    *(pytest.param(drill, "freshdesk", "zendesk", id=f"{drill}-into-zendesk")
      for drill in runner.CHEAP_DRILLS),
]  # fmt: skip


@pytest.fixture(scope="module")
def drill_stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """One set of emulators, beat and Redis for all the drills (each starts its own
    workers and seeds its own accounts): starting them is a good part of a drill's time."""
    with harness.running_stack(
        data_dir=tmp_path_factory.mktemp("drills"), web_workers=2, own_redis=True
    ) as running:
        yield running


@pytest.fixture
def stack(drill_stack, settings):
    settings.MIGRATOR_QUEUE = drill_stack.queue
    yield drill_stack
    for worker in drill_stack.workers:
        worker.stop()


@pytest.mark.parametrize(("drill", "source_key", "target_key"), DRILL_CASES)
def test_drill(user, stack, drill, source_key, target_key, capsys):
    seed = SEED + runner.DRILLS.index(drill)
    with capsys.disabled():
        print(f"\n[drill {drill} {source_key}->{target_key}] DRILL_SEED={SEED} (seed {seed})")
    accounts = runner.drill_accounts(
        owner=user,
        site_url=stack.site_url,
        source_key=source_key,
        target_key=target_key,
        tickets=TICKETS,
        seed=seed,
    )
    result = runner.run_drill(
        drill,
        stack=stack,
        accounts=accounts,
        database_url=stack.env["DATABASE_URL"],
        rng=random.Random(seed),
        timeout=240,
    )
    findings = result.findings
    replay = f"replay with DRILL_SEED={SEED} DRILL_TICKETS={TICKETS}"
    verdict = f"{drill} {source_key}->{target_key}, {replay}; {result.outcome}\n" + "\n".join(
        result.actions
    )
    why = verdict + "\n" + findings.explain()
    with capsys.disabled():
        actions = "; ".join(result.actions)
        print(f"[drill {drill}] {result.outcome} in {result.seconds:.0f}s; {actions}")
        print(f"[drill {drill}] {findings.summary()}")
    assert result.run.status == Run.Status.COMPLETED, why
    counts = findings.counts()
    assert counts["lost"] == counts["duplicated"] == counts["short"] == 0, why
    # Freshdesk refuses addresses with accents (an internationalised local part): those
    # tickets fail with that reason, whatever the drill; nothing else may be refused.
    accented = {
        f"tickets/{ticket.number}"
        for ticket in reader_for(source_key).tickets(accounts.source)
        if not ticket.requester_email.isascii()
    }
    refused = {line.split(":", 1)[0] for line in findings.refused}
    assert refused <= accented, why
    assert counts["failed_retryable"] == 0, why
    assert counts["extra_comments"] == counts["extra_files"] == 0, why
    assert not findings.report_problems, why
    assert findings.tickets == TICKETS and findings.files > TICKETS
    # The engine's own verification read every migrated ticket and article back: whole.
    checked = result.verification()
    assert checked.migrated and checked.verified == checked.migrated, (
        why
        + "\n"
        + str(checked)
        + "\n"
        + str(
            list(
                RunRecord.objects.filter(run=result.run, outcome="migrated")
                .exclude(verification="verified")
                .values_list("entity", "source_id", "differences")[:10]
            )
        )
    )
