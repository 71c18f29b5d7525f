"""The French interface is complete and the compiled catalogue matches its source."""

import shutil

import polib
import pytest

from tests.support import REPO_ROOT, embedded_environment, manage

CATALOGUE = REPO_ROOT / "locale" / "fr" / "LC_MESSAGES"


def test_every_french_message_is_translated():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy (needs review): {fuzzy}"
    assert not po.obsolete_entries()


def test_compiled_catalogue_is_up_to_date():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
            f"django.mo is stale for {entry.msgid!r}: run `make messages`"
        )


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext is not installed")
def test_catalogue_holds_every_string_of_the_source(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(
        REPO_ROOT,
        copy,
        ignore=shutil.ignore_patterns(".venv", "data", "test-output", ".git", "*_cache", "tests"),
    )
    result = manage(
        "makemessages",
        "--locale",
        "fr",
        "--no-obsolete",
        env=embedded_environment(data_dir=tmp_path / "data"),
        cwd=copy,
    )
    assert result.returncode == 0, result.stderr
    fresh = {
        entry.msgid
        for entry in polib.pofile(str(copy / CATALOGUE.relative_to(REPO_ROOT) / "django.po"))
    }
    committed = {entry.msgid for entry in polib.pofile(str(CATALOGUE / "django.po"))}
    assert fresh - committed == set(), (
        "strings missing from the French catalogue: run `make messages`"
    )
