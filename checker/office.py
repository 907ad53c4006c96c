"""The issuing unit's settings (office.toml): who issues the documents, who signs, who to ask.

Nothing about the issuing unit is written in the code: a provincial department (Sở GD&ĐT), a
commune or ward People's Committee, or (for the history before 1/7/2025) a district office
each describe themselves in their own settings file, passed with `--office FILE`.

The file is checked in full when it is read, before anything is written: every key's type,
length and allowed values, unknown keys (typos) and missing ones. A wrong file gives one
sentence naming the file and the key (`OfficeSettingsError`, exit 2), never a traceback.
The checks are written out here, from the table `_TEXTS` and a few small functions, rather
than with a validation library: the main process reads this file on the start-up path, where
pydantic's import alone costs ~0.3 s.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.files import read_regular_file
from checker.i18n import LANGUAGES, N_, Translator
from checker.model import InputError

# --- Messages (English msgids; the CLI translates them and fills in the parameters) ----------

MSG_NOT_UTF8 = N_("{file}: the office settings file is not UTF-8 text.")
MSG_NOT_TOML = N_("{file}: the office settings are not valid TOML ({reason}).")
MSG_UNKNOWN_KEY = N_("{file}: unknown key {key} (allowed here: {allowed}).")
MSG_MISSING_KEY = N_("{file}: the key {key} is required.")
MSG_NOT_TABLE = N_("{file}: {key} must be a table ([{key}]), not {found}.")
MSG_NOT_TEXT = N_("{file}: {key} must be a text in quotes, not {found}.")
MSG_EMPTY_TEXT = N_("{file}: {key} must not be empty.")
MSG_TOO_LONG = N_("{file}: {key} is too long ({length} characters; at most {limit}).")
MSG_CONTROL = N_(
    "{file}: {key} contains a control character (line breaks only in parent_authority and name)."
)
MSG_CHOICE = N_("{file}: {key} must be one of {choices}, not {value}.")
MSG_NOT_LIST = N_("{file}: {key} must be a list of texts in quotes, not {found}.")
MSG_LIST_TOO_LONG = N_("{file}: {key} has {count} entries (at most {limit}).")
MSG_NOT_DATE = N_("{file}: {key} must be a date written like 2027-01-15 (without quotes).")
MSG_NOT_WHOLE = N_("{file}: {key} must be a whole number from {low} to {high}.")
MSG_BOTH_DEADLINES = N_(
    "{file}: give either document.remediation_deadline or document.remediation_days, not both."
)
MSG_SYMBOL = N_("{file}: {key} must hold {field} once and no other braces, e.g. {example}.")
MSG_UNIT_ID = N_(
    "{file}: unit_id must be 1 to 64 lower-case letters, digits, '-' or '_', e.g. so-gddt-ben-tre."
)
MSG_NEEDS_AUTHORITY = N_(
    "{file}: signer.prefix {prefix} needs vi.signer_authority_title (the head's title written "
    "after it, e.g. GIÁM ĐỐC)."
)
MSG_EMAIL = N_("{file}: contact.email {value} is not an e-mail address.")
MSG_PHONE = N_("{file}: contact.phone may hold only digits, spaces and + ( ) . -")
MSG_NO_SIGNER = N_(
    "Warning: {file} gives no signer name (signer.name): the documents leave the name blank "
    "to be written by hand."
)

# What a wrong value was, for the messages ("must be a text in quotes, not a table").
FOUND_WORDS = {
    dict: N_("a table"),
    list: N_("a list"),
    bool: N_("true/false"),
    int: N_("a number"),
    float: N_("a number"),
    str: N_("a text"),
    dt.date: N_("a date"),
    dt.datetime: N_("a date and time"),
    dt.time: N_("a time"),
}

# Parameters of the messages that are themselves msgids.
TRANSLATED_PARAMS = frozenset({"found"})

# --- Limits -----------------------------------------------------------------------------------

MAX_FILE_BYTES = 64 * 1024  # a settings file is ~3 KB
MAX_TEXT = 300  # characters in one text (a plan's title is the longest, ~150)
MAX_NAME = 120  # a person's name, a phone number, an e-mail address
MAX_LIST = 30  # recipients
MAX_DAYS = 366

# --- The vocabulary of the settings -----------------------------------------------------------

# The kinds of issuing unit. A district office is kept for documents issued before 1/7/2025
# (district People's Committees and their offices no longer exist since then).
UNIT_KINDS = ("province_department", "commune", "district_office")
# The decree's authority prefixes (Nghị định 30/2020, Điều 13): signing for the head (KT.), for
# the body (TL., TUQ.), for a collective (TM.), or as acting head (Q.).
SIGNER_PREFIXES = ("", "KT.", "TL.", "TUQ.", "TM.", "Q.")
# Where the decree puts two title lines: the prefix with the head's title, then the signer's own.
TWO_LINE_PREFIXES = frozenset({"KT.", "TL.", "TUQ.", "TM."})
NUMBER_FIELD = "{number}"

# The unit whose runs a history holds when its settings name none: the sample's district office.
DEFAULT_UNIT_ID = "pgd-giong-trom"
_UNIT_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"[0-9+(). -]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")

# "roster" and [smtp] are read by checker.roster and checker.send (`checker forms`, `collect`,
# `send`); they are only allowed here.
TOP_KEYS = ("unit_id", "kind", "signer", "document", "contact", "roster", "smtp", *LANGUAGES)
SIGNER_KEYS = ("name", "prefix")
DOCUMENT_KEYS = ("notice_symbol", "report_symbol", "remediation_deadline", "remediation_days")
CONTACT_KEYS = ("name", "phone", "email")


@dataclass(frozen=True)
class _Text:
    """How one per-language key is checked: required in [vi], a list, may hold line breaks."""

    required: bool = True
    is_list: bool = False
    multiline: bool = False
    limit: int = MAX_TEXT


# The per-language texts ([vi] required, [en] optional key by key, falling back to [vi]).
_TEXTS: Mapping[str, _Text] = {
    "parent_authority": _Text(multiline=True, required=False),
    "name": _Text(multiline=True),
    "area": _Text(),
    "place": _Text(limit=MAX_NAME),
    "plan": _Text(),
    "signer_title": _Text(limit=MAX_NAME),
    "signer_authority_title": _Text(required=False, limit=MAX_NAME),
    "notice_recipients": _Text(is_list=True, required=False),
    "report_recipients": _Text(is_list=True, required=False),
    "archive": _Text(limit=MAX_NAME),
    "name_in_text": _Text(required=False, limit=MAX_NAME),
}

# How a sentence names the unit ("báo cáo về Sở Giáo dục và Đào tạo") when the settings give no
# `name_in_text`: the letterhead's name is in capitals, and capitalising a Vietnamese agency's
# name by rule is not possible (proper names keep their capitals), so a unit whose name is not
# one of these writes its own; a commune's name is used as printed.
NAME_IN_TEXT = {
    "province_department": {"vi": "Sở Giáo dục và Đào tạo", "en": "the Department of Education"},
    "district_office": {"vi": "Phòng Giáo dục và Đào tạo", "en": "the Division of Education"},
}

# The texts templates have printed from the start; load_office always gives these keys.
OFFICE_KEYS = ("parent_authority", "name", "place", "signer_title", "signer_name", "plan")


class OfficeSettingsError(InputError):
    """The office settings file cannot be used: an English message id and its parameters."""

    def __init__(self, msgid: str, params: Mapping[str, str]) -> None:
        super().__init__(msgid, dict(params))
        self.msgid: str = msgid
        self.params: dict[str, str] = dict(params)

    def __str__(self) -> str:
        return self.msgid.format(**self.params)

    def translate(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language of `gettext` (e.g. `Translator.gettext`), with the
        word for what was found ('a table') translated too."""
        params = {
            key: gettext(value) if key in TRANSLATED_PARAMS else value
            for key, value in self.params.items()
        }
        return gettext(self.msgid).format(**params)


