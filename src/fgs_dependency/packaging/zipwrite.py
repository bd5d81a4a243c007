"""Writing the zip: entries compressed on every core but written in order, with one fixed
timestamp and reduced modes, so that the same files give the same bytes anywhere. The
zip's MD5 (FunctionGraph's `etag`) is computed on the way."""

import hashlib
import os
import struct
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..errors import ActionError
from .compress import Compressed, compress_batch, open_file, unreadable
from .package import CHUNK as _CHUNK
from .package import FileEntry

_DOS_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)
_DOS_END = datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)
_ZIP32_LIMIT = 0xFFFFFFFF
# Small files go to the thread pool in batches, so that a task is worth its overhead.
_BATCH_BYTES = 1024 * 1024
_BATCH_FILES = 64
# How far the compressing threads may run ahead of the writer: file bytes and batches.
_AHEAD_BYTES = 64 * 1024 * 1024
_AHEAD_BATCHES = 256
# Files from this size on are compressed first (see _in_order).
_EARLY = 2 * 1024 * 1024
_VERSION = 20  # 2.0: deflate, no zip64
_MADE_BY = (3 << 8) | _VERSION  # 3 = Unix, so unzip applies the modes
_UTF8_FLAG = 0x0800


def dos_timestamp(source_date_epoch: int | None) -> tuple[int, int]:
    """(time, date) in MS-DOS form, in UTC so that the time zone cannot change the bytes."""
    moment = _DOS_EPOCH
    if source_date_epoch is not None:
        moment = datetime.fromtimestamp(source_date_epoch, UTC)
        moment = min(max(moment, _DOS_EPOCH), _DOS_END)
    dos_time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    dos_date = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return dos_time, dos_date


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
    work: Callable[[list[FileEntry]], list[Compressed]], entries: Iterable[FileEntry]
) -> Iterator[tuple[FileEntry, Compressed]]:
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
    futures: dict[int, Future[list[Compressed]]] = {}
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
        for entry, packed in _in_order(compress_batch, entries):
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


def _copy_data(entry: FileEntry, packed: Compressed, out: _HashingWriter) -> None:
    if packed.data is not None:
        out.write(packed.data)
    elif packed.spool is not None:
        with packed.spool:
            while chunk := packed.spool.read(_CHUNK):
                out.write(chunk)
    else:  # a large file that deflate could not shrink: store it as read
        crc = 0
        try:
            with os.fdopen(open_file(entry), "rb") as source:
                while chunk := source.read(_CHUNK):
                    crc = zlib.crc32(chunk, crc)
                    out.write(chunk)
        except OSError as err:
            raise unreadable(entry, err) from None
        if crc != packed.crc:
            raise ActionError(f"'{entry.name}' changed while it was being packaged")
