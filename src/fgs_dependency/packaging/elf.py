"""Which C library each ELF file in the package needs: the GLIBC_x.y versions in its
version-needs section (.gnu.version_r), and whether its DT_NEEDED entries name musl's libc.
On the function, a binary that needs a newer glibc than the runtime has fails to load with
"GLIBC_2.28 not found"; one linked against musl does not load at all.

Only the ELF header, the section headers, the version-needs and dynamic sections and the
strings they name are read (a few small reads a file, whatever its size): judged by the
file's bytes, not its name.
"""

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .package import FileEntry, Linkage

_SHT_DYNAMIC = 6
_SHT_GNU_VERNEED = 0x6FFFFFFE
_DT_NEEDED = 1
_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.\d+)?")
# musl's C library as DT_NEEDED names it: libc.musl-<arch>.so.1 (gcc on Alpine), or plain
# libc.so, musl's soname (Rust's musl targets; glibc's is libc.so.6).
_MUSL = re.compile(rb"libc\.musl-.*|libc\.so|ld-musl-.*")
# Files worth opening: shared objects, Node.js addons, and executables (ELF programs that a
# package ships, ffmpeg say); other files are not opened at all.
_CANDIDATE = re.compile(r"\.(?:so(?:\.\d+)*|node)$")
_STRING_READ = 256


@dataclass(frozen=True)
class _Section:
    kind: int
    offset: int
    size: int
    link: int
    info: int


def _string(file: BinaryIO, table: _Section, index: int) -> bytes:
    """The NUL-terminated string at `index` of the string table `table`."""
    found = b""
    position = table.offset + index
    while len(found) < 4096:
        file.seek(position + len(found))
        chunk = file.read(_STRING_READ)
        end = chunk.find(b"\0")
        if end >= 0 or not chunk:
            return found + (chunk[:end] if end >= 0 else chunk)
        found += chunk
    return found


def _sections(file: BinaryIO, head: bytes) -> tuple[list[_Section], str, bool] | None:
    wide = head[4] == 2
    order = "<" if head[5] == 1 else ">"
    if wide:
        (offset,) = struct.unpack_from(order + "Q", head, 0x28)
        size, count = struct.unpack_from(order + "HH", head, 0x3A)
        layout = order + "IIQQQQIIQQ"
    else:
        (offset,) = struct.unpack_from(order + "I", head, 0x20)
        size, count = struct.unpack_from(order + "HH", head, 0x2E)
        layout = order + "IIIIIIIIII"
    if not offset or not count or size < struct.calcsize(layout):
        return None
    file.seek(offset)
    table = file.read(size * count)
    sections = []
    for i in range(len(table) // size):
        _, kind, _, _, start, length, link, info, _, _ = struct.unpack_from(layout, table, i * size)
        sections.append(_Section(kind, start, length, link, info))
    return sections, order, wide


def read(file: BinaryIO) -> tuple[tuple[int, int] | None, bool] | None:
    """(the highest GLIBC_x.y needed, whether musl's libc is needed) of the ELF file open as
    `file`; None when it is no ELF file."""
    head = file.read(64)
    if head[:4] != b"\x7fELF" or len(head) < 52 or head[4] not in (1, 2):
        return None
    found = _sections(file, head)
    if found is None:
        return None, False
    sections, order, wide = found
    highest: tuple[int, int] | None = None
    musl = False
    for section in sections:
        if section.link >= len(sections) or section.size > 1 << 24:
            continue
        strings = sections[section.link]
        if section.kind == _SHT_DYNAMIC:
            file.seek(section.offset)
            data = file.read(section.size)
            entry = order + ("qQ" if wide else "iI")
            step = struct.calcsize(entry)
            for at in range(0, len(data) - step + 1, step):
                tag, value = struct.unpack_from(entry, data, at)
                if tag == 0:
                    break
                if tag == _DT_NEEDED and _MUSL.fullmatch(_string(file, strings, value)):
                    musl = True
        elif section.kind == _SHT_GNU_VERNEED:
            file.seek(section.offset)
            data = file.read(section.size)
            for name in _version_names(data, order, section.info):
                version = _GLIBC.fullmatch(_string(file, strings, name))
                if version:
                    needed = (int(version[1]), int(version[2]))
                    highest = max(highest, needed) if highest else needed
    return highest, musl


def _version_names(data: bytes, order: str, count: int) -> list[int]:
    """The string-table offsets of the version names in a version-needs section (Elf32 and
    Elf64 share its layout: Verneed and Vernaux entries of 16 bytes, linked by offsets)."""
    names = []
    need = 0
    for _ in range(count):
        if need + 16 > len(data):
            break
        _, aux_count, _, aux, following = struct.unpack_from(order + "HHIII", data, need)
        at = need + aux
        for _ in range(aux_count):
            if at + 16 > len(data):
                break
            _, _, _, name, step = struct.unpack_from(order + "IHHII", data, at)
            names.append(name)
            if not step:
                break
            at += step
        if not following:
            break
        need += following
    return names


def scan(entries: Iterable[FileEntry]) -> tuple[Linkage, ...]:
    """The ELF files among `entries` that need glibc versions or musl."""
    found = []
    for entry in entries:
        if not (entry.executable or _CANDIDATE.search(entry.name)):
            continue
        try:
            with Path(entry.source).open("rb") as file:
                linkage = read(file)
        except (OSError, struct.error):
            continue  # unreadable or truncated: the zip writer reports an unreadable file
        if linkage and (linkage[0] or linkage[1]):
            found.append(Linkage(entry.name, linkage[0], linkage[1]))
    return tuple(found)