@dataclass(frozen=True)
class Signer:
    """Who signs: the name (blank: written by hand), the decree's prefix and the titles."""

    name: str
    prefix: str  # one of SIGNER_PREFIXES
    title: str  # the signer's own title, e.g. PHÓ GIÁM ĐỐC
    authority_title: str  # the head's title after KT./TL./TUQ./TM., e.g. GIÁM ĐỐC

    @property
    def title_lines(self) -> tuple[str, ...]:
        """The title block above the signature: ('KT. GIÁM ĐỐC', 'PHÓ GIÁM ĐỐC'),
        ('Q. GIÁM ĐỐC',) or ('TRƯỞNG PHÒNG',)."""
        if self.prefix in TWO_LINE_PREFIXES:
            return (f"{self.prefix} {self.authority_title}", self.title)
        if self.prefix:
            return (f"{self.prefix} {self.title}",)
        return (self.title,)


@dataclass(frozen=True)
class Contact:
    """The person at the office the schools report to (any field may be blank)."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Office:
    """The issuing unit, its texts in one language, as read and checked from its settings."""

    source: str  # the settings file's name, for messages
    unit_id: str
    kind: str  # one of UNIT_KINDS
    lang: str
    parent_authority: str  # may be '' (a unit with no parent authority line)
    name: str
    area: str  # how the text names all the unit's schools: 'toàn tỉnh', 'toàn xã', …
    place: str
    plan: str
    signer: Signer
    notice_symbol: str  # e.g. '{number}/TB-SGDĐT'
    report_symbol: str  # e.g. '{number}/BC-SGDĐT'
    notice_recipients: tuple[str, ...]
    report_recipients: tuple[str, ...]
    archive: str  # 'VT, GDTrH' → '- Lưu: VT, GDTrH.'
    name_in_text: str  # the unit as a sentence names it: 'Sở Giáo dục và Đào tạo'
    contact: Contact
    remediation_deadline: dt.date | None
    remediation_days: int | None

    def deadline(self, day: dt.date) -> dt.date | None:
        """The date schools report their remediation by, for documents dated `day`."""
        if self.remediation_deadline is not None:
            return self.remediation_deadline
        if self.remediation_days is not None:
            return day + dt.timedelta(days=self.remediation_days)
        return None

    @property
    def texts(self) -> dict[str, str]:
        """The unit's texts as plain strings by key, as the page templates read them."""
        lines = self.signer.title_lines
        return {
            "unit_id": self.unit_id,
            "kind": self.kind,
            "parent_authority": self.parent_authority,
            "name": self.name,
            "area": self.area,
            "place": self.place,
            "plan": self.plan,
            "signer_name": self.signer.name,
            "signer_heading": lines[0] if len(lines) == 2 else "",
            "signer_title": lines[-1],
            "archive": self.archive,
            "contact_name": self.contact.name,
            "contact_phone": self.contact.phone,
            "contact_email": self.contact.email,
            "name_in_text": self.name_in_text,
            "notice_symbol": self.notice_symbol,
            "report_symbol": self.report_symbol,
            # Lists and dates as text, one entry a line: templates and contexts get strings only.
            "notice_recipients": "\n".join(self.notice_recipients),
            "report_recipients": "\n".join(self.report_recipients),
            "remediation_deadline": self.remediation_deadline.isoformat()
            if self.remediation_deadline
            else "",
            "remediation_days": str(self.remediation_days or ""),
        }


