"""Packaging: the folder to publish becomes a deterministic zip, or a ready zip is checked.

Deterministic means the same files give the same bytes on any machine: entries sorted
by name, one fixed timestamp, modes reduced to 0644/0755, no extra fields. The zip is
streamed to disk and its MD5 (FunctionGraph's `etag`) computed on the way.
"""

import hashlib
import os
import re
import stat
import struct
import tempfile
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO

import deflate

from .errors import ActionError, InputError

MAX_FILES = 30_000
INLINE_LIMIT = 40 * 1024 * 1024
VCS_DIRECTORIES = frozenset({".git", ".hg", ".svn"})

_DOS_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)
_DOS_END = datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)
_ZIP32_LIMIT = 0xFFFFFFFF
# Files up to this size are read whole and deflated by libdeflate (in `deflate`, pinned, so
# the bytes are too); larger ones are streamed through zlib and a spool, in bounded memory.
_WHOLE_FILE = 32 * 1024 * 1024
# libdeflate's level 5: zips still smaller than Info-ZIP's (zlib's default level 6) on real
# trees, 9-17 % less CPU than its level 6, about a third of zlib's 6 (bench/README.md).
# Changing it changes every package's bytes, so its MD5, once: say so in the CHANGELOG.
_LEVEL = 5
_CHUNK = 1024 * 1024
# Small files go to the thread pool in batches, so that a task is worth its overhead.
_BATCH_BYTES = 1024 * 1024
_BATCH_FILES = 64
# How far the compressing threads may run ahead of the writer: file bytes and batches.
_AHEAD_BYTES = 64 * 1024 * 1024
_AHEAD_BATCHES = 256
# Files from this size on are compressed first (see _in_order).
_EARLY = 2 * 1024 * 1024
_STORED, _DEFLATED = 0, 8  # zipfile's ZIP_STORED and ZIP_DEFLATED; zipfile loads lazily
_VERSION = 20  # 2.0: deflate, no zip64
_MADE_BY = (3 << 8) | _VERSION  # 3 = Unix, so unzip applies the modes
_UTF8_FLAG = 0x0800
_DRIVE = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True)
class FileEntry:
    """One file to store: its name in the zip and the real file to read."""

    name: str
    source: str  # the real path: a string, as building 30,000 Path objects costs more
    size: int
    executable: bool


@dataclass(frozen=True)
class Package:
    path: Path
    md5: str
    size: int
    file_count: int
    content_size: int
    ready_made: bool
    largest: tuple[tuple[str, int], ...] = ()
    names: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------- collecting


def locate_source(workspace: Path, path: str) -> Path:
    """The real path of `path` (relative to the workspace), which must stay inside it."""
    real_workspace = workspace.resolve()
    candidate = real_workspace / path
    try:
        real = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise InputError(
            "path", f"'{path}' does not exist in the workspace ({real_workspace})"
        ) from None
    except (OSError, RuntimeError) as err:
        raise InputError("path", f"'{path}' cannot be resolved ({err})") from None
    if not real.is_relative_to(real_workspace):
        raise InputError(
            "path",
            f"'{path}' leads outside the workspace; give a folder or .zip inside "
            "$GITHUB_WORKSPACE (for example 'build/deps')",
        )
    if real.is_dir():
        return real
    if real.is_file() and real.suffix.lower() == ".zip":
        return real
    raise InputError("path", f"'{path}' must be a folder, or a ready .zip file")


def collect(root: Path, exclude: Sequence[str], prefix: str) -> tuple[list[FileEntry], list[str]]:
    """Every file under `root` to package, sorted by zip name, and warnings about what was
    skipped. Symlinks are followed only to targets inside `root`."""
    excluded = None  # with no patterns nothing can match: spare a call for each file
    if exclude:
        import pathspec  # only with 'exclude': a run without it starts 20 ms sooner

        excluded = pathspec.GitIgnoreSpec.from_lines(exclude).match_file
    entries: list[FileEntry] = []
    skipped: list[str] = []
    stem = f"{prefix}/" if prefix else ""
    top = str(root)

    def walk(directory: str, relative: str, ancestors: frozenset[str]) -> None:
        with os.scandir(directory) as listing:
            children = sorted(listing, key=lambda e: e.name)
        for child in children:
            rel = f"{relative}{child.name}"
            if not rel.isascii():
                _check_name(rel)
            if child.is_symlink():  # known from the listing, no system call
                real, info = _follow(top, child.path, rel)
            else:  # one lstat, cached by the DirEntry
                real, info = child.path, child.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                if child.name in VCS_DIRECTORIES or (excluded and excluded(rel + "/")):
                    continue
                if real in ancestors:
                    raise ActionError(f"'{rel}' is a symlink that loops back to '{real}'")
                walk(real, rel + "/", ancestors | {real})
            elif excluded and excluded(rel):
                continue
            elif stat.S_ISREG(info.st_mode):
                executable = bool(info.st_mode & 0o111)
                entries.append(FileEntry(stem + rel, real, info.st_size, executable))
            else:
                skipped.append(f"'{rel}' is not a regular file (a FIFO, socket or device): skipped")

    walk(top, "", frozenset({top}))
    entries.sort(key=lambda e: e.name.encode())
    return entries, skipped


