"""The page benchmark runs end to end on a small report and prints its figures."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from migrator.models import Migration, Run, User
from reports.models import RunRecord

pytestmark = pytest.mark.django_db

FIGURES = (
    "progress partial (run under way)",
    "results page, first page of records",
    "results page, last page of records (page 4)",
    "results page, failed records only",
    "full migration step page (results, history)",
    "CSV download, first byte",
)


def test_bench_pages_prints_the_median_time_of_each_page_and_cleans_up():
    output = io.StringIO()
    call_command("bench_pages", "--tickets", "200", "--requests", "3", stdout=output)
    text = output.getvalue()
    assert "200 ticket records in the report" in text
    assert "Median server time of 3 requests each (target: under 300 ms):" in text
    for figure in FIGURES:
        match = re.search(re.escape(figure) + r"\s+(\d+\.\d) ms", text)
        assert match, f"{figure!r} missing from:\n{text}"
        assert float(match.group(1)) > 0
    assert re.search(r"All under 300 ms\.|Over 300 ms: ", text)
    # What it created is gone.
    assert not Migration.objects.exists()
    assert not Run.objects.exists()
    assert not RunRecord.objects.exists()
    assert not User.objects.filter(email__startswith="bench-").exists()
