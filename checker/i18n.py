"""User-facing language: gettext catalogs (Babel) and locale-style numbers and dates.

Source strings (msgids) are English; Vietnamese is the default language and lives in
`checker/locale/vi/LC_MESSAGES/checker.po`. The .po file is read directly (no compiled .mo
to go stale): Babel parses it and builds the translations in memory.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from checker.paths import LOCALE_DIR

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
_BABEL_LOCALES = {"vi": "vi_VN", "en": "en_GB"}


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet (it is looked up later)."""
    return message


# Vocabulary shared by the documents and the terminal: a status in words.
STATUS_WORDS = {
    "met": N_("Met"),
    "not_met": N_("Not met"),
    "missing": N_("Missing data"),
    "not_applicable": N_("Not applicable"),
}
STATUS_SYMBOLS = {"met": "✓", "not_met": "✗", "missing": "?", "not_applicable": "–"}


def text_in(texts: Mapping[str, str], lang: str) -> str:
    """A rulebook text (label, legal basis, ...) in the language, falling back to Vietnamese."""
    return texts.get(lang) or texts["vi"]


@dataclass(frozen=True)
class Translator:
    """Everything a stage needs to speak the user's language."""

    lang: str
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        """The message in the user's language (the English msgid when untranslated)."""
        return self.translations.gettext(message)

    def number(self, value: float | Decimal, digits: int = 1) -> str:
        """A number in the locale's style: '92,5' in Vietnamese, '92.5' in English."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=_BABEL_LOCALES[self.lang])

    def percent(self, fraction: float, digits: int = 1) -> str:
        """A fraction as a percentage: 0.978 -> '97,8%' (vi) or '97.8%' (en)."""
        return self.number(fraction * 100, digits) + "%"

    def date(self, day: dt.date) -> str:
        """A date in the locale's style ('29/11/2026' in Vietnamese)."""
        return format_date(
            day,
            format="short" if self.lang == "en" else "dd/MM/yyyy",
            locale=_BABEL_LOCALES[self.lang],
        )

    def long_date(self, day: dt.date) -> str:
        """The date as written under an official letter: 'ngày 29 tháng 11 năm 2026'."""
        if self.lang == "vi":
            return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
        return format_date(day, format="long", locale=_BABEL_LOCALES[self.lang])


def load_translator(lang: str = DEFAULT_LANGUAGE) -> Translator:
    """The translator for a language code ('vi' or 'en'); ValueError for any other."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    Locale.parse(_BABEL_LOCALES[lang])  # fail early if Babel lacks the locale data
    po_path = LOCALE_DIR / lang / "LC_MESSAGES" / "checker.po"
    if not po_path.exists():
        return Translator(lang, NullTranslations())
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=_BABEL_LOCALES[lang])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translator(lang, Translations(fp=buffer))