def _check_name(rel: str) -> None:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise ActionError(
            f"'{shown}' has a name that is not UTF-8; rename it or leave it out with 'exclude'"
        ) from None


def _follow(root: str, path: str, rel: str) -> tuple[str, os.stat_result]:
    """The real path of the symlink `path` and what it points to, which must be in `root`."""
    try:
        real = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        raise ActionError(
            f"'{rel}' is a symlink to '{Path(path).readlink()}', which does not exist"
        ) from None
    except OSError:
        raise ActionError(f"'{rel}' is a symlink that loops") from None
    if not Path(real).is_relative_to(root):
        raise ActionError(
            f"'{rel}' is a symlink to '{Path(path).readlink()}', outside the folder being "
            "packaged; copy the target in, or leave the link out with 'exclude'"
        )
    return real, Path(real).stat()


def check_files(names: Sequence[str], path_input: str) -> None:
    """FunctionGraph's rules for the files in a package."""
    if not names:
        raise InputError(
            "path",
            f"'{path_input}' holds no files to package (after 'exclude' and the VCS folders)",
        )
    if len(names) > MAX_FILES:
        raise ActionError(
            f"The package has {len(names):,} files; FunctionGraph accepts at most {MAX_FILES:,}. "
            "Leave some out with 'exclude' (tests, docs, source maps)."
        )
    tilde = [n for n in names if n.endswith("~")]
    if tilde:
        shown = ", ".join(f"'{n}'" for n in tilde[:5])
        raise ActionError(
            f"FunctionGraph refuses file names ending in '~' ({len(tilde)} found: {shown}); "
            "add '*~' to 'exclude'"
        )


# ---------------------------------------------------------------------------- writing


def dos_timestamp(source_date_epoch: int | None) -> tuple[int, int]:
    """(time, date) in MS-DOS form, in UTC so that the time zone cannot change the bytes."""
    moment = _DOS_EPOCH
    if source_date_epoch is not None:
        moment = datetime.fromtimestamp(source_date_epoch, UTC)
        moment = min(max(moment, _DOS_EPOCH), _DOS_END)
    dos_time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    dos_date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return dos_time, dos_date


@dataclass(frozen=True)
class _Compressed:
    method: int
    crc: int
    size: int
    data: bytes | bytearray | None  # None: large entry, its bytes are in `spool`
    spool: IO[bytes] | None
    compressed_size: int


def _compress_batch(batch: Sequence[FileEntry]) -> list[_Compressed]:
    return [_compress(entry) for entry in batch]


def _unreadable(entry: FileEntry, err: OSError) -> ActionError:
    return ActionError(
        f"'{entry.name}' cannot be read ({err.strerror or err.__class__.__name__}); fix its "
        "permissions, or leave it out with 'exclude'"
    )


def _compress(entry: FileEntry) -> _Compressed:
    """Deflate one file, or keep it stored when deflate would not make it smaller."""
    try:
        if entry.size > _WHOLE_FILE:
            return _compress_streamed(entry)
        raw = _read_whole(entry)
    except OSError as err:
        raise _unreadable(entry, err) from None
    crc = deflate.crc32(raw)
    packed = deflate.deflate_compress(raw, _LEVEL)  # releases the GIL
    if len(packed) < len(raw):
        return _Compressed(_DEFLATED, crc, len(raw), packed, None, len(packed))
    return _Compressed(_STORED, crc, len(raw), raw, None, len(raw))


def _open(entry: FileEntry) -> int:
    # Never through a link that replaced the file since it was listed (it could lead out of
    # the folder), and never blocked by a FIFO put in its place.
    return os.open(entry.source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)


