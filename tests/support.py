"""Real processes for tests: a Celery worker, the whole site as `make run` starts it."""

from __future__ import annotations

import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Set to replay the random choices of a test that printed its seed.
SEED_VARIABLE = "MIGRATOR_TEST_SEED"


def replayable_seed(*, default: int | None = None) -> int:
    """The seed of a test's random choices: ``MIGRATOR_TEST_SEED`` when set, else
    ``default``, else a fresh one. It is printed (pytest shows it with a failure) so that
    the same choices can be made again."""
    given = os.environ.get(SEED_VARIABLE, "").strip()
    if given:
        seed = int(given)
    elif default is not None:
        seed = default
    else:
        seed = random.SystemRandom().randrange(2**32)
    print(f"random seed {seed}: replay with {SEED_VARIABLE}={seed}", flush=True)
    return seed


def embedded_environment(*, data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a fresh machine: no DATABASE_URL, no REDIS_URL, development mode."""
    environment = {
        key: value
        for key, value in os.environ.items()
        # The browser tests' Playwright loop needs DJANGO_ALLOW_ASYNC_UNSAFE in the test
        # process only: a server or command started from it keeps Django's guard.
        if key
        not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update({"DEBUG": "true", "DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    environment.update(overrides)
    return environment


class OutputReader:
    """Collects a process's output lines in a thread so the test can wait for one."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(process,), daemon=True)
        self._thread.start()

    def _pump(self, process: subprocess.Popen) -> None:
        for line in iter(process.stdout.readline, ""):
            self.lines.append(line)
            self._queue.put(line)

    def wait_for(self, pattern: str, *, timeout: float) -> re.Match:
        compiled = re.compile(pattern)
        for line in self.lines:
            if match := compiled.search(line):
                return match
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if match := compiled.search(line):
                return match
        raise AssertionError(
            f"no line matched {pattern!r} within {timeout}s; output:\n" + "".join(self.lines[-60:])
        )

    def text(self) -> str:
        return "".join(self.lines)


@contextmanager
def running_process(
    command: list[str], *, env: dict[str, str], ready_pattern: str, timeout: float = 90
) -> Iterator[OutputReader]:
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    reader = OutputReader(process)
    try:
        reader.wait_for(ready_pattern, timeout=timeout)
        yield reader
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def celery_worker(*, env: dict[str, str], queue_name: str) -> Iterator[OutputReader]:
    """A real worker process consuming one queue."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "migrator",
        "worker",
        "--loglevel=INFO",
        "--pool=prefork",
        "--concurrency=1",
        "--without-mingle",
        "--without-gossip",
        f"--queues={queue_name}",
        f"--hostname=test-{queue_name}@%h",
    ]
    with running_process(command, env=env, ready_pattern=r"ready\.") as reader:
        yield reader


def manage(
    *args: str, env: dict[str, str], timeout: float = 120, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(cwd / "manage.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
