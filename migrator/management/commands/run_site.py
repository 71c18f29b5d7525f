"""Run the web server, a Celery worker, a small worker for demos and Celery beat together;
Ctrl-C stops them all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from migrator import queues

READY_TIMEOUT_SECONDS = 120


class Command(BaseCommand):
    help = (
        "Serve the site with a Celery worker, a worker for demos and beat; stop all of "
        "them with Ctrl-C."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "2"))
        )
        parser.add_argument("--no-worker", action="store_true", help="Serve pages only.")

    def handle(self, *args, host: str, port: int, concurrency: int, no_worker: bool, **options):
        manage_py = str(Path(settings.BASE_DIR) / "manage.py")
        python = sys.executable
        environment = child_environment(host=host, port=port)
        commands = {"web": [python, manage_py, "runserver", f"{host}:{port}", "--noreload"]}
        if not no_worker:
            celery = [python, "-m", "celery", "-A", "migrator"]
            worker = [*celery, "worker", "--loglevel=INFO", "--without-mingle", "--without-gossip"]
            # Every process takes full runs' and demos' batches; one more takes demos only,
            # so that a demo runs while full runs hold all the others.
            commands["worker"] = [
                *worker,
                f"--concurrency={concurrency}",
                f"--queues={','.join(queues.worker_queues())}",
                "--hostname=worker@%h",
            ]
            commands["demo worker"] = [
                *worker,
                "--concurrency=1",
                f"--queues={queues.demo_queue()}",
                "--hostname=demo-worker@%h",
            ]
            commands["beat"] = [
                *celery,
                "beat",
                "--loglevel=INFO",
                f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            ]

        processes: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop_all(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop_all)
        signal.signal(signal.SIGINT, stop_all)
        try:
            for name, command in commands.items():
                # Own process group: a Ctrl-C reaches us once, and we stop children in order.
                processes[name] = subprocess.Popen(command, start_new_session=True, env=environment)
            url = f"http://{host}:{port}/"
            self._wait_until_serving(url=url, web=processes["web"], stopping=lambda: stopping)
            broker = "Redis" if settings.REDIS_URL else "embedded (files)"
            database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
            self.stdout.write(
                self.style.SUCCESS(f"\nThe site is up at {url}")
                + f"  (database: {database}, broker: {broker}; Ctrl-C stops everything)\n",
            )
            self.stdout.flush()
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        raise CommandError(
                            f"The {name} process stopped (exit {process.returncode})."
                        )
                time.sleep(0.5)
        finally:
            self._stop(processes)

    def _wait_until_serving(self, *, url: str, web: subprocess.Popen, stopping) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not stopping():
            if web.poll() is not None:
                raise CommandError("The web server did not start; see the messages above.")
            try:
                with urllib.request.urlopen(url + "healthz/", timeout=5):  # noqa: S310
                    return
            except urllib.error.HTTPError as answer:
                # It serves, but something it needs does not answer (/healthz/ says what).
                self.stderr.write(f"The site answers, but {_what_is_down(answer)} is down.")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        if not stopping():
            raise CommandError(f"The web server did not answer at {url} in time.")

    def _stop(self, processes: dict[str, subprocess.Popen]) -> None:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.stdout.write("Stopped the web server, the workers and beat.")


def site_url_for(*, host: str, port: int) -> str:
    """The address the site is served at, for links in e-mails that workers send."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def child_environment(*, host: str, port: int) -> dict[str, str]:
    """The web server, the worker and beat share one SITE_URL: the one set in the
    environment (production), else the address this command serves at."""
    environment = dict(os.environ)
    if not environment.get("SITE_URL"):
        environment["SITE_URL"] = site_url_for(host=host, port=port)
    return environment


def _what_is_down(answer: urllib.error.HTTPError) -> str:
    try:
        down = json.loads(answer.read()).get("down")
    except (ValueError, AttributeError, OSError):
        down = None
    return ", ".join(down) if isinstance(down, list) and down else f"something (HTTP {answer.code})"
