"""Small ELF shared objects made on the spot, as a linker would lay out what the C-library
check reads: a 64-bit little-endian header, a .dynstr, a .dynamic with DT_NEEDED entries, a
.gnu.version_r with the versions each library is needed at, and the section headers
(`readelf -S -V` reads them as it reads a real library)."""

import struct
from collections.abc import Mapping, Sequence

X86_64, AARCH64 = 0x3E, 0xB7
GLIBC = "libc.so.6"
MUSL = "libc.musl-x86_64.so.1"


def _elf_hash(name: bytes) -> int:
    h = 0
    for byte in name:
        h = (h << 4) + byte
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g
    return h & 0xFFFFFFFF


def shared_object(
    needed: Sequence[str] = (GLIBC,),
    versions: Mapping[str, Sequence[str]] | None = None,
    machine: int = X86_64,
) -> bytes:
    """An ELF shared object for `machine` that needs the libraries `needed` and, from each
    library in `versions`, the symbol versions listed (e.g. {"libc.so.6": ["GLIBC_2.28"]})."""
    versions = versions or {}
    strings = b"\0"
    offsets: dict[str, int] = {}
    for name in [*needed, *versions, *(v for vs in versions.values() for v in vs)]:
        if name not in offsets:
            offsets[name] = len(strings)
            strings += name.encode() + b"\0"
    dynamic = b"".join(struct.pack("<qQ", 1, offsets[n]) for n in needed)
    dynamic += struct.pack("<qQ", 0, 0)
    verneed = b""
    files = list(versions.items())
    index = 2
    for i, (library, names) in enumerate(files):
        size = 16 + 16 * len(names)
        following = size if i + 1 < len(files) else 0
        verneed += struct.pack("<HHIII", 1, len(names), offsets[library], 16, following)
        for j, name in enumerate(names):
            step = 16 if j + 1 < len(names) else 0
            verneed += struct.pack(
                "<IHHII", _elf_hash(name.encode()), 0, index, offsets[name], step
            )
            index += 1
    section_names = b"\0.dynstr\0.dynamic\0.gnu.version_r\0.shstrtab\0"
    body = b""
    placed = []
    for data in (strings, dynamic, verneed, section_names):
        body += bytes(-len(body) % 8)
        placed.append((64 + len(body), len(data)))
        body += data
    body += bytes(-len(body) % 8)
    shoff = 64 + len(body)
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, 0, shoff, 0, 64, 56, 0, 64, 5, 4)
    (s_str, n_str), (s_dyn, n_dyn), (s_ver, n_ver), (s_names, n_names) = placed
    table = bytes(64)  # the null section
    table += struct.pack("<IIQQQQIIQQ", 1, 3, 2, s_str, s_str, n_str, 0, 0, 1, 0)
    table += struct.pack("<IIQQQQIIQQ", 9, 6, 3, s_dyn, s_dyn, n_dyn, 1, 0, 8, 16)
    table += struct.pack("<IIQQQQIIQQ", 18, 0x6FFFFFFE, 2, s_ver, s_ver, n_ver, 1, len(files), 8, 0)
    table += struct.pack("<IIQQQQIIQQ", 33, 3, 0, 0, s_names, n_names, 0, 0, 1, 0)
    return header + body + table


def glibc_object(version: str, machine: int = X86_64) -> bytes:
    """A shared object that needs glibc at `version` ('2.28') and at the x86_64 baseline."""
    return shared_object((GLIBC,), {GLIBC: ["GLIBC_2.2.5", f"GLIBC_{version}"]}, machine)


def musl_object() -> bytes:
    return shared_object((MUSL,))
