"""The message catalogs: complete, in step with the sources, and safe to format.

When a test here fails after you added or changed a user-facing string, run
`tools/update-catalogs.sh`, then translate the new entries in
checker/locale/vi/LC_MESSAGES/checker.po.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from checker.i18n import LANGUAGES, LOCALE_DIR, load_translator

PROJECT = Path(__file__).resolve().parent.parent
POT = LOCALE_DIR / "checker.pot"
# The same options as tools/update-catalogs.sh.
EXTRACT_OPTIONS = ("-F", "babel.cfg", "-k", "N_", "--no-location", "--sort-output", "--omit-header")
FIX = "run tools/update-catalogs.sh, then translate the new entries in the vi catalog"

# A %-conversion ('%(name)s', '%s', '%%') and a str.format field ('{name}', '{0:.1f}').
PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrs%]")
BRACE_FIELD = re.compile(r"\{[^{}]*\}")
# Symbols that carry meaning on a page printed in grey; a translation must keep them.
SYMBOLS = "▲▼=✓✗?–"


def read_catalog(path: Path) -> Catalog:
    """The catalog stored at path."""
    with path.open("rb") as po_file:
        return read_po(po_file)


def messages(catalog: Catalog) -> Iterator[Message]:
    """The catalog's entries, without its header entry."""
    return (message for message in catalog if message.id)


def msgids(catalog: Catalog) -> set[str]:
    """Every msgid in the catalog."""
    return {str(message.id) for message in messages(catalog)}


def catalog_path(lang: str) -> Path:
    """Where the catalog of a language lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / "checker.po"


def vietnamese() -> list[Message]:
    """The entries of the Vietnamese catalog (without its header)."""
    return list(messages(read_catalog(catalog_path("vi"))))


def placeholders(text: str) -> tuple[set[str], set[str]]:
    """The %-conversions and the {}-fields in a message."""
    return set(PERCENT_FIELD.findall(text)), set(BRACE_FIELD.findall(text))


def sample_arguments(text: str) -> dict[str, str]:
    """A distinct value for each named placeholder of a message, e.g. {'file': '<file>'}."""
    names = re.findall(r"%\((\w+)\)", text) + re.findall(r"\{(\w+)[^{}]*\}", text)
    return {name: f"<{name}>" for name in names}


def test_the_template_lists_exactly_the_strings_in_the_sources(tmp_path: Path) -> None:
    fresh = tmp_path / "checker.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [str(pybabel), "-q", "extract", *EXTRACT_OPTIONS, "-o", str(fresh), "."],
        cwd=PROJECT,
        check=True,
    )
    extracted, stored = msgids(read_catalog(fresh)), msgids(read_catalog(POT))
    assert extracted, "pybabel extracted no string at all: is babel.cfg right?"
    assert extracted == stored, (
        f"checker/locale/checker.pot is out of date with the sources; {FIX}.\n"
        f"New strings: {sorted(extracted - stored)}\n"
        f"Strings no longer used: {sorted(stored - extracted)}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_catalog_holds_exactly_the_template_strings(lang: str) -> None:
    in_catalog, in_template = msgids(read_catalog(catalog_path(lang))), msgids(read_catalog(POT))
    assert in_catalog == in_template, (
        f"the {lang} catalog is out of step with checker.pot; {FIX}.\n"
        f"Missing: {sorted(in_template - in_catalog)}\n"
        f"Obsolete: {sorted(in_catalog - in_template)}"
    )


def test_every_string_has_a_vietnamese_translation() -> None:
    untranslated = [message.id for message in vietnamese() if not message.string]
    fuzzy = [message.id for message in vietnamese() if message.fuzzy]
    assert not untranslated, f"untranslated in the vi catalog: {untranslated}; {FIX}"
    assert not fuzzy, f"fuzzy (unchecked) entries in the vi catalog: {fuzzy}"


def edges(text: str) -> tuple[str, str]:
    """The leading and trailing whitespace of a message ('Error: ' is followed by more text)."""
    return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]


def translated() -> list[tuple[str, str, Message]]:
    """(msgid, msgstr, entry) for every translated Vietnamese entry."""
    return [(str(m.id), str(m.string), m) for m in vietnamese() if m.string]


def test_a_translation_keeps_the_placeholders_of_its_msgid() -> None:
    wrong = [(i, s) for i, s, _ in translated() if placeholders(s) != placeholders(i)]
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_a_translation_keeps_the_symbols_and_edge_spaces_of_its_msgid() -> None:
    def kept(msgid: str, msgstr: str) -> bool:
        symbols = [s for s in SYMBOLS if s in msgid] == [s for s in SYMBOLS if s in msgstr]
        return symbols and edges(msgid) == edges(msgstr)

    wrong = [(i, s) for i, s, _ in translated() if not kept(i, s)]
    assert not wrong, f"symbols or leading/trailing spaces differ: {wrong}"


def test_a_translation_formats_as_its_msgid_does() -> None:
    # The code fills '%(name)s' messages with %, and the others with str.format (the load and
    # validation messages, and the problem texts even when they have no field): a stray '%' or
    # '{' in a translation would crash that message, a lost field would drop the value.
    def formats(msgid: str, msgstr: str, message: Message) -> bool:
        arguments = sample_arguments(msgid)
        try:
            if "python-format" in message.flags:
                formatted = msgstr % arguments
            else:
                formatted = msgstr.format(**arguments)
        except (KeyError, ValueError, TypeError, IndexError):
            return False
        return all(value in formatted for value in arguments.values())

    wrong = [(i, s) for i, s, m in translated() if not formats(i, s, m)]
    assert not wrong, f"these translations cannot be formatted like their msgid: {wrong}"


def test_vietnamese_is_the_translation_of_the_english_msgids() -> None:
    t = load_translator("vi")
    assert t.gettext("Met") == "Đạt"
    assert t.gettext("Not met") == "Chưa đạt"
    semester = t.gettext("Semester 1, %(years)s") % {"years": "2026-2027"}
    assert semester == "Học kỳ I năm học 2026-2027"


def test_english_falls_back_to_the_msgid() -> None:
    assert load_translator("en").gettext("Met") == "Met"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported language 'xx'"):
        load_translator("xx")


@pytest.mark.parametrize(("lang", "expected"), [("vi", "97,8%"), ("en", "97.8%")])
def test_a_share_is_written_in_the_locale_style(lang: str, expected: str) -> None:
    assert load_translator(lang).percent(44 / 45) == expected
