"""What packaging produces, and FunctionGraph's rules for the files in a package."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ActionError, InputError

MAX_FILES = 30_000
INLINE_LIMIT = 40 * 1024 * 1024
# The API gateway refuses AK/SK-signed requests with bodies over 12 MB.
SIGNED_BODY_LIMIT = 12 * 1024 * 1024
OBS_LIMIT = 300 * 1024 * 1024
# How much packaging reads or writes at a time.
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    """One file to store: its name in the zip and the real file to read."""

    name: str
    source: str  # the real path: a string, as building 30,000 Path objects costs more
    size: int
    executable: bool


@dataclass(frozen=True)
class Installed:
    """A distribution installed from 'requirements', as the summary lists it."""

    name: str
    version: str
    tag: str  # the wheel's tags, compressed as in its file name


@dataclass(frozen=True)
class Linkage:
    """One ELF file of the package and the C library it needs (elf.py reads it)."""

    name: str  # in the zip
    glibc: tuple[int, int] | None  # the highest GLIBC_x.y it needs, None when none
    musl: bool  # DT_NEEDED names musl's libc

    @property
    def glibc_shown(self) -> str:
        return f"GLIBC_{self.glibc[0]}.{self.glibc[1]}" if self.glibc else ""


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
    # With 'requirements': what was installed, and for what ("Python 3.9 on x86_64-...").
    installed: tuple[Installed, ...] = ()
    target: str = ""
    # The ELF files and the C library each needs (elf.py); not read for a ready-made zip.
    binaries: tuple[Linkage, ...] = ()

    @property
    def glibc_needed(self) -> str:
        """The highest GLIBC_x.y a file of the package needs, and which file ('' if none)."""
        needing = [b for b in self.binaries if b.glibc]
        if not needing:
            return ""
        top = max(needing, key=lambda b: (b.glibc, b.name))
        return f"{top.glibc_shown} ({top.name})"


def summarise(
    path: Path,
    md5: str,
    files: Sequence[tuple[str, int]],
    *,
    ready_made: bool,
    warnings: Sequence[str] = (),
) -> Package:
    """The package at `path`, holding `files` (name and size, in the zip's order)."""
    by_size = sorted(files, key=lambda f: (-f[1], f[0]))
    return Package(
        path=path,
        md5=md5,
        size=path.stat().st_size,
        file_count=len(files),
        content_size=sum(size for _, size in files),
        ready_made=ready_made,
        largest=tuple(by_size[:10]),
        names=tuple(name for name, _ in files),
        warnings=tuple(warnings),
    )


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


@dataclass(frozen=True)
class Target:
    python_version: str  # 3.9
    platform: str  # x86_64-manylinux2014

    def __str__(self) -> str:
        return f"Python {self.python_version} on {self.platform}"
