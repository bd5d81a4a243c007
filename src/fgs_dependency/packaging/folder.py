"""A folder becomes the package: walked, checked against FunctionGraph's file rules, written
as a deterministic zip."""

from collections.abc import Sequence
from pathlib import Path

from .package import Package, check_files, summarise
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
    names = [e.name for e in entries]
    check_files(names, path_input)
    md5 = write_zip(entries, destination, dos_timestamp(source_date_epoch))
    files = [(e.name, e.size) for e in entries]
    return summarise(destination, md5, files, ready_made=False, warnings=skipped)