def document_symbol(pattern: str, number: int | None) -> str:
    """'12/TB-SGDĐT' from '{number}/TB-SGDĐT' (numbers below 10 with a leading 0, as the decree
    writes them), or room to write the number by hand when there is none."""
    filled = f"{number:02d}" if number is not None else "\u00a0" * 8
    return pattern.replace(NUMBER_FIELD, filled)


def office_warnings(office: Office, t: Translator) -> list[str]:
    """What the user should know about usable settings (said once on the terminal)."""
    if not office.signer.name:
        return [t.gettext(MSG_NO_SIGNER).format(file=office.source)]
    return []


def load_office(path: Path, lang: str) -> dict[str, str]:
    """The office's texts in `lang` by key (Vietnamese where a text has no translation)."""
    return read_office(path, lang).texts


def load_unit_id(path: Path) -> str:
    """The issuing unit's id: the settings' top-level `unit_id` (e.g. "pgd-giong-trom"), or
    DEFAULT_UNIT_ID when the file names none (the history's key for a unit's runs)."""
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return DEFAULT_UNIT_ID  # read_office, run first, says what is wrong with the file
    unit_id = settings.get("unit_id", DEFAULT_UNIT_ID)
    if not isinstance(unit_id, str) or _UNIT_ID.fullmatch(unit_id) is None:
        raise OfficeSettingsError(MSG_UNIT_ID, {"file": path.name})
    return unit_id


