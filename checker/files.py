"""Reading the files a run is given (input table, rulebook, office settings): regular files of
bounded size only, read once.

A pipe or a device given as a file (`--rules /dev/zero`, `--office <(…)`) would hang the run or
grow its memory without end; it is refused with one sentence before a byte is read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from checker.i18n import N_
from checker.model import InputError

SETTINGS_MAX_BYTES = 1024 * 1024  # a rulebook or office settings file is a few KB

MSG_NO_SUCH_FILE = N_("The file {file} does not exist.")
MSG_NOT_A_FILE = N_("{file} is a folder, not a file.")
MSG_NOT_REGULAR = N_(
    "{file} is not a regular file (a pipe, device or socket); give the path of a saved file."
)
MSG_UNREADABLE = N_("The file {file} cannot be read: {reason}.")
MSG_TOO_LARGE = N_("The file {file} is larger than {limit} MB, more than such a file can hold.")


class FileError(InputError):
    """A file cannot be read: an English message id (marked with N_) and its parameters."""

    def __init__(self, msgid: str, params: Mapping[str, str]) -> None:
        super().__init__(msgid, dict(params))
        self.msgid: str = msgid
        self.params: dict[str, str] = dict(params)

    def __str__(self) -> str:
        return self.msgid.format(**self.params)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.msgid, self.params))

    def translate(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language of `gettext`."""
        return gettext(self.msgid).format(**self.params)


def read_regular_file(path: Path, max_bytes: int, name: str | None = None) -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes` of them.

    Raises FileError, naming the file (`name`, else the path's name): no such file, a folder,
    a pipe or device, unreadable, or larger than `max_bytes`. The file is opened without
    blocking and checked with fstat on the opened descriptor, so a FIFO never blocks the run
    and a file swapped after a check is still the one checked.
    """
    file = name or path.name or str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise FileError(MSG_NO_SUCH_FILE, {"file": file}) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise FileError(MSG_UNREADABLE, {"file": file, "reason": reason}) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        msgid = MSG_NOT_A_FILE if stat.S_ISDIR(mode) else MSG_NOT_REGULAR
        raise FileError(msgid, {"file": file})
    with os.fdopen(descriptor, "rb") as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as error:
            reason = error.strerror or str(error)
            raise FileError(MSG_UNREADABLE, {"file": file, "reason": reason}) from None
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g}"
        raise FileError(MSG_TOO_LARGE, {"file": file, "limit": limit})
    return data
