"""The two file-writing helpers every writer shares: an atomic write and a zip-time pinner.

One home for each (they used to be written twice, with different guarantees).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

TEMP_SUFFIX = ".part"
COPY_BLOCK = 1 << 20  # bytes of a zip entry in memory at a time

# openpyxl stamps the time of saving into docProps/core.xml whatever the workbook says.
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")
_ZIP_EPOCH = 1980  # a zip entry cannot be dated earlier
ZIP_LAST_YEAR = 2107  # nor later
# A new file, never an existing one or a symbolic link planted under the temporary name.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def write_atomic(path: Path, data: bytes) -> str:
    """Write bytes to `path` atomically; returns their sha256 (see write_atomic_parts)."""
    return write_atomic_parts(path, (data,))


def write_atomic_parts(path: Path, parts: Iterable[bytes]) -> str:
    """Write the concatenated parts to `path` atomically, one part in memory at a time (a
    table streamed as it is made); returns the sha256 of the whole.

    The bytes go to a uniquely named temporary file beside `path`, are flushed to disk, then
    renamed over `path`: a reader sees the old file or the new one, never half of one. The
    temporary file is removed if anything fails (a full disk, an interrupt).
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    # Not tempfile.mkstemp: its files are private (0600); an output gets the usual permissions
    # (0666 less the umask), like any file the user makes.
    handle = os.open(temporary, _NEW_FILE, 0o666)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as stream:
            for part in parts:
                stream.write(part)
                digest.update(part)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def pinned_zip(data: bytes, moment: dt.datetime) -> bytes:
    """A zip (XLSX) rewritten with every entry, and its document properties, dated `moment`:
    the same content on the same day gives byte-identical files."""
    year = min(max(moment.year, _ZIP_EPOCH), ZIP_LAST_YEAR)
    stamp = (year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            if info.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(rb"\g<1>" + iso + rb"\g<2>", source.read(info))
                target.writestr(entry, content)
                continue
            # Copied in blocks: a province's results sheet is tens of MB uncompressed.
            entry.file_size = info.file_size  # as writestr would set it: the same bytes
            with source.open(info) as reader, target.open(entry, "w") as writer:
                shutil.copyfileobj(reader, writer, COPY_BLOCK)
    return output.getvalue()