def read_office(path: Path, lang: str) -> Office:
    """Read and check the settings file; OfficeSettingsError naming the file and key if wrong."""
    check = _Checker(path.name)
    settings = check.parse(_read_text(path))
    check.keys(settings, "", TOP_KEYS, ("unit_id", "kind", "signer", "document", "vi"))
    unit_id = check.text(settings["unit_id"], "unit_id", MAX_NAME)
    if not _UNIT_ID.fullmatch(unit_id):
        check.fail(MSG_UNIT_ID)
    kind = check.choice(settings["kind"], "kind", UNIT_KINDS)
    signer = check.table(settings["signer"], "signer")
    check.keys(signer, "signer.", SIGNER_KEYS, ("prefix",))
    prefix = check.choice(signer["prefix"], "signer.prefix", SIGNER_PREFIXES)
    # Every language's table is checked, whichever language this run prints.
    texts = {code: _language_texts(check, settings, code) for code in LANGUAGES}
    vi = texts["vi"]
    chosen = {**vi, **texts.get(lang, {})}
    if prefix in TWO_LINE_PREFIXES and not vi.get("signer_authority_title"):
        check.fail(MSG_NEEDS_AUTHORITY, prefix=prefix)
    document = check.table(settings["document"], "document")
    check.keys(document, "document.", DOCUMENT_KEYS, ("notice_symbol", "report_symbol"))
    contact = _contact(check, settings.get("contact", {}))
    deadline, days = _deadline(check, document)
    return Office(
        source=path.name,
        unit_id=unit_id,
        kind=kind,
        lang=lang,
        parent_authority=str(chosen.get("parent_authority", "")),
        name=str(chosen["name"]),
        area=str(chosen["area"]),
        place=str(chosen["place"]),
        plan=str(chosen["plan"]),
        signer=Signer(
            name=check.text(signer.get("name", ""), "signer.name", MAX_NAME, empty_ok=True),
            prefix=prefix,
            title=str(chosen["signer_title"]),
            authority_title=str(chosen.get("signer_authority_title", "")),
        ),
        notice_symbol=_symbol(check, document["notice_symbol"], "document.notice_symbol"),
        report_symbol=_symbol(check, document["report_symbol"], "document.report_symbol"),
        notice_recipients=tuple(chosen.get("notice_recipients", ())),
        report_recipients=tuple(chosen.get("report_recipients", ())),
        archive=str(chosen["archive"]),
        name_in_text=str(chosen.get("name_in_text", ""))
        or default_name_in_text(kind, chosen, lang),
        contact=contact,
        remediation_deadline=deadline,
        remediation_days=days,
    )


def default_name_in_text(kind: str, texts: Mapping[str, Any], lang: str) -> str:
    """The unit as a sentence names it when the settings say nothing (see NAME_IN_TEXT)."""
    names = NAME_IN_TEXT.get(kind)
    if names is not None:
        return names.get(lang, names["vi"])
    return " ".join(str(texts["name"]).split())


