"""Child processes the benchmark (and the run tests) start: a web server for the emulators,
Celery workers and beat, with their output collected and their peak memory measured."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from migrator.queues import demo_queue_of


class ChildProcess:
    """A command in its own process group, whose output lines a caller can wait for."""

    def __init__(self, command: list[str], *, env: dict[str, str], name: str) -> None:
        self.command = command
        self.env = env
        self.name = name
        self.process: subprocess.Popen | None = None
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self.peak_rss_kb = 0
        #: The highest VmHWM seen per process id (the main process first).
        self.peaks_kb: dict[int, int] = {}
        #: The most CPU ticks seen for the process and its descendants.
        self.cpu_ticks = 0

    def start(self, *, ready: str, timeout: float = 90) -> ChildProcess:
        self.process = subprocess.Popen(
            self.command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        self.wait_for(ready, timeout=timeout)
        return self

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in iter(self.process.stdout.readline, ""):
            self.lines.append(line)
            self._queue.put(line)

    def wait_for(self, pattern: str, *, timeout: float) -> re.Match:
        compiled = re.compile(pattern)
        for line in list(self.lines):
            if match := compiled.search(line):
                return match
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if match := compiled.search(line):
                return match
        tail = "".join(self.lines[-40:])
        raise RuntimeError(f"{self.name} did not print {pattern!r} in {timeout}s:\n{tail}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pids(self) -> list[int]:
        """The process and its descendants."""
        if not self.alive:
            return []
        assert self.process is not None
        found = [self.process.pid]
        index = 0
        while index < len(found):
            pid = found[index]
            index += 1
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            found.extend(int(child) for child in children)
        return found

    def sample_memory(self) -> int:
        """The highest peak resident set size (VmHWM) of any of its processes, in kB."""
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1])
                    self.peaks_kb[pid] = max(self.peaks_kb.get(pid, 0), peak)
                    self.peak_rss_kb = max(self.peak_rss_kb, peak)
        return self.peak_rss_kb

    def cpu_seconds(self) -> float:
        """CPU time (user and system) its processes used so far: the living ones, and
        those that ended, counted in their parent's share."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime, stime, then the ended children's cutime, cstime (fields 14-17).
            own = int(fields[11]) + int(fields[12])
            ended = int(fields[13]) + int(fields[14])
            total += own + (ended if self.process and pid == self.process.pid else 0)
        self.cpu_ticks = max(self.cpu_ticks, total)
        return self.cpu_ticks / os.sysconf("SC_CLK_TCK")

    def peak_of_main_kb(self) -> int:
        return self.peaks_kb.get(self.process.pid, 0) if self.process else 0

    def peak_of_children_kb(self) -> int:
        main = self.process.pid if self.process else None
        return max((kb for pid, kb in self.peaks_kb.items() if pid != main), default=0)

    def kill(self) -> None:
        """SIGKILL the whole process group, as a machine losing power would."""
        if self.alive:
            assert self.process is not None
            self.sample_memory()
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, *, timeout: float = 30) -> None:
        if not self.alive:
            return
        assert self.process is not None
        self.sample_memory()
        self.cpu_seconds()
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def celery_worker(
    *, env: dict[str, str], queue_name: str, concurrency: int, demo_only: bool = False
) -> ChildProcess:
    """A worker consuming ``queue_name`` and its demo queue, as every worker does; with
    ``demo_only``, the small worker that consumes the demo queue alone."""
    demo = demo_queue_of(queue_name, configured=env.get("MIGRATOR_DEMO_QUEUE", ""))
    queues = demo if demo_only else f"{queue_name},{demo}"
    command = [
        sys.executable, "-m", "celery", "-A", "migrator", "worker", "--loglevel=INFO",
        "--pool=prefork", f"--concurrency={concurrency}", "--without-mingle", "--without-gossip",
        f"--queues={queues}", f"--hostname=worker-{uuid.uuid4().hex[:6]}@%h",
    ]  # fmt: skip
    return ChildProcess(command, env=env, name="demo worker" if demo_only else "worker")


def celery_beat(*, env: dict[str, str], schedule_file: Path) -> ChildProcess:
    command = [
        sys.executable, "-m", "celery", "-A", "migrator", "beat", "--loglevel=INFO",
        f"--schedule={schedule_file}",
    ]  # fmt: skip
    return ChildProcess(command, env=env, name="beat")


class RedisServer:
    """A redis-server of one's own on a free port, which a drill may stop and start again
    on the same port with what it held: it saves on shutdown, as a service manager's stop
    of a packaged Redis does."""

    def __init__(self, *, data_dir: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.process: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.data_dir), "--dbfilename", f"redis-{self.port}.rdb",
            "--save", "3600 1", "--appendonly", "no",
        ]  # fmt: skip
        self.process = ChildProcess(command, env=dict(os.environ), name=f"redis-{self.port}")
        self.process.start(ready=REDIS_READY)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=30)


@contextmanager
def broker_of_this_process(url: str) -> Iterator[None]:
    """Tasks this process sends go to ``url`` (the broker its workers listen to)."""
    from migrator.celery import app

    def switch(to: str) -> None:
        app.conf.broker_url = to
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    switch(url)
    try:
        yield
    finally:
        switch(before)


def redis_server_available() -> bool:
    try:
        subprocess.run(["redis-server", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_server(
    *, env: dict[str, str], port: int, workers: int, threads: int = 4, access_log: bool = False
) -> ChildProcess:
    command = [
        sys.executable, "-m", "gunicorn", "migrator.wsgi:application", f"--bind=127.0.0.1:{port}",
        "--config=python:migrator.gunicorn_config",
        f"--workers={workers}", f"--threads={threads}", "--timeout=120",
        # Keeps connections alive even with one thread (the sync worker closes each).
        "--worker-class=gthread",
    ]  # fmt: skip
    if access_log:
        command.append("--access-logfile=-")
    return ChildProcess(command, env=env, name="web")


WORKER_READY = r"ready\."
BEAT_READY = r"beat: Starting"
WEB_READY = r"Booting worker"
REDIS_READY = r"Ready to accept connections"
