"""Packaging throughput and zip size, against Info-ZIP `zip -r -X -q` (default level 6).

    python bench/bench_packaging.py [--rounds 5] [--trees node,python,small]

On each tree (built on first use and cached, see trees.py) the reference and the action's
packaging (`packaging.build`, in a fresh process each time, timed inside it) run in turns,
after one untimed warm-up of each that fills the page cache. Times are medians over the
rounds; the speed-up is the reference's median over ours, so both saw the same machine.
Targets (issue 6): at least 3x faster with a zip no larger on node and python; small in at
most 2 s.
"""

import argparse
import os
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


def ours(root: Path, out: Path) -> tuple[float, float, int, str, int]:
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
    work = common.WORK / "packaging"
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for key in args.trees.split(","):
        label, make = TREES[key]
        root = make().resolve()
        files, content = trees.tree_size(root)
        ref_zip, our_zip = work / f"{key}-infozip.zip", work / f"{key}-ours.zip"
        info_zip(root, ref_zip)  # warm-up: the page cache holds the tree from here on
        ours(root, our_zip)
        with zipfile.ZipFile(our_zip) as archive:
            assert archive.testzip() is None, "our zip does not test clean"
        ref_times, our_times, ref_cpus, our_cpus, md5s = [], [], [], [], set()
        for _ in range(args.rounds):
            seconds, cpu, ref_size = info_zip(root, ref_zip)
            ref_times.append(seconds)
            ref_cpus.append(cpu)
            seconds, cpu, our_size, md5, count = ours(root, our_zip)
            our_times.append(seconds)
            our_cpus.append(cpu)
            md5s.add(md5)
        assert count == files, (count, files)
        ref_t, our_t = common.median(ref_times), common.median(our_times)
        speedup = ref_t / our_t
        if key == "small":
            target = "<= 2 s: " + ("met" if our_t <= 2.0 else "NOT met")
        else:
            met = speedup >= 3 and our_size <= ref_size
            target = ">= 3x, size <= 1: " + ("met" if met else "NOT met")
        rows.append(
            [
                label,
                f"{files:,}",
                common.mb(content),
                f"{ref_t:.2f}",
                f"{our_t:.2f}",
                f"{speedup:.1f}x",
                f"{min(ref_times) / min(our_times):.1f}x",
                f"{common.median(ref_cpus):.2f}",
                f"{common.median(our_cpus):.2f}",
                f"{content / our_t / 1e6:.0f}",
                common.mb(ref_size),
                common.mb(our_size),
                f"{our_size / ref_size:.3f}",
                "yes" if len(md5s) == 1 else f"NO ({len(md5s)} different)",
                target,
            ]
        )
    print(f"Packaging, {args.rounds} rounds; {common.machine()}")
    print()
    headers = [
        "tree", "files", "MB", "zip -r -X s", "ours s", "speed-up", "best/best",
        "zip CPU s", "ours CPU s", "ours MB/s", "zip MB", "ours MB", "size ratio",
        "same bytes", "target",
    ]  # fmt: skip
    print(common.table(headers, rows))


if __name__ == "__main__":
    main()
