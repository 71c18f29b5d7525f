"""Links in e-mails that workers send point at the port the site runs on."""

from __future__ import annotations

import subprocess

from migrator.management.commands.run_site import child_environment
from tests.support import REPO_ROOT


def test_run_site_gives_its_processes_the_address_it_serves_at(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    assert child_environment(host="127.0.0.1", port=8123)["SITE_URL"] == "http://127.0.0.1:8123"
    assert child_environment(host="0.0.0.0", port=9001)["SITE_URL"] == "http://127.0.0.1:9001"  # noqa: S104


def test_an_explicit_site_url_wins(monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://migrate.acme.example")
    assert child_environment(host="0.0.0.0", port=8123)["SITE_URL"] == (  # noqa: S104
        "https://migrate.acme.example"
    )


def test_make_run_passes_its_port_to_the_sandbox_and_the_site(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    commands = subprocess.run(
        ["make", "-n", "run", "PORT=8123"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "seed_sandbox --if-empty --site-url http://127.0.0.1:8123" in commands
    assert "SITE_URL=http://127.0.0.1:8123" in commands
    assert "8000" not in commands


def test_worker_e_mails_link_to_the_site_url(db, settings, make_user):
    from django.core import mail

    from migrator import notifications, services
    from migrator.models import Run

    settings.SITE_URL = "http://127.0.0.1:8123"
    owner = make_user()
    migration = services.migration_create(owner=owner, name="Port check")
    run = Run.objects.create(migration=migration, kind=Run.Kind.FULL, status=Run.Status.COMPLETED)
    notifications.run_finished(run=run)
    assert f"http://127.0.0.1:8123/migrations/{migration.pk}/" in mail.outbox[-1].body
    assert ":8000" not in mail.outbox[-1].body
