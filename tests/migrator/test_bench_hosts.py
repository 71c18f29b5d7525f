"""The several-hosts benchmark, small: two worker hosts (network namespaces reaching
PostgreSQL, Redis and the emulators over their veth links) share one run; every source
ticket is on the target exactly once, both hosts worked, and nothing is left behind."""

from __future__ import annotations

import io
import re
import subprocess
from collections import Counter

import pytest
from django.core.management import call_command

from connectors.models import EmulatedAccount, EmulatedRecord
from migrator.hosts import netns_unavailable_reason
from tests.migrator.engine.stack import skip_reason

pytestmark = pytest.mark.django_db(transaction=True)


def _namespaces() -> set[str]:
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


def _links() -> set[str]:
    listing = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in listing.splitlines()}


@pytest.fixture(autouse=True)
def _hosts_possible():
    if reason := skip_reason() or netns_unavailable_reason():
        pytest.skip(f"several hosts cannot be shown here: {reason}")


def test_two_hosts_share_one_run_without_duplicates_and_leave_nothing_behind():
    namespaces_before, links_before = _namespaces(), _links()
    output = io.StringIO()
    call_command(
        "bench_hosts",
        "--hosts=2",
        "--tickets=100",
        "--limit=0",
        "--concurrency=2",
        "--page-size=10",
        "--keep",
        stdout=output,
    )
    text = output.getvalue()
    assert "2 hosts, one run: zendesk -> freshdesk, 100/100 tickets migrated (completed)" in text
    per_host = re.search(r"batches done per host: (.*)", text)
    assert per_host, text
    done = dict(re.findall(r"(host\d|unknown) (\d+)", per_host.group(1)))
    assert int(done.get("host1", 0)) > 0 and int(done.get("host2", 0)) > 0, text
    assert "unknown" not in done, text
    assert "100 source tickets, lost 0, duplicated 0, short 0, copies matching nothing 0" in text

    # The target's own tables: each source ticket's subject exactly once.
    source = EmulatedAccount.objects.get(platform="zendesk", slug__startswith="bench-src-")
    target = EmulatedAccount.objects.get(platform="freshdesk", slug__startswith="bench-dst-")
    source_subjects = Counter(
        row["subject"]
        for row in EmulatedRecord.objects.filter(account=source, collection="tickets").values_list(
            "data", flat=True
        )
    )
    target_subjects = Counter(
        row["subject"]
        for row in EmulatedRecord.objects.filter(account=target, collection="tickets").values_list(
            "data", flat=True
        )
    )
    assert sum(source_subjects.values()) == 100
    assert target_subjects == source_subjects

    # Namespaces, links and forwarders are gone.
    assert _namespaces() == namespaces_before
    assert _links() == links_before