def _read_text(path: Path) -> str:
    """The file's text: a regular file of bounded size (files.read_regular_file), in UTF-8."""
    data = read_regular_file(path, MAX_FILE_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OfficeSettingsError(MSG_NOT_UTF8, {"file": path.name}) from None


def _language_texts(check: _Checker, settings: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """One language's table of texts, checked key by key (all required ones in [vi])."""
    if lang not in settings:
        return {}
    table = check.table(settings[lang], lang)
    required = tuple(key for key, rule in _TEXTS.items() if rule.required) if lang == "vi" else ()
    check.keys(table, f"{lang}.", tuple(_TEXTS), required)
    texts: dict[str, Any] = {}
    for key, value in table.items():
        rule, where = _TEXTS[key], f"{lang}.{key}"
        if rule.is_list:
            texts[key] = check.text_list(value, where)
        else:
            empty_ok = not rule.required or key == "parent_authority"
            texts[key] = check.text(value, where, rule.limit, empty_ok, rule.multiline)
    return texts


def _contact(check: _Checker, value: Any) -> Contact:
    """The [contact] table (optional, every key optional)."""
    table = check.table(value, "contact")
    check.keys(table, "contact.", CONTACT_KEYS, ())
    name, phone, email = (
        check.text(table.get(key, ""), f"contact.{key}", MAX_NAME, empty_ok=True)
        for key in CONTACT_KEYS
    )
    if not _PHONE.fullmatch(phone):
        check.fail(MSG_PHONE)
    if email and not _EMAIL.fullmatch(email):
        check.fail(MSG_EMAIL, value=_quoted(email))
    return Contact(name, phone, email)


def _deadline(check: _Checker, document: Mapping[str, Any]) -> tuple[dt.date | None, int | None]:
    """The remediation deadline: a fixed date, a number of days after the documents' date, or
    neither (the documents then ask for no date)."""
    if "remediation_deadline" in document and "remediation_days" in document:
        check.fail(MSG_BOTH_DEADLINES)
    deadline = document.get("remediation_deadline")
    if deadline is not None and (
        not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime)
    ):
        check.fail(MSG_NOT_DATE, key="document.remediation_deadline")
    days = document.get("remediation_days")
    if days is not None and (
        not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS
    ):
        check.fail(MSG_NOT_WHOLE, key="document.remediation_days", low="1", high=str(MAX_DAYS))
    return deadline, days


def _symbol(check: _Checker, value: Any, where: str) -> str:
    """A document symbol pattern: '{number}' once and no other braces (no format tricks)."""
    pattern = check.text(value, where, MAX_NAME)
    rest = pattern.replace(NUMBER_FIELD, "", 1)
    if NUMBER_FIELD not in pattern or "{" in rest or "}" in rest:
        check.fail(MSG_SYMBOL, key=where, field=NUMBER_FIELD, example=NUMBER_FIELD + "/TB-SGDĐT")
    return pattern


def _quoted(value: str, limit: int = 40) -> str:
    """A user's value in a message: quoted and cut short (a hostile file may hold megabytes)."""
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"“{shown}”"


def _found(value: Any) -> str:
    """What kind of TOML value this is, as a msgid ('a table'), translated with the message."""
    for kind, word in FOUND_WORDS.items():
        if type(value) is kind:
            return word
    return N_("a text")


class _Checker:
    """Type and shape checks for one settings file; each failure is an OfficeSettingsError."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, msgid: str, **params: str) -> Any:
        """Raise the error for this file."""
        raise OfficeSettingsError(msgid, {"file": self.file, **params})

    def parse(self, text: str) -> dict[str, Any]:
        """The TOML document."""
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            return self.fail(MSG_NOT_TOML, reason=str(error))

    def keys(
        self,
        table: Mapping[str, Any],
        prefix: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
    ) -> None:
        """Unknown keys (typos) and missing ones."""
        for key in table:
            if key not in allowed:
                self.fail(MSG_UNKNOWN_KEY, key=_quoted(prefix + key), allowed=", ".join(allowed))
        for key in required:
            if key not in table:
                self.fail(MSG_MISSING_KEY, key=prefix + key)

    def table(self, value: Any, where: str) -> dict[str, Any]:
        """A TOML table."""
        if not isinstance(value, dict):
            self.fail(MSG_NOT_TABLE, key=where, found=_found(value))
        return value

    def text(
        self, value: Any, where: str, limit: int, empty_ok: bool = False, multiline: bool = False
    ) -> str:
        """A text of at most `limit` characters, without control characters, trimmed."""
        if not isinstance(value, str):
            self.fail(MSG_NOT_TEXT, key=where, found=_found(value))
        if len(value) > limit:
            self.fail(MSG_TOO_LONG, key=where, length=str(len(value)), limit=str(limit))
        if (_CONTROL_BUT_NEWLINE if multiline else _CONTROL).search(value):
            self.fail(MSG_CONTROL, key=where)
        text = "\n".join(line.strip() for line in value.strip().splitlines())
        if not text and not empty_ok:
            self.fail(MSG_EMPTY_TEXT, key=where)
        return text

    def text_list(self, value: Any, where: str) -> tuple[str, ...]:
        """A list of non-empty texts."""
        if not isinstance(value, list):
            self.fail(MSG_NOT_LIST, key=where, found=_found(value))
        if len(value) > MAX_LIST:
            self.fail(MSG_LIST_TOO_LONG, key=where, count=str(len(value)), limit=str(MAX_LIST))
        return tuple(
            self.text(item, f"{where}[{index}]", MAX_TEXT) for index, item in enumerate(value)
        )

    def choice(self, value: Any, where: str, choices: tuple[str, ...]) -> str:
        """One of a closed set of texts."""
        if not isinstance(value, str):
            self.fail(MSG_NOT_TEXT, key=where, found=_found(value))
        if value not in choices:
            shown = ", ".join(f"“{c}”" for c in choices)
            self.fail(MSG_CHOICE, key=where, choices=shown, value=_quoted(value))
        return value
