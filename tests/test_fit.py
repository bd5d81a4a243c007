"""The package is checked against the runtime before anything is published: compiled
modules built for another Python or processor are refused (or, when allowed, warned of), and
trees laid out as FunctionGraph does not expect are warned of."""

import shutil
import struct
import sysconfig
from pathlib import Path

import pytest
from elf_files import glibc_object, musl_object
from fgs_emulator import Emulator
from helpers import make_tree, publish_inputs, run_action

# ELF e_machine numbers: x86_64 and aarch64.
X86_64, AARCH64 = 0x3E, 0xB7


def elf(machine: int) -> bytes:
    """The start of a little-endian 64-bit ELF shared object for `machine`: what the check
    reads of a compiled file."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return ident + struct.pack("<HHI", 3, machine, 1) + bytes(44)


MACH_O = bytes.fromhex("cffaedfe07000001") + bytes(24)


def wheel_info(tag: str) -> str:
    return f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: {tag}\n"


def dry_run(workspace: Path, tmp_path: Path, runtime: str, **more: str):  # type: ignore[no-untyped-def]
    inputs = {"name": "deps", "runtime": runtime, "path": "deps", "dry-run": "true", **more}
    return run_action(workspace, inputs, tmp=tmp_path)


def test_the_demos_tree_is_refused_for_python39(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    # What the demo used to publish as Python3.9: charset_normalizer from this Python's
    # site-packages, with its md.cpython-311-x86_64-linux-gnu.so.
    site = Path(sysconfig.get_paths()["purelib"])
    source = site / "charset_normalizer"
    compiled = sorted(p.name for p in source.glob("*.cpython-*.so"))
    if not compiled:
        pytest.skip("this charset_normalizer is the pure-Python build")
    shutil.copytree(source, workspace / "deps" / "charset_normalizer")
    run = run_action(
        workspace, publish_inputs(emulator, path="deps", runtime="Python3.9"), tmp=tmp_path
    )
    assert run.returncode == 1
    [error] = run.errors
    assert f"charset_normalizer/{compiled[0]} (built for CPython 3.11)" in error
    assert "cannot load on Python3.9 (x86_64)" in error
    assert "give 'requirements'" in error and "allow-mismatched-modules: true" in error
    assert run.outputs == {}
    assert emulator.requests == []  # not even signed in


def test_allowed_mismatch_is_published_with_a_warning(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "deps", {"fast.cpython-312-x86_64-linux-gnu.so": elf(X86_64)})
    run = run_action(
        workspace,
        publish_inputs(
            emulator, path="deps", runtime="Python3.9", **{"allow-mismatched-modules": "true"}
        ),
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert any(
        "fast.cpython-312-x86_64-linux-gnu.so (built for CPython 3.12)" in w
        and "Published anyway" in w
        for w in run.warnings
    ), run.warnings
    assert run.outputs["version"] == "1"


@pytest.mark.parametrize(
    ("runtime", "files", "reason"),
    [
        # Right Python, wrong processor: only the ELF header says so.
        ("Python3.9", {"m.cpython-39-aarch64-linux-gnu.so": elf(AARCH64)}, "built for aarch64"),
        ("Python3.9", {"lib/libfoo.so.1": elf(AARCH64)}, "built for aarch64"),
        ("Python3.9", {"m.cpython-39-darwin.so": MACH_O}, "built for macOS"),
        ("Python3.12", {"m.cpython-312-x86_64-linux-musl.so": elf(X86_64)}, "musl"),
        ("Python3.9", {"m.pyd": b"MZ"}, "built for Windows"),
        # An abi3 module's floor is in its wheel's tag.
        (
            "Python3.9",
            {"fast/m.abi3.so": elf(X86_64), "fast-1.0.dist-info/WHEEL": wheel_info(
                "cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64")},
            "needs CPython 3.12 or later (abi3)",
        ),
        (
            "Python3.12",
            {"x-1.0.dist-info/WHEEL": wheel_info("cp312-cp312-musllinux_1_2_x86_64")},
            "built for musl Linux",
        ),
        (
            "Python3.12",
            {"x-1.0.dist-info/WHEEL": wheel_info("cp312-cp312-macosx_11_0_arm64")},
            "built for macosx",
        ),
        ("Node.js20.15", {"node_modules/n/b.node": elf(AARCH64)}, "built for aarch64"),
        ("Node.js20.15", {"node_modules/n/b.node": MACH_O}, "built for macOS"),
        ("Node.js20.15", {"node_modules/n/b.node": b"MZ\x90\x00"}, "built for Windows"),
    ],
)  # fmt: skip
def test_a_compiled_file_that_cannot_load_is_refused(
    workspace: Path, tmp_path: Path, runtime: str, files: dict[str, bytes | str], reason: str
) -> None:
    make_tree(workspace / "deps", {"keep.txt": "x", **files})
    run = dry_run(workspace, tmp_path, runtime)
    assert run.returncode == 1, run.log
    [error] = run.errors
    assert reason in error
    assert run.outputs == {}


@pytest.mark.parametrize(
    ("runtime", "files"),
    [
        ("Python3.9", {"m.cpython-39-x86_64-linux-gnu.so": elf(X86_64)}),
        ("Python3.12", {"m.abi3.so": elf(X86_64), "m-1.dist-info/WHEEL": wheel_info(
            "cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64")}),
        ("Python3.12", {"p-1.dist-info/WHEEL": wheel_info("py3-none-any")}),
        ("Python3.9", {"p-1.dist-info/WHEEL": wheel_info("py2.py3-none-any")}),
        ("Python3.10", {"n.libs/libz.so.1.2": elf(X86_64)}),
        ("Node.js18.15", {"node_modules/n/b.node": elf(X86_64)}),
        # Bytes that say nothing known: a linker script named .so is no binary to judge.
        ("Python3.9", {"lib/libc.so": "/* GNU ld script */\nGROUP ( libc.so.6 )\n"}),
    ],
)  # fmt: skip
def test_files_that_fit_pass(
    workspace: Path, tmp_path: Path, runtime: str, files: dict[str, bytes | str]
) -> None:
    make_tree(workspace / "deps", files)
    run = dry_run(workspace, tmp_path, runtime)
    assert run.returncode == 0, run.log
    assert run.errors == [] and run.warnings == []


def test_a_nodejs_zip_without_node_modules_is_refused_with_the_fix(
    workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "deps", {"left-pad/index.js": "module.exports = 1"})
    run = dry_run(workspace, tmp_path, "Node.js18.15")
    assert run.returncode == 1, run.log
    [error] = run.errors
    assert "no node_modules/ at its root" in error
    # The fix, as the README's example spells it (not `path: '.'`), and the way out.
    assert "'path: build/node' after 'npm ci --prefix build/node'" in error
    assert "'prefix: node_modules'" in error and "path: '.'" not in error
    assert "'allow-mismatched-modules: true'" in error
    assert run.outputs == {}


def test_a_nodejs_zip_without_node_modules_is_published_on_purpose(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "deps", {"left-pad/index.js": "module.exports = 1"})
    inputs = publish_inputs(
        emulator, runtime="Node.js18.15", path="deps", **{"allow-mismatched-modules": "true"}
    )
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    [warning] = run.warnings
    assert "no node_modules/ at its root" in warning and "Published anyway" in warning
    assert run.outputs["version"] == "1"


def test_prefix_node_modules_puts_the_modules_where_node_looks(
    workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "deps", {"left-pad/index.js": "module.exports = 1"})
    run = dry_run(workspace, tmp_path, "Node.js18.15", prefix="node_modules")
    assert run.returncode == 0, run.log
    assert run.errors == [] and run.warnings == []


@pytest.mark.parametrize("top", ["python", "site-packages"])
def test_the_aws_layer_layout_warns(workspace: Path, tmp_path: Path, top: str) -> None:
    make_tree(workspace / "deps", {f"{top}/requests/__init__.py": ""})
    run = dry_run(workspace, tmp_path, "Python3.12")
    assert run.returncode == 0
    [warning] = run.warnings
    assert f"under {top}/ (the AWS Lambda layer layout)" in warning


def test_platform_names_the_processor_a_folder_is_checked_against(
    workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "deps", {"m.cpython-39-aarch64-linux-gnu.so": elf(AARCH64)})
    arm = dry_run(workspace, tmp_path / "arm", "Python3.9", platform="aarch64-manylinux2014")
    assert arm.returncode == 0, arm.log
    x86 = dry_run(workspace, tmp_path / "x86", "Python3.9")
    assert x86.returncode == 1
    assert "cannot load on Python3.9 (x86_64)" in x86.errors[0]


# The C library each ELF file needs, read from the file itself (tests/elf_files.py).


@pytest.mark.parametrize(
    ("runtime", "name"),
    [
        ("Python3.12", "fast.cpython-312-x86_64-linux-gnu.so"),  # named for glibc, linked to musl
        ("Python3.9", "fast.libs/libz-1a2b.so.1.2.13"),
        ("Node.js20.15", "node_modules/n/build/Release/b.node"),
    ],
)
def test_a_musl_linked_file_is_refused_whatever_its_name(
    workspace: Path, tmp_path: Path, runtime: str, name: str
) -> None:
    make_tree(workspace / "deps", {name: musl_object()})
    refused = dry_run(workspace, tmp_path / "refused", runtime)
    assert refused.returncode == 1, refused.log
    [error] = refused.errors
    assert f"{name} (linked against musl libc; FunctionGraph runs glibc)" in error
    allowed = dry_run(
        workspace, tmp_path / "allowed", runtime, **{"allow-mismatched-modules": "true"}
    )
    assert allowed.returncode == 0, allowed.log
    assert any(name in w and "Published anyway" in w for w in allowed.warnings), allowed.warnings


def test_a_newer_glibc_than_the_given_platform_is_refused(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace / "deps", {"lib/libnew.so.1": glibc_object("2.28"),
                                   "lib/libold.so.1": glibc_object("2.17")})  # fmt: skip
    run = dry_run(workspace, tmp_path / "2014", "Python3.9", platform="x86_64-manylinux2014")
    assert run.returncode == 1, run.log
    [error] = run.errors
    assert "lib/libnew.so.1 (needs GLIBC_2.28, newer than x86_64-manylinux2014's glibc 2.17)" in (
        error
    )
    assert "libold" not in error
    # The platform that has it: published, and the summary says what the package needs.
    newer = dry_run(workspace, tmp_path / "228", "Python3.9", platform="x86_64-manylinux_2_28")
    assert newer.returncode == 0, newer.log
    assert newer.warnings == []
    assert "| highest glibc needed | `GLIBC_2.28 (lib/libnew.so.1)` |" in newer.summary


def test_a_newer_glibc_than_the_default_platform_is_warned_of(
    workspace: Path, tmp_path: Path
) -> None:
    """FunctionGraph does not publish its glibc: with the default platform a newer need may
    still run, so it is said, naming the files, and not refused."""
    make_tree(workspace / "deps", {"fast/_core.abi3.so": glibc_object("2.28", AARCH64),
                                   "fast/_old.abi3.so": glibc_object("2.17", AARCH64)})  # fmt: skip
    given = dry_run(workspace, tmp_path / "given", "Python3.12", platform="aarch64-manylinux2014")
    assert given.returncode == 1, given.log
    assert "fast/_core.abi3.so (needs GLIBC_2.28" in given.errors[0]
    make_tree(workspace / "x86", {"fast/_core.abi3.so": glibc_object("2.28"),
                                  "fast/_old.abi3.so": glibc_object("2.17")})  # fmt: skip
    run = run_action(workspace, {"name": "deps", "runtime": "Python3.12", "path": "x86",
                                 "dry-run": "true"}, tmp=tmp_path / "default")  # fmt: skip
    assert run.returncode == 0, run.log
    [warning] = run.warnings
    assert "fast/_core.abi3.so (GLIBC_2.28)" in warning and "_old" not in warning
    assert "glibc newer than 2.17" in warning and "'platform'" in warning
    assert "| highest glibc needed | `GLIBC_2.28 (fast/_core.abi3.so)` |" in run.summary
