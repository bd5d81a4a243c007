"""The package's bytes as a user meets them in `package_md5`: the same whatever the number of
cores the step gets, and fixed for a given tree, so that a change of compressor, level or
layout cannot slip in unnoticed (after it, every unchanged tree publishes one new version)."""

import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import make_tree, run_action

WORDS = ["module", "exports", "function", "return", "const", "import", "from", "value", "data"]
# The MD5 of the zip of tree() below. When this test fails the zip's bytes changed, so every
# user's package_md5 changes once: if that is meant (another level, libdeflate version or
# layout), put the new value here and say so in CHANGELOG.md.
KNOWN_MD5 = "a8d85897bc2d2de2787baf8663fdd91f"


def tree() -> dict[str, bytes | str]:
    rng = random.Random(16)
    files: dict[str, bytes | str] = {}
    for i in range(400):
        lines = [" ".join(rng.choices(WORDS, k=12)) for _ in range(i % 40 + 1)]
        files[f"pkg{i % 9}/mod{i:03d}.py"] = "\n".join(lines) + "\n"
    files["lib/native.so"] = rng.randbytes(200_000) + bytes(300_000)
    files["lib/words.txt"] = " ".join(rng.choices(WORDS, k=600_000))  # 3.6 MB: started first
    files["lib/noise.bin"] = rng.randbytes(100_000)  # does not shrink: stored
    return files


def dry_run(workspace: Path, tmp: Path) -> tuple[str, bytes]:
    inputs = {"name": "deps", "runtime": "Python3.9", "path": "deps", "dry-run": "true"}
    run = run_action(workspace, inputs, tmp=tmp)
    assert run.returncode == 0, run.log
    return run.outputs["package_md5"], Path(run.outputs["package_path"]).read_bytes()


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to compare with one")
def test_one_core_or_all_give_the_same_bytes(tmp_path: Path, workspace: Path) -> None:
    make_tree(workspace / "deps", tree())
    everyone = os.sched_getaffinity(0)
    results = []
    for cpus in ({min(everyone)}, everyone):
        os.sched_setaffinity(0, cpus)  # the action's process inherits it: one thread, or more
        try:
            results.append(dry_run(workspace, tmp_path / f"on-{len(cpus)}"))
        finally:
            os.sched_setaffinity(0, everyone)
    (one_md5, one_zip), (all_md5, all_zip) = results
    assert one_md5 == all_md5
    assert one_zip == all_zip


def test_package_md5_of_a_known_tree_does_not_move(tmp_path: Path, workspace: Path) -> None:
    files = make_tree(workspace / "deps", tree())
    md5, data = dry_run(workspace, tmp_path)
    (tmp_path / "got.zip").write_bytes(data)
    with zipfile.ZipFile(tmp_path / "got.zip") as archive:
        assert archive.testzip() is None
        assert archive.namelist() == sorted(
            p.relative_to(files).as_posix() for p in files.rglob("*") if p.is_file()
        )
    assert md5 == KNOWN_MD5


def test_importing_the_entry_point_leaves_garbage_collection_on() -> None:
    # Run as a program, the action holds the collector off during its imports; a test or a
    # script that imports the module must not find it off.
    code = "import gc, fgs_dependency.__main__; print(gc.isenabled())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
