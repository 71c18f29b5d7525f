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


class RedisServer:
    """A redis-server of the test's own on a free loopback port, so that the test may stop
    it (and start it again) without touching the Redis other tests use."""

    def __init__(self, *, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(f"redis-server did not start on {self.port}") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@contextmanager
def redis_server(*, directory: Path) -> Iterator[RedisServer]:
    """A started :class:`RedisServer`, stopped when the block ends."""
    from migrator.processes import free_port

    server = RedisServer(directory=directory, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