def _read_whole(entry: FileEntry) -> bytes:
    fd = _open(entry)
    try:
        # One byte more than expected shows a file that grew, without another system call.
        data = os.read(fd, entry.size + 1)
        if len(data) != entry.size:  # changed size (or a short read): read to the end
            parts = [data]
            while part := os.read(fd, _CHUNK):
                parts.append(part)
            data = b"".join(parts)
    finally:
        os.close(fd)
    _check_unchanged(entry, len(data))
    return data


def _compress_streamed(entry: FileEntry) -> _Compressed:
    spool = tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK)  # noqa: SIM115 -- closed by the writer
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = size = 0
    with os.fdopen(_open(entry), "rb") as source:
        while chunk := source.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            spool.write(deflater.compress(chunk))
    spool.write(deflater.flush())
    _check_unchanged(entry, size)
    packed_size = spool.tell()
    if packed_size < size:
        spool.seek(0)
        return _Compressed(_DEFLATED, crc, size, None, spool, packed_size)
    spool.close()
    return _Compressed(_STORED, crc, size, None, None, size)


def _check_unchanged(entry: FileEntry, size: int) -> None:
    if size != entry.size:
        raise ActionError(
            f"'{entry.name}' changed size while it was being packaged ({entry.size} -> {size} "
            "bytes); run this step after whatever writes into the folder has finished"
        )
    if size > _ZIP32_LIMIT:
        raise ActionError(f"'{entry.name}' is larger than 4 GiB, far over FunctionGraph's limits")


