"""The issuing office's settings (name, place, signer), read from a TOML file, never from code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from checker.files import SETTINGS_MAX_BYTES, read_regular_file
from checker.model import InputError

# The unit whose runs a history holds when its settings name none: the sample's district office.
DEFAULT_UNIT_ID = "pgd-giong-trom"
# A unit id is a stable key shared by every run of one unit in a shared history database.
_UNIT_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

OFFICE_KEYS = ("parent_authority", "name", "place", "signer_title", "signer_name", "plan")


class OfficeSettingsError(InputError):
    """The office settings file is missing, unreadable or incomplete."""


def load_office(path: Path, lang: str) -> dict[str, str]:
    """The office's texts in `lang`, falling back to the Vietnamese ones key by key."""
    data = read_regular_file(path, SETTINGS_MAX_BYTES)
    try:
        settings = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise OfficeSettingsError(
            f"{path.name}: office settings are not valid TOML ({error})."
        ) from None
    base = settings.get("vi", {})
    missing = [key for key in OFFICE_KEYS if not isinstance(base.get(key), str)]
    if missing:
        raise OfficeSettingsError(f"{path.name}: section [vi] lacks {', '.join(missing)}.")
    chosen = {**base, **settings.get(lang, {})} if lang != "vi" else base
    return {key: str(chosen[key]) for key in OFFICE_KEYS}


def load_unit_id(path: Path) -> str:
    """The issuing unit's id: the settings' top-level `unit_id` (e.g. "pgd-giong-trom"), or
    DEFAULT_UNIT_ID when the file names none. Lowercase letters, digits, '.', '_', '-'."""
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return DEFAULT_UNIT_ID  # load_office, run first, says what is wrong with the file
    unit_id = settings.get("unit_id", DEFAULT_UNIT_ID)
    if not isinstance(unit_id, str) or _UNIT_ID.fullmatch(unit_id) is None:
        raise OfficeSettingsError(
            f"{path.name}: unit_id must be a short id of lowercase letters, digits, '.', '_' "
            f"or '-', such as \"{DEFAULT_UNIT_ID}\" (found {unit_id!r})."
        )
    return unit_id
