"""The engine builds every marker with the migration's own prefix: a marker built with the
default one would not find the records a migration with another prefix created (and a
retried run would create them a second time)."""

from __future__ import annotations

import ast

from tests.support import REPO_ROOT


def test_every_marker_the_engine_builds_carries_the_migrations_prefix():
    calls = []
    for path in sorted((REPO_ROOT / "migrator").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "source_marker":
                calls.append((path.relative_to(REPO_ROOT), node))
    assert calls, "the engine builds no marker?"
    without = [
        f"{path}:{node.lineno}"
        for path, node in calls
        if "prefix" not in {keyword.arg for keyword in node.keywords}
    ]
    assert not without, f"markers built without the migration's prefix: {without}"
