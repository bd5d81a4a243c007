"""Packaging: the folder to publish becomes a deterministic zip, or a ready zip is checked.

Deterministic means the same files give the same bytes on any machine: entries sorted
by name, one fixed timestamp, modes reduced to 0644/0755, no extra fields. The zip is
streamed to disk and its MD5 (FunctionGraph's `etag`) computed on the way.
"""

from collections.abc import Sequence
from pathlib import Path

from .package import MAX_FILES, Package, check_files, summarise
from .readyzip import inspect_ready_zip
from .tree import collect, locate_source
from .zipwrite import dos_timestamp, write_zip

__all__ = [
    "MAX_FILES",
    "Package",
    "build",
    "collect",
    "dos_timestamp",
    "inspect_ready_zip",
    "locate_source",
    "write_zip",
]


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
