"""The output folder (`--out`): a run touches only its own files there.

A run claims the folder before it writes anything:

- it takes a lock (`.checker.lock`, holding its pid; an flock, so the kernel releases it when
  the run dies, however it dies): a second run into the same folder is refused with a sentence
  naming the first one's pid instead of racing it;
- it refuses a folder holding anything it did not write: files other than a previous run's
  outputs (recognised by that run's manifest.json and their sha256), symbolic links (it never
  follows one out of the folder), and a history database (`--db`) inside the folder;
- it writes every output into its own staging folder, `.checker-run-<pid>`, inside the output
  folder (same file system: moving a file out of it is an atomic rename), and only when all of
  them are written moves them into place, the manifest last; a previous run's outputs that
  this run did not write again (a school gone from the table) are removed then.

An interrupted run leaves the previous outputs (or none) and its staging folder; the next run,
taking over the lock of the dead one, removes that staging folder. The lock file is removed
when a run ends.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from checker.i18n import N_
from checker.model import InputError
from checker.outfiles import write_atomic_parts

LOCK_NAME = ".checker.lock"
STAGING_PREFIX = ".checker-run-"
MANIFEST_NAME = "manifest.json"
SCORECARDS = "scorecards"
DATA_QUALITY = "data-quality"  # one workbook per school with data problems
# The subfolders a run writes files into (one level deep; nothing else is a folder of ours).
OUTPUT_FOLDERS = (SCORECARDS, DATA_QUALITY)
# Files the operating system drops into any folder a user browses: never ours, never touched.
OS_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
LISTED_AT_MOST = 3

MSG_DB_INSIDE = N_(
    "The history database {db} is inside the output folder {out}: keep it outside that folder."
)
MSG_UNUSABLE = N_("The output folder {out} cannot be used: {reason}.")
MSG_BUSY = N_(
    "The output folder {out} is in use by another checker run (process {pid}): "
    "wait for it to finish or choose another folder."
)
MSG_FOREIGN = N_(
    "The output folder {out} holds files checker did not write ({files}): "
    "choose an empty folder or move them away."
)
MSG_LINK = N_(
    "The output folder {out} holds a symbolic link ({files}): checker writes only into real "
    "folders; remove the link or choose another folder."
)
MSG_WRITE_FAILED = N_("Writing the outputs in {out} failed: {reason}.")


class _Message:
    """An English message id (marked with N_) and its parameters; the CLI translates it."""

    msgid: str
    params: dict[str, str]

    def _set(self, msgid: str, params: Mapping[str, object]) -> None:
        self.msgid = msgid
        self.params = {key: str(value) for key, value in params.items()}

    def __str__(self) -> str:
        return self.msgid.format(**self.params)


class OutputRefused(_Message, InputError):
    """The output folder cannot be used: exit 2, nothing written."""

    def __init__(self, msgid: str, **params: object) -> None:
        self._set(msgid, params)
        super().__init__(str(self))


class OutputFailed(_Message, Exception):
    """Writing the outputs failed mid-run (a full disk, a folder made read-only): exit 1."""

    def __init__(self, msgid: str, **params: object) -> None:
        self._set(msgid, params)
        super().__init__(str(self))


def reason_of(error: OSError) -> str:
    """An OS error in a few words ('No space left on device')."""
    return error.strerror or type(error).__name__


def check_db_outside(out_dir: Path, db_file: Path | None) -> None:
    """Refuse a history database file inside the output folder (the run would overwrite it,
    or a later run would see it as a file it did not write)."""
    if db_file is None:
        return
    out, db = out_dir.resolve(), db_file.resolve()
    if db == out or out in db.parents:
        raise OutputRefused(MSG_DB_INSIDE, db=db_file, out=out_dir)


def safe_relative(name: object) -> str | None:
    """`name` if it is a relative path that stays inside the folder (as in a manifest)."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        return None
    return name


def manifest_outputs(path: Path) -> dict[str, str] | None:
    """The outputs (relative path -> sha256) a checker manifest lists; None if the file is
    not one (missing, unreadable, or not the shape checker writes)."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict) or "run_id" not in data or "checker_version" not in data:
        return None
    known = {}
    for name, digest in outputs.items():
        relative = safe_relative(name)
        if relative is None or not isinstance(digest, str):
            return None
        known[relative] = digest
    return known


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Survey:
    """What an output folder holds: checker's own files, and anything else."""

    ours: set[str] = field(default_factory=set)  # relative paths of previous outputs
    foreign: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    staging: list[Path] = field(default_factory=list)  # dead runs' staging folders


