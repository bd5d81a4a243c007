"""'requirements': install a requirements file with uv for the function's Python and platform,
then package what was installed (site-packages contents at the zip root, as FunctionGraph
wants them), with the files of an explicit 'path' beside them.

uv runs as a child process: in its own process group, so that a timeout or a cancelled job
kills it and anything it started (a build backend); its output is printed afterwards, inside
a log group, with the index credentials starred out and no line able to act as a workflow
command.
"""

import re
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ActionError, InputError
from ..github import runner
from ..inputs.build_rules import url_credentials
from . import reqfile
from .folder import write
from .package import FileEntry, Installed, Package, Target
from .tree import collect, locate_source
from .uv_errors import Indexes
from .uv_run import Install, environment, run_uv

if TYPE_CHECKING:
    from ..inputs.settings import Inputs

# What uv leaves that only fits the machine that installed: its lock, the scripts in bin/
# (their shebang names this image's interpreter), byte-code. In each dist-info, RECORD lists
# those scripts and the installer's files; INSTALLER, REQUESTED, direct_url.json (a local
# path or URL of the build machine) and uv's own notes say how this machine installed it.
_INSTALLER_TOP = (".lock", "bin")
_INSTALLER_RECORDS = (
    "RECORD",
    "INSTALLER",
    "REQUESTED",
    "direct_url.json",
    "uv_build.json",
    "uv_cache.json",
)
# A platform tag only a local build gives (a wheel from an index has manylinux/musllinux):
# compiled for this image's interpreter and C library, not the function's.
_LOCAL_BUILD = re.compile(r"-linux_[a-z0-9_]+$")
# A top-level file that is a module: its import name is what is left without this.
_MODULE_FILE = re.compile(r"\.(?:py|pyc|pyd|so|[^./]*\.so|[^./]*\.pyd)$")


def package(inputs: "Inputs", scratch: Path) -> Package:
    """Install inputs.requirements and package the result (with 'path' when given)."""
    requirements = locate_requirements(inputs.workspace, inputs.requirements)
    own = None
    if inputs.path_given:
        own = locate_source(inputs.workspace, inputs.path)
        if not own.is_dir():
            raise InputError(
                "path",
                "must be a folder when 'requirements' is given: its files go beside the "
                "installed packages (a ready .zip cannot be added to)",
            )
    assert inputs.python_version is not None  # the inputs were checked: a Python runtime
    read = reqfile.read(
        inputs.workspace,
        requirements,
        environment(inputs.timeout),
        allow_source=inputs.allow_source,
    )
    install = Install(
        requirements=requirements,
        workspace=inputs.workspace.resolve(),
        target=Target(inputs.python_version, inputs.platform),
        indexes=Indexes(
            inputs.index_url.get_secret_value(),
            inputs.extra_index_urls,
            tuple((url, line.where) for url, line in read.indexes),
        ),
        allow_source=inputs.allow_source,
        require_hashes=read.hashed,
        # Under RUNNER_TEMP, which a workflow can hand to actions/cache (README: the cache).
        cache=(inputs.runner_temp or scratch) / "fgs-dependency-uv-cache",
        http_timeout=inputs.timeout,
        secrets=(
            *inputs.index_secrets,
            *(secret for url, _ in read.indexes for secret in url_credentials(url)),
        ),
    )
    for secret in install.secrets:
        runner.mask(secret)
    site = scratch / "site-packages"
    run_uv(install, site, shown=inputs.requirements)
    installed = tidy(site)
    refuse_local_builds(installed, install.target)
    entries, skipped = collect(site, inputs.exclude, inputs.prefix)
    if own is not None:
        own_entries, own_skipped = collect(own, inputs.exclude, inputs.prefix)
        check_clashes(entries, own_entries, inputs.prefix, inputs.path)
        entries = sorted([*entries, *own_entries], key=lambda e: e.name.encode())
        skipped += own_skipped
    destination = scratch / f"{inputs.name}.zip"
    built = write(entries, skipped, destination, inputs.source_date_epoch, inputs.requirements)
    return replace(built, installed=tuple(installed), target=str(install.target))


