"""The test suite runs from a clone of the repository alone: nothing read from beside it,
no missing module turned into a skip, random choices that can be replayed."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fixtures_util import FIXTURES_DIR, fixture_names
from tests.support import REPO_ROOT

SOURCE_FOLDERS = ("tests", "connectors", "migrator", "wizard", "billing", "reports")
PROJECT_PACKAGES = ("tests", "connectors", "migrator", "wizard", "billing", "reports")
THIS_FILE = Path(__file__).resolve()


def python_files(folders: tuple[str, ...]) -> list[Path]:
    return [
        path
        for folder in folders
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if path.resolve() != THIS_FILE
    ]


def offending_lines(pattern: str, *, folders: tuple[str, ...] = SOURCE_FOLDERS) -> list[str]:
    compiled = re.compile(pattern)
    return [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in python_files(folders)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if compiled.search(line)
    ]


def test_nothing_is_read_from_a_shared_folder_beside_the_repository() -> None:
    assert not offending_lines(r"""\.\./shared|/\s*["']shared["']|parent\s*/\s*["']shared"""), (
        "tests must read what they need from the repository (tests/fixtures)"
    )


def test_the_recorded_payloads_live_in_the_repository_with_their_origin() -> None:
    assert FIXTURES_DIR.resolve().is_relative_to(REPO_ROOT)
    names = fixture_names()
    assert names, f"no recorded payload in {FIXTURES_DIR}"
    sources = (FIXTURES_DIR / "SOURCES.md").read_text(encoding="utf-8")
    unexplained = [name for name in names if f"| {name} |" not in sources]
    assert not unexplained, f"SOURCES.md does not say where these come from: {unexplained}"


def test_a_missing_project_module_is_an_error_not_a_skip() -> None:
    packages = "|".join(PROJECT_PACKAGES)
    assert not offending_lines(rf"""importorskip\(\s*["']({packages})\b"""), (
        "import the project's own modules normally: a broken import must fail the suite"
    )
    assert not offending_lines(r"importorskip\(\s*$"), "importorskip split over lines"


def test_random_choices_in_tests_are_seeded() -> None:
    assert not offending_lines(r"random\.Random\(\s*\)", folders=("tests",)), (
        "seed the generator (tests.support.replayable_seed) so a failure can be replayed"
    )
