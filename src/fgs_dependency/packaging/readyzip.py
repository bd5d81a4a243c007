"""A zip the user built: it must open, hold no entry that could land outside the folder
FunctionGraph unpacks it into, and follow FunctionGraph's rules for files."""

import hashlib
import re
from collections import Counter
from pathlib import Path

from ..errors import InputError
from .package import CHUNK, Package, check_files, summarise

_DRIVE = re.compile(r"[A-Za-z]:")


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
        while chunk := source.read(CHUNK):
            md5.update(chunk)
    sizes = [(i.filename, i.file_size) for i in files]
    return summarise(path, md5.hexdigest(), sizes, ready_made=True)