def survey(out_dir: Path, known: Mapping[str, set[str]]) -> Survey:
    """Sort the folder's entries: previous outputs (named by a manifest, with the same
    sha256), dead runs' staging folders, symbolic links, and files checker did not write."""
    found = Survey()
    for entry in sorted(out_dir.iterdir()):
        name = entry.name
        if entry.is_symlink():
            found.links.append(name)
        elif name in OS_LITTER or name == LOCK_NAME:
            continue
        elif name.startswith(STAGING_PREFIX) and name[len(STAGING_PREFIX) :].isdigit():
            if entry.is_dir():
                found.staging.append(entry)
            else:
                found.foreign.append(name)
        elif name == MANIFEST_NAME and manifest_outputs(entry) is not None:
            found.ours.add(name)
        elif name in OUTPUT_FOLDERS and entry.is_dir():
            for inner in sorted(entry.iterdir()):
                if inner.name not in OS_LITTER or inner.is_symlink():
                    _sort_file(inner, f"{name}/{inner.name}", known, found)
        else:
            _sort_file(entry, name, known, found)
    return found


def _sort_file(path: Path, relative: str, known: Mapping[str, set[str]], found: Survey) -> None:
    """One file: a link, one of checker's previous outputs, or a foreign file."""
    if path.is_symlink():
        found.links.append(relative)
    elif path.is_file() and relative in known and file_sha256(path) in known[relative]:
        found.ours.add(relative)
    else:
        found.foreign.append(relative)


def listed(names: list[str]) -> str:
    """A few names for a sentence: 'a, b, c and 4 more'."""
    shown = ", ".join(names[:LISTED_AT_MOST])
    rest = len(names) - LISTED_AT_MOST
    return f"{shown} (+{rest})" if rest > 0 else shown


