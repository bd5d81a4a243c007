"""Packaging: the whole step against Info-ZIP `zip -r -X -q` (default level 6), and zip size.

    python bench/bench_packaging.py [--rounds 5] [--trees node,python,small]

On each tree (built on first use and cached, see trees.py) three things run in turns, after
one untimed warm-up of each that fills the page cache:
- Info-ZIP, `zip -r -X -q out.zip .` in the tree;
- the whole step, what the user waits for: the action started as the runner starts it (a
  fresh `python -I -u -B -m fgs_dependency`, the image's ENTRYPOINT, with every INPUT_*
  variable set and `dry-run: true`), from the call to the exit: the interpreter's start,
  the imports, reading the inputs, packaging, the log, the outputs and the summary;
- the breakdown: `packaging.build` alone, timed inside a fresh process (no start-up).
Times are medians over the rounds; a speed-up is Info-ZIP's median over ours, so both saw
the same machine. Targets (issue 16): the whole step at least 4x faster with a zip no
larger on node and python; small in at most 1.5 s.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import common
import trees

DRIVER = """
import sys, time
from pathlib import Path
from fgs_dependency import packaging
root, out = Path(sys.argv[1]), Path(sys.argv[2])
start, cpu = time.perf_counter(), time.process_time()
package = packaging.build(
    root, exclude=(), prefix="", destination=out, source_date_epoch=None, path_input="."
)
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(wall, cpu, package.size, package.md5, package.file_count)
"""

TREES = {
    "node": ("(a) node_modules from npm", trees.node_tree),
    "python": ("(b) pip install --target", trees.python_tree),
    "small": ("(c) 30,000 small files", trees.small_tree),
}


def info_zip(root: Path, out: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, zip size)"""
    out.unlink(missing_ok=True)  # zip would update an existing archive
    start = time.perf_counter()
    child = subprocess.Popen(["zip", "-r", "-X", "-q", str(out), "."], cwd=root)
    _, status, usage = os.wait4(child.pid, 0)
    assert status == 0, status
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, out.stat().st_size


def whole_step(root: Path, scratch: Path) -> tuple[float, float, int, str, int]:
    """(wall s, CPU s, zip size, MD5, files) of a dry run of the action on `root`."""
    inputs = {"name": "bench-pack", "runtime": "Python3.9", "path": root.name, "dry-run": "true"}
    env = common.action_env(root.parent, scratch, inputs)
    child = common.run_child(common.ACTION, env, root.parent)
    outputs = common.read_outputs(scratch / "output")
    package = Path(outputs["package_path"])
    size = package.stat().st_size
    shutil.rmtree(package.parent)  # a scratch folder of its own under RUNNER_TEMP
    return child.wall, child.cpu, size, outputs["package_md5"], int(outputs["file_count"])


def in_process(root: Path, out: Path) -> tuple[float, float, int, str, int]:
    """(wall s, CPU s, zip size, MD5, files) of packaging.build, timed inside the process."""
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(root), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    wall, cpu, size, md5, count = done.stdout.split()
    return float(wall), float(cpu), int(size), md5, int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trees", default=",".join(TREES))
    args = parser.parse_args()
    common.compile_sources()
    work = common.WORK / "packaging"
    work.mkdir(parents=True, exist_ok=True)
    heading = f"{args.rounds} rounds; {common.machine()}"
    whole_rows, part_rows = [], []
    for key in args.trees.split(","):
        label, make = TREES[key]
        root = make().resolve()
        files, content = trees.tree_size(root)
        ref_zip, our_zip, scratch = work / f"{key}-infozip.zip", work / f"{key}.zip", work / key
        info_zip(root, ref_zip)  # warm-up: the page cache holds the tree from here on
        whole_step(root, scratch)
        in_process(root, our_zip)
        with zipfile.ZipFile(our_zip) as archive:
            assert archive.testzip() is None, "our zip does not test clean"
        ref, whole, part = [], [], []
        for _ in range(args.rounds):
            ref.append(info_zip(root, ref_zip))
            whole.append(whole_step(root, scratch))
            part.append(in_process(root, our_zip))
        ref_size, our_size = ref[-1][2], whole[-1][2]
        md5s = {r[3] for r in whole} | {r[3] for r in part}
        assert {r[4] for r in whole + part} == {files}, "not every file was packaged"
        ref_t = common.median([r[0] for r in ref])
        whole_t = common.median([r[0] for r in whole])
        part_t = common.median([r[0] for r in part])
        if key == "small":
            target = "<= 1.5 s: " + ("met" if whole_t <= 1.5 else "NOT met")
        else:
            met = ref_t / whole_t >= 4 and our_size <= ref_size
            target = ">= 4x, size <= 1: " + ("met" if met else "NOT met")
        whole_rows.append(
            [
                label,
                f"{files:,}",
                common.mb(content),
                f"{ref_t:.2f}",
                f"{whole_t:.2f}",
                f"{ref_t / whole_t:.1f}x",
                f"{min(r[0] for r in ref) / min(r[0] for r in whole):.1f}x",
                common.mb(ref_size),
                common.mb(our_size),
                f"{our_size / ref_size:.3f}",
                "yes" if len(md5s) == 1 else f"NO ({len(md5s)} different)",
                target,
            ]
        )
        part_rows.append(
            [
                label,
                f"{common.median([r[1] for r in ref]):.2f}",
                f"{common.median([r[1] for r in whole]):.2f}",
                f"{part_t:.2f}",
                f"{common.median([r[1] for r in part]):.2f}",
                f"{ref_t / part_t:.1f}x",
                f"{whole_t - part_t:.2f}",
                f"{content / part_t / 1e6:.0f}",
            ]
        )
    print(f"The whole step (dry run, fresh process) against zip -r -X -q, {heading}")
    print()
    headers = [
        "tree", "files", "MB", "zip -r -X s", "whole step s", "speed-up", "best/best",
        "zip MB", "ours MB", "size ratio", "same bytes", "target",
    ]  # fmt: skip
    print(common.table(headers, whole_rows))
    print()
    print("Breakdown: CPU seconds, and packaging.build alone (in-process, no start-up)")
    print()
    headers = [
        "tree", "zip -r -X CPU s", "whole step CPU s", "build s", "build CPU s",
        "build speed-up", "the rest of the step s", "build MB/s",
    ]  # fmt: skip
    print(common.table(headers, part_rows))


if __name__ == "__main__":
    main()
