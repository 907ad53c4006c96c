"""The issuing office's settings (name, place, signer), read from a TOML file, never from code."""

from __future__ import annotations

import tomllib
from pathlib import Path

from checker.files import SETTINGS_MAX_BYTES, read_regular_file
from checker.model import InputError

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
