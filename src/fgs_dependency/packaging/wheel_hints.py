"""What would fix a missing wheel: when uv finds no wheel of a release for the function's
Python and platform, it says only that ("has no usable wheels"). The index's page says more:
which platforms the release has wheels for, the 'platform' value that would take one, the
nearest releases with a wheel for this target, and whether the release needs a newer Python
(its Requires-Python). Nothing here fails the step harder: without a readable page there is
no hint, and the caller keeps its plain message.

Everything shown comes from the index, so only what matches a strict form is shown: versions
PEP 440 reads, wheel tags of letters, digits, '_' and '.', Requires-Python of operators and
numbers."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..inputs.build_rules import PLATFORMS
from . import versions
from .fit import glibc_level
from .index_pages import IndexFile, normalize, project_files
from .package import Target
from .uv_errors import PYPI, Indexes

# uv's words (0.13) for the package without a wheel for the target; the first is the cause.
_OP = r"(?:==|!=|<=|>=|~=|<|>)"
_SUBJECT = re.compile(
    r"Because (?:all versions of )?(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*?)"
    rf"(?P<spec>{_OP}[^\s,]+(?:,\s?{_OP}[^\s,]+)*)? has no "
    r"(?:usable wheels|wheels with a matching)"
)
_WHEEL = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-\d[^-]*)?-(?P<python>[^-]+)-(?P<abi>[^-]+)"
    r"-(?P<platform>[^-]+)\.whl$"
)
_SDIST = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
_TAG = re.compile(r"^[A-Za-z0-9_.]+$")
_BOUND = re.compile(r"^[0-9a-z.,<>=!~* ]+$")
_MANYLINUX = re.compile(r"^manylinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>\w+)$")
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_SHOWN = 12


@dataclass(frozen=True)
class Wheel:
    python: str
    abi: str
    platform: str  # as in the file name: may hold several, dot-separated
    requires_python: str


@dataclass(frozen=True)
class Release:
    version: str
    key: versions.Key
    pre: bool
    wheels: tuple[Wheel, ...]
    sdist: bool
    bounds: tuple[str, ...]  # the Requires-Python of its files ('' for none)


def _releases(name: str, files: Sequence[IndexFile]) -> list[Release]:
    found: dict[str, tuple[list[Wheel], list[bool], list[str]]] = {}
    project = normalize(name)
    for file in files:
        if file.yanked:
            continue
        bound = file.requires_python.strip() if _BOUND.match(file.requires_python) else ""
        wheel = _WHEEL.match(file.filename)
        if wheel and normalize(wheel["name"]) == project:
            version = wheel["version"]
            tags = (wheel["python"], wheel["abi"], wheel["platform"])
            if not all(_TAG.match(t) for t in tags):
                continue
            entry = found.setdefault(version, ([], [], []))
            entry[0].append(Wheel(*tags, bound))
        elif file.filename.endswith(_SDIST):
            stem = next(file.filename.removesuffix(s) for s in _SDIST if file.filename.endswith(s))
            if normalize(stem[: len(name)]) != project or stem[len(name) : len(name) + 1] != "-":
                continue
            version = stem[len(name) + 1 :]
            entry = found.setdefault(version, ([], [], []))
            entry[1].append(True)
        else:
            continue
        entry[2].append(bound)
    releases = []
    for version, (wheels, sdists, bounds) in found.items():
        parsed = versions.parse(version)
        if parsed is not None:
            key, pre = parsed
            releases.append(Release(version, key, pre, tuple(wheels), bool(sdists), tuple(bounds)))
    return sorted(releases, key=lambda r: r.key)


def _python_fits(wheel: Wheel, python: str) -> bool:
    major, minor = (int(p) for p in python.split(".")[:2])
    for tag in wheel.python.split("."):
        tagged = re.fullmatch(r"(cp|py)(\d)(\d*)", tag)
        if not tagged or int(tagged[2]) != major:
            continue
        at = int(tagged[3]) if tagged[3] else None
        for abi in wheel.abi.split("."):
            if tagged[1] == "py" and abi == "none" and (at is None or at <= minor):
                return True
            if tagged[1] == "cp" and at == minor and (abi == "none" or abi.startswith(tag)):
                return True
            if tagged[1] == "cp" and abi == "abi3" and at is not None and at <= minor:
                return True
    return False


def _glibc(platform: str) -> tuple[str, tuple[int, int]] | None:
    """The architecture and glibc version of a manylinux platform tag."""
    found = _MANYLINUX.match(platform)
    if found:
        return found["arch"], (int(found["major"]), int(found["minor"]))
    legacy, _, arch = platform.partition("_")
    return (arch, _LEGACY[legacy]) if legacy in _LEGACY and arch else None


def _target_glibc(target: Target) -> tuple[str, tuple[int, int]]:
    """The architecture and glibc level of the `platform` input, as the ELF check reads it."""
    return target.platform.partition("-")[0], glibc_level(target.platform)


def _allowed(bound: str, python: str) -> bool:
    return not bound or versions.satisfies(python, bound) is not False


def _wheel_fits(wheel: Wheel, target: Target) -> bool:
    arch, glibc = _target_glibc(target)
    if not _python_fits(wheel, target.python_version):
        return False
    if not _allowed(wheel.requires_python, target.python_version):
        return False
    for platform in wheel.platform.split("."):
        needs = _glibc(platform)
        if platform == "any" or (needs and needs[0] == arch and needs[1] <= glibc):
            return True
    return False


def _fits(release: Release, target: Target) -> bool:
    return any(_wheel_fits(w, target) for w in release.wheels)


def _too_new(release: Release, python: str) -> bool:
    """Whether every file of the release has a Requires-Python that excludes `python`."""
    bounds = release.bounds
    return bool(bounds) and all(b and versions.satisfies(python, b) is False for b in bounds)


def _platform_value(release: Release, target: Target) -> tuple[str, str, str] | None:
    """The 'platform' input value that takes one of the release's wheels, that wheel's
    platform tag and the glibc it needs: same architecture, a newer glibc."""
    arch, glibc = _target_glibc(target)
    options = []
    for wheel in release.wheels:
        if not _python_fits(wheel, target.python_version):
            continue
        if not _allowed(wheel.requires_python, target.python_version):
            continue
        for platform in wheel.platform.split("."):
            needs = _glibc(platform)
            if needs and needs[0] == arch and needs[1] > glibc:
                options.append((needs[1], platform))
    for (major, minor), platform in sorted(options):
        for value in PLATFORMS:
            level = _glibc(value.partition("-")[2] + "_" + arch)
            if value.startswith(f"{arch}-") and level and level[1] >= (major, minor):
                return value, platform, f"{major}.{minor}"
    return None


def advise(
    name: str, spec: str, files: Sequence[IndexFile], target: Target, allow_source: bool
) -> str:
    """The hint for `name` (asked for as `spec`, '' for any version) from its index files;
    '' when the files do not show why no wheel fits."""
    releases = _releases(name, files)
    asked = [r for r in releases if spec == "" or versions.satisfies(r.version, spec)]
    wanted = [r for r in asked if not r.pre] or asked
    if not wanted or any(_fits(r, target) for r in wanted):
        return ""
    release = wanted[-1]
    python = target.python_version
    fitting = [r for r in releases if not r.pre and _fits(r, target)]
    older = [r for r in fitting if r.key < release.key]
    newer = [r for r in fitting if r.key > release.key]
    what = f"Python {python} on {target.platform}"
    if _too_new(release, python):
        bound = next(b for b in release.bounds if b)
        if len(wanted) > 1 and all(_too_new(r, python) for r in wanted):
            first = next(b for b in wanted[0].bounds if b)
            text = (
                f"Every release of {name}{spec} needs a newer Python than the runtime's "
                f"Python {python}: {name} {wanted[0].version} needs Python {first} (its "
                f"Requires-Python), {release.version} needs Python {bound}."
            )
        else:
            text = (
                f"{name} {release.version} needs Python {bound} (its Requires-Python), newer "
                f"than the runtime's Python {python}."
            )
        fix = "Choose a runtime with a Python that fits"
        if fitting:
            fix += (
                f", or pin {name}=={fitting[-1].version}, the newest release for Python "
                f"{python} with a wheel for {target.platform}"
            )
        return f"{text} {fix}."
    platforms = sorted({p for w in release.wheels for p in w.platform.split(".")})
    shown = ", ".join(platforms[:_SHOWN])
    if len(platforms) > _SHOWN:
        shown += f" and {len(platforms) - _SHOWN} more"
    text = f"No wheel of {name} {release.version} fits {what}: "
    text += f"its wheels are for {shown}" if platforms else "it has no wheels"
    text += ", and it has a source distribution." if release.sdist else "."
    fixes = []
    value = _platform_value(release, target)
    if value:
        fixes.append(
            f"set `platform: {value[0]}` to take its {value[1]} wheel, if the function's "
            f"runtime has glibc {value[2]} or newer"
        )
    if older:
        fixes.append(f"pin {name}=={older[-1].version}, the newest older release with a wheel "
                     f"for {what}")  # fmt: skip
    if newer:
        which = "one" if older else f"a wheel for {what}"
        fixes.append(f"pin {name}=={newer[0].version}, the next newer release with {which}")
    if release.sdist and not allow_source:
        fixes.append("set allow-source: true if it is pure Python (a compiled build is refused)")
    if not fixes:
        return f"{text} Choose another runtime or platform, or another package."
    return f"{text} To fix: " + "; or ".join(fixes) + "."


def hint(output: str, target: Target, indexes: Indexes, *, allow_source: bool) -> str:
    """The hint for the first package uv found no wheel for in `output`, from the indexes the
    install used; '' when there is none (or no index page could be read)."""
    subject = _SUBJECT.search(output)
    if not subject:
        return ""
    urls = [*indexes.extra, *(url for url, _ in indexes.in_file), indexes.index_url or PYPI]
    files = project_files(subject["name"], urls)
    if not files:
        return ""
    try:
        spec = (subject["spec"] or "").replace(" ", "")
        return advise(subject["name"], spec, files, target, allow_source)
    except (ValueError, LookupError):  # a page this does not read: no hint, not a crash
        return ""
