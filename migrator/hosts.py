"""Worker "hosts" on one machine, for the several-hosts benchmark and its test: each is a
network namespace with a veth link to the root namespace (a private /24 of its own), in
which a Celery worker process group runs. PostgreSQL, Redis and the emulators listen on
loopback in the root namespace; a TCP forwarder there listens on each link's root-side
address and passes the connections on, so a worker reaches them only over its link, as a
worker on another machine reaches them over the network.

Needs root and ``ip netns``; everything made is removed on the way out, failure or
Ctrl-C included.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from migrator import processes
from migrator.tcp_forward import READY as FORWARDER_READY

#: The /24s the links take their addresses from: 10.231.<n>.0/24, n free on this machine.
LINK_PREFIX = "10.231"


def netns_unavailable_reason() -> str | None:
    """Why worker hosts cannot be made here; None when they can."""
    try:
        subprocess.run(["ip", "netns", "list"], check=True, capture_output=True, timeout=10)
    except FileNotFoundError:
        return "the ip command (iproute2) is not installed"
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        return f"`ip netns list` failed: {error}"
    probe = f"probe-{uuid.uuid4().hex[:6]}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode:
        return f"network namespaces cannot be made here: {made.stderr.strip() or 'not root'}"
    subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
    return None


def _ip(*arguments: str, namespace: str | None = None) -> None:
    command = ["ip", *arguments] if namespace is None else ["ip", "-n", namespace, *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")


def _free_link_numbers(count: int) -> list[int]:
    """Third octets of 10.231.x.0/24 that no interface of this machine uses yet."""
    listing = subprocess.run(
        ["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    used = set()
    for word in listing.split():
        if word.startswith(LINK_PREFIX + "."):
            used.add(int(word.split("/")[0].split(".")[2]))
    free = [number for number in range(1, 255) if number not in used][:count]
    if len(free) < count:
        raise RuntimeError(f"No {count} free /24s left in {LINK_PREFIX}.0.0/16.")
    return free


@dataclass
class WorkerHost:
    """One namespace, its veth link and the workers started in it."""

    name: str
    namespace: str
    veth_root: str
    veth_inside: str
    #: The root namespace's end of the link (the forwarders listen there) and the host's.
    root_address: str
    address: str
    env: dict[str, str]
    workers: list[processes.ChildProcess] = field(default_factory=list)
    #: Every process id seen in this host's workers (pool processes come and go).
    pids_seen: set[int] = field(default_factory=set)

    def worker(self, *, queue: str, concurrency: int) -> processes.ChildProcess:
        worker = processes.celery_worker(env=self.env, queue_name=queue, concurrency=concurrency)
        worker.command = ["ip", "netns", "exec", self.namespace, *worker.command]
        worker.name = f"worker on {self.name}"
        self.workers.append(worker)
        worker.start(ready=processes.WORKER_READY)
        self.sample()
        return worker

    def sample(self) -> None:
        for worker in self.workers:
            self.pids_seen.update(worker.pids())

    def stop(self) -> None:
        self.sample()
        for worker in self.workers:
            worker.stop()


@dataclass(frozen=True)
class Forward:
    """A service in the root namespace the hosts reach through their link."""

    name: str
    target_host: str
    target_port: int
    #: The port the forwarders listen on at each link's root-side address.
    listen_port: int


def url_through(url: str, *, host: str, port: int) -> str:
    """``url`` with its host and port replaced (credentials, path and query kept)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{host}:{port}" if credentials else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def url_target(url: str, *, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise RuntimeError(f"{parts.scheme} URL without a TCP host: hosts cannot reach it.")
    return parts.hostname, parts.port or default_port


@contextmanager
def worker_hosts(
    *, count: int, env: dict[str, str], forwards: list[Forward]
) -> Iterator[list[WorkerHost]]:
    """``count`` hosts whose workers get ``env`` with DATABASE_URL and REDIS_URL leading
    through their link (the forwards named "database" and "redis")."""
    tag = uuid.uuid4().hex[:4]
    with ExitStack() as cleanup:
        hosts: list[WorkerHost] = []
        for index, number in enumerate(_free_link_numbers(count), start=1):
            network = ipaddress.ip_network(f"{LINK_PREFIX}.{number}.0/24")
            root_address, address = (str(network[1]), str(network[2]))
            host = WorkerHost(
                name=f"host{index}",
                namespace=f"bench-{tag}-h{index}",
                veth_root=f"vb{tag}r{index}",
                veth_inside=f"vb{tag}n{index}",
                root_address=root_address,
                address=address,
                env={},
            )
            _ip("netns", "add", host.namespace)
            cleanup.callback(_quietly, "netns", "delete", host.namespace)
            _ip("link", "add", host.veth_root, "type", "veth", "peer", "name", host.veth_inside)
            # Deleting one end deletes the pair (and the namespace's deletion its end).
            cleanup.callback(_quietly, "link", "delete", host.veth_root)
            _ip("link", "set", host.veth_inside, "netns", host.namespace)
            _ip("addr", "add", f"{root_address}/24", "dev", host.veth_root)
            _ip("link", "set", host.veth_root, "up")
            inside = host.namespace
            _ip("addr", "add", f"{address}/24", "dev", host.veth_inside, namespace=inside)
            _ip("link", "set", host.veth_inside, "up", namespace=inside)
            _ip("link", "set", "lo", "up", namespace=inside)
            # Everything else (another link's root-side address: the emulators') goes
            # over this host's own link too.
            _ip("route", "add", "default", "via", root_address, namespace=inside)
            ports = {forward.name: forward.listen_port for forward in forwards}
            host.env = {**env}
            if "database" in ports:
                host.env["DATABASE_URL"] = url_through(
                    env["DATABASE_URL"], host=root_address, port=ports["database"]
                )
            if "redis" in ports:
                host.env["REDIS_URL"] = url_through(
                    env["REDIS_URL"], host=root_address, port=ports["redis"]
                )
            hosts.append(host)
        routes = [
            f"{host.root_address}:{forward.listen_port}={forward.target_host}:{forward.target_port}"
            for host in hosts
            for forward in forwards
        ]
        forwarder = processes.ChildProcess(
            # A script, isolated: importing the package would start Django and Celery.
            [sys.executable, "-I", str(Path(__file__).with_name("tcp_forward.py")), *routes],
            env={"PATH": env.get("PATH", "/usr/bin:/bin")},
            name="forwarder",
        )
        cleanup.callback(forwarder.stop)
        forwarder.start(ready=FORWARDER_READY, timeout=30)
        for host in hosts:
            cleanup.callback(host.stop)
        yield hosts


def _quietly(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], capture_output=True)
