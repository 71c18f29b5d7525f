"""Recorded platform payloads kept with the tests (``tests/fixtures``, origins in its
``SOURCES.md``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


def fixture_payload(name: str) -> Any:
    """The parsed JSON of ``name`` (with or without ``.json``), a fresh copy each call."""
    file_name = name if name.endswith(".json") else f"{name}.json"
    path = FIXTURES_DIR / file_name
    if not path.is_file():
        raise FileNotFoundError(f"no recorded payload {file_name} in {FIXTURES_DIR}")
    return json.loads(path.read_text(encoding="utf-8"))


def fixture_names(*, prefix: str = "") -> list[str]:
    return sorted(path.name for path in FIXTURES_DIR.glob(f"{prefix}*.json"))
