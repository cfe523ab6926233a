"""The English catalogue stays complete and compiled: the UI must never fall back silently."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import linli

LOCALE = Path(linli.__file__).parent / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"


def _po_entries() -> dict[str, str]:
    entries: dict[str, str] = {}
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? "(.*)"$', block, re.M)
        if msgid and msgstr and msgid.group(1):
            entries[msgid.group(1).encode().decode("unicode_escape").encode("latin-1").decode()] = (
                msgstr.group(1)
            )
    return entries


def test_every_ui_string_has_an_english_translation():
    # msgfmt leaves fuzzy entries out of the .mo, so a fuzzy entry is an untranslated one.
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8").split("\n\n", 1)[1]
    entries = _po_entries()
    assert len(entries) > 50
    assert not [msgid for msgid, msgstr in entries.items() if not msgstr]


def test_compiled_catalogue_matches_the_source():
    catalogue = gettext.translation("django", localedir=LOCALE, languages=["en"])
    stale = [
        m for m, s in _po_entries().items() if "%" not in m and catalogue.gettext(m) != s.replace('\\"', '"')
    ]
    assert not stale, f"recompile: msgfmt -o {PO.with_suffix('.mo')} {PO}  (stale: {stale[:3]})"
