#!/usr/bin/env bash
# Re-extract every translatable string (msgid) into checker/locale/checker.pot, then create or
# update the Vietnamese and English catalogs from it.
#
# Run it after adding or changing any string marked with _() / N_() / t.gettext() in checker/
# or _() in templates/, then translate the new (empty) entries it lists in
# checker/locale/vi/LC_MESSAGES/checker.po. tests/test_i18n.py fails until both are done.
# English needs nothing: an empty msgstr falls back to the English msgid.
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL=.venv/bin/pybabel
LOCALE_DIR=checker/locale
POT="$LOCALE_DIR/checker.pot"

"$PYBABEL" -q extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o "$POT" .

for lang in vi en; do
  if [[ -f "$LOCALE_DIR/$lang/LC_MESSAGES/checker.po" ]]; then
    # No fuzzy matching: a changed msgid comes back untranslated (and fails the tests) rather
    # than silently reusing the translation of a different sentence.
    "$PYBABEL" -q update -D checker -d "$LOCALE_DIR" -l "$lang" -i "$POT" \
      --no-fuzzy-matching --ignore-obsolete
  else
    "$PYBABEL" -q init -D checker -d "$LOCALE_DIR" -l "$lang" -i "$POT"
  fi
done

# Replace Babel's header (creation time, placeholders) with a fixed one, so that re-running this
# script without changed strings leaves the catalogs byte for byte the same; then list the
# Vietnamese entries still to translate.
.venv/bin/python - "$LOCALE_DIR" <<'PY'
import sys
from pathlib import Path

from babel.messages.pofile import read_po

NAMES = {"vi": "Vietnamese", "en": "English"}
PLURALS = {"vi": "nplurals=1; plural=0;", "en": "nplurals=2; plural=(n != 1);"}
NOTES = {
    "vi": "# Every msgstr must be filled in: tests/test_i18n.py checks it.",
    "en": "# An empty msgstr falls back to the English msgid.",
}

locale_dir = Path(sys.argv[1])
for lang, name in NAMES.items():
    po = locale_dir / lang / "LC_MESSAGES" / "checker.po"
    text = po.read_text(encoding="utf-8")
    start = text.index('msgid ""\nmsgstr ""\n')
    end = text.index("\n\n", start)  # the header entry ends at the first blank line
    header = "\n".join(
        [
            f"# {name} messages of checker, the school digital transformation checker.",
            "# The msgids are English; tools/update-catalogs.sh adds new ones here, empty.",
            NOTES[lang],
            'msgid ""',
            'msgstr ""',
            '"Project-Id-Version: checker\\n"',
            f'"Language: {lang}\\n"',
            f'"Plural-Forms: {PLURALS[lang]}\\n"',
            '"MIME-Version: 1.0\\n"',
            '"Content-Type: text/plain; charset=utf-8\\n"',
            '"Content-Transfer-Encoding: 8bit\\n"',
        ]
    )
    po.write_text(header + text[end:], encoding="utf-8")

with (locale_dir / "vi" / "LC_MESSAGES" / "checker.po").open("rb") as po_file:
    catalog = read_po(po_file)
todo = [m.id for m in catalog if m.id and (m.fuzzy or not m.string)]
for msgid in todo:
    print(f"to translate (vi): {msgid!r}")
print(f"{len(catalog)} messages; {len(todo)} Vietnamese entries to translate.")
PY
