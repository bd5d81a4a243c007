"""Does the package fit the function? Compiled modules built for another Python or another
processor, and trees laid out as another cloud expects, are caught before anything is
published: on the function they fail only at import time.

What is read: the names in the zip; the first bytes of each compiled file (its ELF header
says the processor); each wheel's `*.dist-info/WHEEL` (its tags say the Python and the
platform the wheel was built for, and an abi3 wheel's lowest Python); and the C library each
ELF file needs, which packaging read (elf.py).
"""

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .package import Linkage

# ELF e_machine values (the ELF specification's registry).
_MACHINES = {0x03: "x86", 0x28: "arm", 0x3E: "x86_64", 0xB7: "aarch64"}
# CPython's extension suffixes: name.cpython-311-x86_64-linux-gnu.so, name.cpython-311-darwin.so
_CPYTHON_SUFFIX = re.compile(r"\.cpython-(\d)(\d+)[dmu]*-(?P<rest>[^/]+)\.so$")
_COMPILED = re.compile(r"\.(?:so(?:\.\d+)*|node)$|\.pyd$|\.dylib$")
_WHEEL_TAG = re.compile(r"^Tag:\s*(\S+)-(\S+)-(\S+)\s*$", re.M)
_AT_MOST_SHOWN = 8


@dataclass(frozen=True)
class Misfit:
    """One file (or wheel) that cannot work on the function, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Target:
    """What the function runs: its runtime name, its Python (None for other runtimes) and
    its processor ('x86_64' or 'aarch64')."""

    runtime: str
    python: tuple[int, int] | None
    machine: str


def _machine(header: bytes) -> str | None:
    """The processor an ELF file is for, 'macOS' or 'Windows' for their binary formats, or
    None when the bytes say nothing known (a linker script named .so, an unknown processor)."""
    if header[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "macOS"  # Mach-O, 64- and 32-bit, and universal
    if header[:2] == b"MZ":
        return "Windows"
    if header[:4] != b"\x7fELF" or len(header) < 20:
        return None
    field = header[18:20]  # e_machine, in the byte order EI_DATA names
    machine = int.from_bytes(field, "little") if header[5] == 1 else int.from_bytes(field, "big")
    return _MACHINES.get(machine)


def _wheel_fits(tags: list[tuple[str, str, str]], target: Target) -> str:
    """'' when one of a wheel's tags fits the target, else why none does."""
    reasons = []
    for interpreter, abi, platform in tags:
        for one in interpreter.split("."):
            python_ok, why = _interpreter_fits(one, abi, target.python)
            platform_ok, where = _platform_fits(platform, target.machine)
            if python_ok and platform_ok:
                return ""
            reasons.append(why if not python_ok else where)
    return reasons[0] if reasons else ""


def _interpreter_fits(tag: str, abi: str, python: tuple[int, int] | None) -> tuple[bool, str]:
    found = re.fullmatch(r"(cp|py)(\d)(\d*)", tag)
    if not found or python is None:
        return True, ""
    major, minor = int(found[2]), int(found[3]) if found[3] else None
    if major != python[0]:
        return False, f"built for Python {major}"
    if found[1] == "py" or minor is None:
        return True, ""
    if abi == "abi3":
        ok = minor <= python[1]
        return ok, "" if ok else f"needs CPython 3.{minor} or later (abi3)"
    ok = minor == python[1]
    return ok, "" if ok else f"built for CPython {major}.{minor}"


def _platform_fits(platform: str, machine: str) -> tuple[bool, str]:
    for one in platform.split("."):
        if one == "any":
            return True, ""
        if one.startswith(("manylinux", "linux")) and one.endswith("_" + machine):
            return True, ""
    if "musllinux" in platform:
        return False, f"built for musl Linux ({platform}); FunctionGraph runs glibc"
    if platform.startswith(("macosx", "win")):
        return False, f"built for {platform.split('_')[0]}"
    return False, f"built for {platform}, not {machine}"


def _python_misfit(name: str, python: tuple[int, int]) -> str:
    suffix = _CPYTHON_SUFFIX.search(name)
    if suffix:
        built = (int(suffix[1]), int(suffix[2]))
        if built != python:
            return f"built for CPython {built[0]}.{built[1]}"
        if "darwin" in suffix["rest"]:
            return "built for macOS"
        if "linux-musl" in suffix["rest"]:
            return "built for musl Linux; FunctionGraph runs glibc"
    if name.endswith(".pyd"):
        return "built for Windows"
    return ""