def _lock(out_dir: Path) -> int:
    """Open and flock the folder's lock file. Refuses with the holder's pid when another run
    has it."""
    path = out_dir / LOCK_NAME
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise OutputRefused(MSG_LINK, out=out_dir, files=LOCK_NAME) from None
            raise OutputRefused(MSG_UNUSABLE, out=out_dir, reason=reason_of(error)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutputRefused(MSG_BUSY, out=out_dir, pid=holder) from None
        # The run that held it may have removed the file between our open and our lock: then
        # we hold a lock on a file nobody else will see; start again with the path's file.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            try:
                os.ftruncate(fd, 0)  # a dead run's pid may be there
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except OSError as error:
                _unlock(out_dir, fd)
                raise OutputRefused(MSG_UNUSABLE, out=out_dir, reason=reason_of(error)) from None
            return fd
        os.close(fd)


def _unlock(out_dir: Path, fd: int) -> None:
    """Remove the lock file, then release the lock (in that order: see _lock)."""
    with contextlib.suppress(OSError):
        os.unlink(out_dir / LOCK_NAME)
    os.close(fd)


@dataclass
class Staging:
    """A run's private staging folder inside the output folder, and what it wrote there."""

    out_dir: Path
    folder: Path
    previous: set[str]  # a previous run's outputs now in the output folder
    written: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

    def failed(self, error: OSError) -> OutputFailed:
        """The sentence for an I/O error while writing the outputs."""
        return OutputFailed(MSG_WRITE_FAILED, out=self.out_dir, reason=reason_of(error))

    def write(self, relative: str, data: bytes) -> str:
        """Write one output into the staging folder; returns its sha256."""
        return self.write_parts(relative, (data,))

    def write_parts(self, relative: str, parts: Iterable[bytes]) -> str:
        """Write one output made of parts (streamed: one part in memory at a time) into the
        staging folder; returns its sha256."""
        if safe_relative(relative) is None:
            raise ValueError(f"{relative!r} is not a path inside the output folder")
        target = self.folder / relative
        try:
            target.parent.mkdir(exist_ok=True)
            digest = write_atomic_parts(target, parts)
        except OSError as error:
            raise OutputFailed(
                MSG_WRITE_FAILED, out=self.out_dir, reason=reason_of(error)
            ) from None
        self.written[relative] = digest
        return digest

    def commit(self) -> None:
        """Move every staged output into the output folder (the manifest last), then remove
        the previous run's outputs this run did not write again."""
        names = sorted(self.written, key=lambda name: (name == MANIFEST_NAME, name))
        folders = [self.out_dir / SCORECARDS] + [
            self.out_dir / name
            for name in OUTPUT_FOLDERS[1:]
            if any(written.startswith(name + "/") for written in names)
        ]
        try:
            for folder in folders:
                folder.mkdir(exist_ok=True)
            for name in names:
                os.replace(self.folder / name, self.out_dir / name)
            for name in sorted(self.previous - set(self.written)):
                (self.out_dir / name).unlink(missing_ok=True)
            for name in OUTPUT_FOLDERS[1:]:  # emptied by this run (its schools fixed their data)
                with contextlib.suppress(OSError):
                    (self.out_dir / name).rmdir()
            for folder in [*folders, self.out_dir]:
                _sync_folder(folder)
        except OSError as error:
            raise OutputFailed(
                MSG_WRITE_FAILED, out=self.out_dir, reason=reason_of(error)
            ) from None


def _sync_folder(folder: Path) -> None:
    """fsync a folder, so the renames into it survive a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prepare_folder(out_dir: Path) -> bool:
    """Create the output folder if needed; returns True if this call created it."""
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        existed = out_dir.is_dir()
        out_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as error:
        raise OutputRefused(MSG_UNUSABLE, out=out_dir, reason=reason_of(error)) from None
    return not existed


def _dead_runs_outputs(staging: list[Path]) -> dict[str, str]:
    """The outputs a dead run was about to move into place (its staged manifest): if it died
    while moving them, those already moved are checker's too."""
    outputs: dict[str, str] = {}
    for folder in staging:
        outputs.update(manifest_outputs(folder / MANIFEST_NAME) or {})
    return outputs


def _staging_leftovers(out_dir: Path) -> list[Path]:
    """Staging folders in `out_dir` (real folders named .checker-run-<pid>)."""
    return [
        entry
        for entry in sorted(out_dir.glob(f"{STAGING_PREFIX}*"))
        if entry.name[len(STAGING_PREFIX) :].isdigit() and entry.is_dir() and not entry.is_symlink()
    ]


def _claim(out_dir: Path) -> Staging:
    """With the lock held: check the folder's contents, clear dead runs' staging folders and
    make this run's. Raises OutputRefused when the folder holds what checker did not write."""
    leftovers = _staging_leftovers(out_dir)
    known: dict[str, set[str]] = {}
    for source in (
        manifest_outputs(out_dir / MANIFEST_NAME) or {},
        _dead_runs_outputs(leftovers),
    ):
        for name, digest in source.items():
            known.setdefault(name, set()).add(digest)
    found = survey(out_dir, known)
    if found.links:
        raise OutputRefused(MSG_LINK, out=out_dir, files=listed(found.links))
    if found.foreign:
        raise OutputRefused(MSG_FOREIGN, out=out_dir, files=listed(found.foreign))
    for dead in found.staging:  # we hold the lock: whoever made these has died
        shutil.rmtree(dead)
    folder = out_dir / f"{STAGING_PREFIX}{os.getpid()}"
    folder.mkdir()
    (folder / SCORECARDS).mkdir()
    return Staging(out_dir, folder, found.ours)


@contextlib.contextmanager
def claimed_output(out_dir: Path, db_file: Path | None = None) -> Iterator[Staging]:
    """Claim `out_dir` for one run (see the module's docstring); yields its Staging.

    Raises OutputRefused (nothing written) when the folder cannot be used. The staging folder
    and the lock are removed when the block ends, whether it ends well or not.
    """
    check_db_outside(out_dir, db_file)
    created = _prepare_folder(out_dir)
    fd = _lock(out_dir)
    staging: Staging | None = None
    try:
        try:
            staging = _claim(out_dir)
        except OSError as error:
            raise OutputRefused(MSG_UNUSABLE, out=out_dir, reason=reason_of(error)) from None
        yield staging
    finally:
        if staging is not None:
            shutil.rmtree(staging.folder, ignore_errors=True)
        _unlock(out_dir, fd)
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if the run left it empty (refused, or failed)
