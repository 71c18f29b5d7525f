"""The headless run: `manage.py run_migration <id> --kind … --wait`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from connectors.errors import AuthenticationError
from connectors.schema import Entity
from migrator.models import Run
from tests.migrator.engine import memory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_full_run_prints_its_progress_and_summary(pair):
    pair.source.add(memory.contact(500), *(memory.ticket(n) for n in range(1, 8)))
    out = io.StringIO()
    call_command("run_migration", pair.migration.pk, "--kind", "full", "--inline", stdout=out)
    text = out.getvalue()
    assert "Run " in text and "[completed] 100%" in text
    assert "Tickets" in text
    summary = [line.split() for line in text.splitlines() if line.strip().startswith("Tickets")]
    # available, migrated, matched, skipped, failed, verified
    assert summary[-1][-6:] == ["7", "7", "0", "0", "0", "7"]
    assert Run.objects.get(migration=pair.migration).status == Run.Status.COMPLETED


def test_a_paused_run_says_why_and_exits_with_its_own_code(pair):
    pair.source.add(memory.ticket(1))

    def revoked(entity, record):
        raise AuthenticationError("target rejected the credentials (HTTP 401)", status=401)

    pair.target.on_create = revoked
    out = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("run_migration", pair.migration.pk, "--kind", "demo", "--wait", "--inline",
                     stdout=out)  # fmt: skip
    assert stopped.value.code == 3
    assert "Reason: The run paused: target rejected the credentials" in out.getvalue()
    assert pair.target.creates[Entity.TICKETS] == 0


def test_refusals_are_plain_errors(pair):
    with pytest.raises(CommandError, match="no migration"):
        call_command("run_migration", 999999, "--kind", "full")
    with pytest.raises(CommandError, match="full migration"):
        call_command("run_migration", pair.migration.pk, "--kind", "delta")