def misfits(path: Path, names: Iterable[str], target: Target) -> list[Misfit]:
    """The files of the zip at `path` that cannot work on the target."""
    found: list[Misfit] = []
    with zipfile.ZipFile(path) as archive:
        for name in names:
            if name.endswith(".dist-info/WHEEL") and target.python:
                tags = _WHEEL_TAG.findall(archive.read(name).decode("utf-8", "replace"))
                why = _wheel_fits(tags, target)
                if why:
                    found.append(Misfit(name.rsplit("/", 1)[0], why))
                continue
            if not _COMPILED.search(name):
                continue
            why = _python_misfit(name, target.python) if target.python else ""
            if not why:
                with archive.open(name) as member:
                    machine = _machine(member.read(20))
                if machine is not None and machine != target.machine:
                    why = f"built for {machine}"
            if why:
                found.append(Misfit(name, why))
    return found


def describe(found: list[Misfit], target: Target) -> str:
    """What does not fit, and the fix: the files (the first few), each with its reason."""
    shown = "; ".join(f"{m.name} ({m.reason})" for m in found[:_AT_MOST_SHOWN])
    more = f"; and {len(found) - _AT_MOST_SHOWN} more" if len(found) > _AT_MOST_SHOWN else ""
    fix = (
        "Build the tree for the function: give 'requirements' and the action installs the "
        "wheels for the runtime and 'platform', or run pip with the runtime's Python"
        if target.python
        else "Install the modules for the function's processor (npm: --os=linux --cpu=x64)"
    )
    return (
        f"{len(found)} compiled file(s) in the package cannot load on {target.runtime} "
        f"({target.machine}): {shown}{more}. {fix}."
    )


def missing_node_modules(names: Iterable[str], target: Target) -> str:
    """Why a Node.js package without node_modules/ at its root cannot be required from (its
    dependencies are unpacked as they are, and the runtime looks under node_modules/), with
    the fix; empty when the package has one or is not for Node.js."""
    tops = {name.split("/", 1)[0] for name in names}
    if not target.runtime.startswith("Node.js") or "node_modules" in tops:
        return ""
    return (
        "The package has no node_modules/ at its root, where FunctionGraph's Node.js runtimes "
        "look for a dependency's modules: a function could not require anything from it. "
        "Set 'path' to the folder that holds node_modules/ (as in the README: 'path: "
        "build/node' after 'npm ci --prefix build/node'), or set 'prefix: node_modules' when "
        "'path' is the node_modules folder itself."
    )


def layout_warnings(names: Iterable[str], target: Target) -> list[str]:
    """Python trees laid out as FunctionGraph does not expect: its dependencies are unpacked
    as they are, with Python's packages at the root of the zip."""
    tops = {name.split("/", 1)[0] for name in names}
    if target.python and tops & {"python", "site-packages"}:
        top = sorted(tops & {"python", "site-packages"})[0]
        return [
            f"The package keeps its modules under {top}/ (the AWS Lambda layer layout); "
            "FunctionGraph puts a dependency's root on the Python path, so they must be at "
            "the root of the zip: package the site-packages folder itself, or give "
            "'requirements'."
        ]
    return []


def glibc_level(platform: str) -> tuple[int, int]:
    """The glibc a platform promises: manylinux2014 -> 2.17, manylinux_2_28 -> 2.28."""
    found = re.search(r"manylinux_(\d+)_(\d+)$", platform)
    return (int(found[1]), int(found[2])) if found else (2, 17)


def libc_findings(
    binaries: Sequence[Linkage], platform: str, *, platform_given: bool
) -> tuple[list[Misfit], str]:
    """The ELF files that cannot load on the platform's C library (musl-linked ones, and,
    when 'platform' was given, those needing a newer glibc than it has), and a warning
    naming the files that need a newer glibc than the default platform's (FunctionGraph
    does not publish its runtimes' glibc, so the default is a guess: warned, not refused)."""
    level = glibc_level(platform)
    shown = f"{level[0]}.{level[1]}"
    found = [
        Misfit(b.name, "linked against musl libc; FunctionGraph runs glibc")
        for b in binaries
        if b.musl
    ]
    newer = [b for b in binaries if b.glibc and b.glibc > level and not b.musl]
    if platform_given:
        found += [
            Misfit(b.name, f"needs {b.glibc_shown}, newer than {platform}'s glibc {shown}")
            for b in newer
        ]
        return found, ""
    if not newer:
        return found, ""
    listed = "; ".join(f"{b.name} ({b.glibc_shown})" for b in newer[:_AT_MOST_SHOWN])
    more = f"; and {len(newer) - _AT_MOST_SHOWN} more" if len(newer) > _AT_MOST_SHOWN else ""
    return found, (
        f"{len(newer)} compiled file(s) need a glibc newer than {shown}, the default "
        f"platform's ({platform}): {listed}{more}. FunctionGraph does not publish its "
        "runtimes' glibc: if the function fails with 'GLIBC_x.y not found', build them for "
        "manylinux2014; set 'platform' (e.g. x86_64-manylinux_2_28) to have this checked."
    )


def machine_of(platform: str) -> str:
    """The processor a platform names ('aarch64-manylinux2014' -> 'aarch64')."""
    return "aarch64" if platform.startswith("aarch64") else "x86_64"
