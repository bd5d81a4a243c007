"""Finding what to package: the folder (or zip) 'path' names, and the files under it, with
symlinks followed only inside it and the VCS folders left out."""

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from ..errors import ActionError, InputError
from .package import FileEntry

VCS_DIRECTORIES = frozenset({".git", ".hg", ".svn"})


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
