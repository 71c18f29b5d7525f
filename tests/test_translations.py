"""The French interface is complete and the compiled catalogue matches its source."""

import polib

from tests.support import REPO_ROOT

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
