"""No message says "..": not the catalogue, not a template, not a reason that already
ended its sentence put before another full stop."""

from __future__ import annotations

import ast
import re

import polib
import pytest
from pydantic import BaseModel, field_validator

from connectors.sentences import end_sentence
from connectors.wire import MalformedPayloadError, parse_wire
from migrator.engine.reverify import _row_update
from migrator.engine.verify import Verdict, Verification
from reports.models import RunRecord
from tests.support import REPO_ROOT

#: Two full stops that are not an ellipsis ("..." stays allowed).
DOUBLE = re.compile(r"(?<!\.)\.\.(?!\.)")
#: Values that may bring their own full stop: reasons, messages, platform answers.
SENTENCE_LIKE = re.compile(r"reason|message|msg|text|error|detail|differences|said|why", re.I)
SOURCE_FOLDERS = ("billing", "connectors", "migrator", "reports", "wizard")


def test_the_french_catalogue_has_no_double_period():
    po = polib.pofile(str(REPO_ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    doubled = [
        entry.msgid for entry in po if DOUBLE.search(entry.msgid) or DOUBLE.search(entry.msgstr)
    ]
    assert not doubled


def test_no_template_closes_a_reason_with_another_full_stop():
    found = []
    for path in (REPO_ROOT / "templates").rglob("*.*"):
        text = path.read_text()
        for match in re.finditer(r"\{\{\s*([\w.]+)[^}]*\}\}\.", text):
            if SENTENCE_LIKE.search(match.group(1)):
                found.append(f"{path.name}: {match.group(0)}")
        found += [
            f"{path.name}: {line.strip()}" for line in text.splitlines() if DOUBLE.search(line)
        ]
    assert not found


def _f_strings_closing_a_sentence_like_value():
    for folder in SOURCE_FOLDERS:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.JoinedStr):
                    continue
                pairs = zip(node.values, node.values[1:], strict=False)
                for position, (value, after) in enumerate(pairs, start=2):
                    last = position == len(node.values)
                    closes = isinstance(after, ast.Constant) and (
                        str(after.value).startswith(". ") or (after.value == "." and last)
                    )
                    if (
                        isinstance(value, ast.FormattedValue)
                        and closes
                        and SENTENCE_LIKE.search(ast.unparse(value.value))
                    ):
                        yield f"{path.relative_to(REPO_ROOT)}:{node.lineno}"


def test_no_code_puts_a_full_stop_after_a_reason():
    assert list(_f_strings_closing_a_sentence_like_value()) == []


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ("the target refused it", "the target refused it."),
        ("the target refused it.", "the target refused it."),
        ("Was it “done.”", "Was it “done.”"),
        ("Wait…", "Wait…"),
        ("", ""),
    ],
)
def test_a_sentence_is_closed_once(text, closed):
    assert end_sentence(text) == closed


class _Strict(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def _refuse(cls, value: str) -> str:
        raise ValueError("Enter a real name.")


def test_a_payload_the_platform_explains_is_said_with_one_full_stop():
    with pytest.raises(MalformedPayloadError) as caught:
        parse_wire(_Strict, {"name": "x"}, platform="Halo", what="agent")
    assert not DOUBLE.search(caught.value.user_message)
    assert caught.value.user_message.endswith("Enter a real name.")


def test_a_record_that_still_differs_reads_with_one_full_stop():
    row = RunRecord(reason="", differences="")
    verdict = Verdict(
        status=Verification.DIFFERS,
        differences=("the repair was refused: 127.0.0.1 refused the record (HTTP 422).",),
    )
    _row_update(row, verdict)
    assert not DOUBLE.search(row.reason), row.reason
    # Verified again later, the note is recognised and taken off.
    _row_update(row, Verdict(status=Verification.VERIFIED))
    assert row.reason == ""