def locate_requirements(workspace: Path, given: str) -> Path:
    """The requirements file, which must be a file inside the workspace."""
    real_workspace = workspace.resolve()
    try:
        real = (real_workspace / given).resolve(strict=True)
    except (OSError, RuntimeError):
        raise InputError(
            "requirements", f"'{given}' does not exist in the workspace ({real_workspace})"
        ) from None
    if not real.is_relative_to(real_workspace):
        raise InputError("requirements", f"'{given}' leads outside the workspace")
    if not real.is_file():
        raise InputError("requirements", f"'{given}' must be a requirements file, not a folder")
    return real


def tidy(site: Path) -> list[Installed]:
    """Take out what only fits the build machine (see _INSTALLER_TOP); return what was
    installed, by name."""
    for name in _INSTALLER_TOP:
        path = site / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    for cache in sorted(site.rglob("__pycache__"), reverse=True):
        if cache.is_dir() and not cache.is_symlink():
            shutil.rmtree(cache)
    installed = []
    for info in sorted(site.glob("*.dist-info")):
        for name in _INSTALLER_RECORDS:
            (info / name).unlink(missing_ok=True)
        installed.append(_read_dist_info(info))
    return sorted(installed, key=lambda i: i.name.lower())


def _headers(path: Path) -> list[tuple[str, str]]:
    """The `Key: value` lines before the body of an email-style file (METADATA, WHEEL)."""
    found: list[tuple[str, str]] = []
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if sep and not key.startswith((" ", "\t")):
            found.append((key.strip(), value.strip()))
    return found


def _read_dist_info(info: Path) -> Installed:
    metadata = dict(_headers(info / "METADATA"))
    stem_name, _, stem_version = info.name.removesuffix(".dist-info").partition("-")
    tags = [value for key, value in _headers(info / "WHEEL") if key == "Tag"]
    return Installed(
        name=metadata.get("Name", stem_name),
        version=metadata.get("Version", stem_version),
        tag=compress_tags(tags),
    )


def compress_tags(tags: Sequence[str]) -> str:
    """WHEEL's Tag lines in the compressed form of a wheel's file name:
    cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64."""
    if not tags:
        return "-"
    parts = [tag.split("-") for tag in tags if tag.count("-") == 2]
    if not parts:
        return tags[0]
    merged = []
    for i in range(3):
        merged.append(".".join(dict.fromkeys(p[i] for p in parts)))
    return "-".join(merged)


def refuse_local_builds(installed: Sequence[Installed], target: Target) -> None:
    """A wheel built here with compiled code fits this image's Python, not the function's
    (uv refuses most; this catches any it lets through)."""
    local = [i for i in installed if _LOCAL_BUILD.search(i.tag)]
    if local:
        shown = ", ".join(f"'{i.name}' {i.version} ({i.tag})" for i in local)
        raise ActionError(
            f"{shown}: built from source into a platform-specific wheel, for this image's "
            f"Python, not for the function ({target}); it is refused even with allow-source. "
            "Publish a wheel for the target to your index (built with cibuildwheel, say), or "
            "pin a version that has one."
        )


def check_clashes(
    installed: Sequence[FileEntry], own: Sequence[FileEntry], prefix: str, path_input: str
) -> None:
    """A top-level module both the install and 'path' provide would have one shadow (or mix
    with) the other at run time: refused, named. Compared by module name, so that a six/
    folder clashes with six.py, and yaml.py with yaml/."""
    stem = len(prefix) + 1 if prefix else 0

    def modules(entries: Sequence[FileEntry]) -> dict[str, str]:
        found: dict[str, str] = {}
        for e in entries:
            top, slash, _ = e.name[stem:].partition("/")
            shown = top + "/" if slash else top
            found.setdefault(top if slash else _MODULE_FILE.sub("", top), shown)
        return found

    mine = modules(own)
    theirs = modules(installed)
    both = sorted(mine.keys() & theirs.keys())
    if both:
        shown = ", ".join(
            f"'{mine[name]}'"
            + (f" (against the installed '{theirs[name]}')" if mine[name] != theirs[name] else "")
            for name in both[:10]
        )
        raise InputError(
            "path",
            f"'{path_input}' and the packages installed from 'requirements' both provide "
            f"{shown}; rename or remove it from '{path_input}', or leave it out with 'exclude'",
        )
