"""A folder becomes the package: walked, checked against FunctionGraph's file rules, written
as a deterministic zip."""

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .elf import scan
from .package import FileEntry, Package, check_files, summarise
from .tree import collect
from .zipwrite import dos_timestamp, write_zip


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
    return write(entries, skipped, destination, source_date_epoch, path_input)


def write(
    entries: Sequence[FileEntry],
    skipped: Sequence[str],
    destination: Path,
    source_date_epoch: int | None,
    shown: str,
) -> Package:
    """The collected files, checked against FunctionGraph's rules (`shown`: the input the
    files came from, for the messages) and written as the package."""
    check_files([e.name for e in entries], shown)
    md5 = write_zip(entries, destination, dos_timestamp(source_date_epoch))
    files = [(e.name, e.size) for e in entries]
    built = summarise(destination, md5, files, ready_made=False, warnings=skipped)
    return replace(built, binaries=scan(entries))
