"""The site's stylesheet is appended to section by section: a block left open swallows
every section after it (a missing "}" once put the run pages' styles inside
``@media print``)."""

from __future__ import annotations

import re

from tests.support import REPO_ROOT

STYLESHEET = REPO_ROOT / "static" / "css" / "site.css"


def test_every_block_of_the_stylesheet_is_closed_and_sections_start_at_the_top_level():
    text = re.sub(
        r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), STYLESHEET.read_text(), flags=re.S
    )
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        # A rule written at the start of a line belongs to the top level.
        if line[:1] not in ("", " ", "}"):
            assert depth == 0, f"site.css:{number}: {line.strip()!r} is inside a block left open"
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"site.css:{number}: a '}}' closes no block"
    assert depth == 0, "site.css ends inside a block"
