"""Compressing one file for the zip: small files read whole and deflated by libdeflate,
large ones streamed through zlib into a spool, each kept stored when deflate would not
make it smaller. A file that changes while it is read is caught."""

import os
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

import deflate

from ..errors import ActionError
from .package import CHUNK as _CHUNK
from .package import FileEntry

_ZIP32_LIMIT = 0xFFFFFFFF
# Files up to this size are read whole and deflated by libdeflate (in `deflate`, pinned, so
# the bytes are too); larger ones are streamed through zlib and a spool, in bounded memory.
_WHOLE_FILE = 32 * 1024 * 1024
# libdeflate's level 5: zips still smaller than Info-ZIP's (zlib's default level 6) on real
# trees, 9-17 % less CPU than its level 6, about a third of zlib's 6 (bench/README.md).
# Changing it changes every package's bytes, so its MD5, once: say so in the CHANGELOG.
_LEVEL = 5
STORED, DEFLATED = 0, 8  # zipfile's ZIP_STORED and ZIP_DEFLATED; zipfile loads lazily


@dataclass(frozen=True)
class Compressed:
    method: int
    crc: int
    size: int
    data: bytes | bytearray | None  # None: large entry, its bytes are in `spool`
    spool: IO[bytes] | None
    compressed_size: int


def compress_batch(batch: Sequence[FileEntry]) -> list[Compressed]:
    return [_compress(entry) for entry in batch]


def unreadable(entry: FileEntry, err: OSError) -> ActionError:
    return ActionError(
        f"'{entry.name}' cannot be read ({err.strerror or err.__class__.__name__}); fix its "
        "permissions, or leave it out with 'exclude'"
    )


def _compress(entry: FileEntry) -> Compressed:
    """Deflate one file, or keep it stored when deflate would not make it smaller."""
    try:
        if entry.size > _WHOLE_FILE:
            return _compress_streamed(entry)
        raw = _read_whole(entry)
    except OSError as err:
        raise unreadable(entry, err) from None
    crc = deflate.crc32(raw)
    packed = deflate.deflate_compress(raw, _LEVEL)  # releases the GIL
    if len(packed) < len(raw):
        return Compressed(DEFLATED, crc, len(raw), packed, None, len(packed))
    return Compressed(STORED, crc, len(raw), raw, None, len(raw))


def open_file(entry: FileEntry) -> int:
    # Never through a link that replaced the file since it was listed (it could lead out of
    # the folder), and never blocked by a FIFO put in its place.
    return os.open(entry.source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)


def _read_whole(entry: FileEntry) -> bytes:
    fd = open_file(entry)
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


def _compress_streamed(entry: FileEntry) -> Compressed:
    spool = tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK)  # noqa: SIM115 -- closed by the writer
    deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = size = 0
    with os.fdopen(open_file(entry), "rb") as source:
        while chunk := source.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            spool.write(deflater.compress(chunk))
    spool.write(deflater.flush())
    _check_unchanged(entry, size)
    packed_size = spool.tell()
    if packed_size < size:
        spool.seek(0)
        return Compressed(DEFLATED, crc, size, None, spool, packed_size)
    spool.close()
    return Compressed(STORED, crc, size, None, None, size)


def _check_unchanged(entry: FileEntry, size: int) -> None:
    if size != entry.size:
        raise ActionError(
            f"'{entry.name}' changed size while it was being packaged ({entry.size} -> {size} "
            "bytes); run this step after whatever writes into the folder has finished"
        )
    if size > _ZIP32_LIMIT:
        raise ActionError(f"'{entry.name}' is larger than 4 GiB, far over FunctionGraph's limits")