class _HashingWriter:
    """Counts and hashes what is written, so the zip's MD5 needs no second read. Small
    pieces (headers, small entries) are gathered into blocks: one write and one hash
    update per block instead of two each per entry."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self._block = bytearray()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.offset = 0

    def write(self, data: bytes | bytearray) -> None:
        self.offset += len(data)
        if len(data) < _CHUNK:
            self._block += data
            if len(self._block) < _CHUNK:
                return
            data = self._block
        else:
            self.flush()
        self._target.write(data)
        self.md5.update(data)  # releases the GIL for large data
        if data is self._block:
            self._block = bytearray()

    def flush(self) -> None:
        if self._block:
            self._target.write(self._block)
            self.md5.update(self._block)
            self._block = bytearray()


def _batches(entries: Iterable[FileEntry]) -> Iterator[list[FileEntry]]:
    """Consecutive entries in groups of about _BATCH_BYTES (a large file alone)."""
    batch: list[FileEntry] = []
    size = 0
    for entry in entries:
        if batch and (size + entry.size > _BATCH_BYTES or len(batch) >= _BATCH_FILES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry.size
    if batch:
        yield batch


def _workers() -> int:
    # The CPUs this process may run on: a container's limit, not the host's count.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2


def _in_order(
    work: Callable[[list[FileEntry]], list[_Compressed]], entries: Iterable[FileEntry]
) -> Iterator[tuple[FileEntry, _Compressed]]:
    """Run `work` on batches of entries on every core (libdeflate and zlib release the GIL)
    but yield the results in input order, with at most _AHEAD_BYTES of files (or one larger
    file) and _AHEAD_BATCHES batches in flight, so that memory stays bounded.

    The largest files (up to half the budget) start first, wherever they fall in the
    order: one of them met late would keep a core busy alone at the end."""
    batches = list(_batches(entries))
    sizes = [sum(e.size for e in batch) for batch in batches]
    early: list[int] = []
    room = _AHEAD_BYTES // 2
    for i in sorted(range(len(batches)), key=lambda i: -sizes[i]):
        if sizes[i] < _EARLY:
            break
        if sizes[i] <= room:
            early.append(i)
            room -= sizes[i]
    chosen = set(early)
    to_submit = deque([*early, *(i for i in range(len(batches)) if i not in chosen)])
    futures: dict[int, Future[list[_Compressed]]] = {}
    in_flight = 0
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        try:
            for i, batch in enumerate(batches):
                # Submit ahead within the budget, and in any case until batch i is.
                while to_submit and (
                    i not in futures
                    or (
                        in_flight + sizes[to_submit[0]] <= _AHEAD_BYTES
                        and len(futures) < _AHEAD_BATCHES
                    )
                ):
                    j = to_submit.popleft()
                    futures[j] = pool.submit(work, batches[j])
                    in_flight += sizes[j]
                results = futures.pop(i).result()
                in_flight -= sizes[i]
                yield from zip(batch, results, strict=True)
        finally:
            for future in futures.values():
                future.cancel()


def write_zip(entries: Sequence[FileEntry], destination: Path, timestamp: tuple[int, int]) -> str:
    """Write the entries as a zip at `destination`; return its MD5."""
    dos_time, dos_date = timestamp
    central: list[bytes] = []
    with destination.open("wb") as target:
        out = _HashingWriter(target)
        for entry, packed in _in_order(_compress_batch, entries):
            name = entry.name.encode()
            offset = out.offset
            if offset > _ZIP32_LIMIT:
                raise ActionError("The zip would pass 4 GiB, far over FunctionGraph's limits")
            fields = (
                _VERSION, _UTF8_FLAG, packed.method, dos_time, dos_date,
                packed.crc, packed.compressed_size, packed.size, len(name), 0,
            )  # fmt: skip
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name)
            _copy_data(entry, packed, out)
            mode = 0o100755 if entry.executable else 0o100644
            # comment length, disk number and internal attributes are 0
            trailer = struct.pack("<HHHII", 0, 0, 0, mode << 16, offset)
            central.append(
                struct.pack("<IHHHHHHIIIHH", 0x02014B50, _MADE_BY, *fields) + trailer + name
            )
        directory_offset = out.offset
        out.write(b"".join(central))
        directory_size = out.offset - directory_offset
        count = len(central)
        out.write(
            struct.pack(
                "<IHHHHIIH", 0x06054B50, 0, 0, count, count, directory_size, directory_offset, 0
            )
        )
        out.flush()
    return out.md5.hexdigest()


def _copy_data(entry: FileEntry, packed: _Compressed, out: _HashingWriter) -> None:
    if packed.data is not None:
        out.write(packed.data)
    elif packed.spool is not None:
        with packed.spool:
            while chunk := packed.spool.read(_CHUNK):
                out.write(chunk)
    else:  # a large file that deflate could not shrink: store it as read
        crc = 0
        try:
            with os.fdopen(_open(entry), "rb") as source:
                while chunk := source.read(_CHUNK):
                    crc = zlib.crc32(chunk, crc)
                    out.write(chunk)
        except OSError as err:
            raise _unreadable(entry, err) from None
        if crc != packed.crc:
            raise ActionError(f"'{entry.name}' changed while it was being packaged")


def build(
    root: Path,
    *,
    exclude: Sequence[str],
    prefix: str,
    destination: Path,
    source_date_epoch: int | None,
    path_input: str,
) -> Package:
    entries, skipped = collect(root, exclude, prefix)
    names = [e.name for e in entries]
    check_files(names, path_input)
    md5 = write_zip(entries, destination, dos_timestamp(source_date_epoch))
    by_size = sorted(entries, key=lambda e: (-e.size, e.name))
    return Package(
        path=destination,
        md5=md5,
        size=destination.stat().st_size,
        file_count=len(entries),
        content_size=sum(e.size for e in entries),
        ready_made=False,
        largest=tuple((e.name, e.size) for e in by_size[:10]),
        names=tuple(names),
        warnings=tuple(skipped),
    )


# ---------------------------------------------------------------------------- ready zips


def inspect_ready_zip(path: Path, path_input: str) -> Package:
    """Check a zip the user built: it opens, and no entry could land outside the folder
    FunctionGraph unpacks it into."""
    import zipfile  # only ready zips need it: not loaded at start-up otherwise

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise InputError("path", f"'{path_input}' is not a valid zip file ({err})") from None
    for info in infos:
        parts = info.filename.replace("\\", "/").split("/")
        if info.filename.startswith(("/", "\\")) or _DRIVE.match(parts[0]) or ".." in parts:
            raise InputError(
                "path",
                f"'{path_input}' has an entry '{info.filename}' that would unpack outside its "
                "folder (absolute or '..'); rebuild the zip with relative names",
            )
    files = [i for i in infos if not i.is_dir()]
    names = [i.filename for i in files]
    if len(set(names)) != len(names):
        twice = sorted(n for n, count in Counter(names).items() if count > 1)
        raise InputError(
            "path",
            f"'{path_input}' holds the same entry name more than once ({', '.join(twice[:5])}); "
            "which one FunctionGraph unpacks is undefined: rebuild the zip",
        )
    check_files(names, path_input)
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            md5.update(chunk)
    by_size = sorted(files, key=lambda i: (-i.file_size, i.filename))
    return Package(
        path=path,
        md5=md5.hexdigest(),
        size=path.stat().st_size,
        file_count=len(files),
        content_size=sum(i.file_size for i in files),
        ready_made=True,
        largest=tuple((i.filename, i.file_size) for i in by_size[:10]),
        names=tuple(i.filename for i in files),
    )
