"""What the 4x target on (a) would take: the whole step with what the action does not do.

    python bench/bench_limits.py [--rounds 7] [--trees node,python]

Issue 16 asks for the whole step at least 4x faster than Info-ZIP with a zip no larger, and
for pydantic-settings to read the inputs. On each tree, in turns with `zip -r -X -q` (after
one untimed warm-up of each), this times variants of a dry run, each a fresh process
started as the image starts the action and timed from the call to the exit:
- "the action": `python -I -u -B -m fgs_dependency`, as shipped;
- "level L": the same program with libdeflate at level L instead of 5, to show what the
  level is worth in time and in size;
- "packaging forked before the imports": a prototype, not the action. A child process
  packages the raw INPUT_PATH while the parent imports pydantic-settings and reads the
  inputs, so the start-up and the packaging overlap on two cores. It reads an input before
  pydantic-settings has validated it, which the action does not do; it is here to measure
  what that would buy.
Medians over the rounds; speed-ups are Info-ZIP's median over the variant's.
"""

import argparse
import shutil
import sys
from pathlib import Path

import common
from bench_packaging import TREES, info_zip

# Levels of the action's own code path, chosen before it runs (compress._LEVEL is read per
# file). Exits as the program does.
AT_LEVEL = """
import sys
from fgs_dependency.startup import prepare
prepare()
from fgs_dependency import compress
compress._LEVEL = int(sys.argv[1])
from fgs_dependency.__main__ import main
sys.exit(main())
"""

FORKED = """
import os, sys
from pathlib import Path
from fgs_dependency.startup import prepare
prepare()
from fgs_dependency import compress, packaging
compress._LEVEL = int(sys.argv[1])
raw = os.environ["INPUT_PATH"].strip()
read_end, write_end = os.pipe()
child = os.fork()
if child == 0:
    source = packaging.locate_source(Path(os.environ["GITHUB_WORKSPACE"]), raw)
    package = packaging.build(
        source, exclude=(), prefix="", source_date_epoch=None, path_input=raw,
        destination=Path(os.environ["RUNNER_TEMP"]) / "forked.zip",
    )
    os.write(write_end, f"{package.md5} {package.size}".encode())
    os._exit(0)
from fgs_dependency.settings import read_inputs
inputs = read_inputs()
assert inputs.path == raw and not inputs.exclude and not inputs.prefix
md5, size = os.read(read_end, 100).decode().split()
os.waitpid(child, 0)
print(md5, size)
"""


def variant(argv: list[str], root: Path, scratch: Path) -> tuple[float, int]:
    """(wall s, zip size) of one run of a variant on `root`, dry run."""
    inputs = {"name": "bench-limit", "runtime": "Python3.9", "path": root.name, "dry-run": "true"}
    env = common.action_env(root.parent, scratch, inputs)
    child = common.run_child(argv, env, root.parent)
    outputs = common.read_outputs(scratch / "output")
    if outputs:
        size = Path(outputs["package_path"]).stat().st_size
    else:  # the forked prototype prints its result
        size = int(child.output.split()[-1])
    shutil.rmtree(scratch / "runner_temp")  # the zips; action_env makes it again
    return child.wall, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--trees", default="node,python")
    args = parser.parse_args()
    common.compile_sources()
    python = [sys.executable, "-I", "-u", "-B"]
    variants = {
        "the action (level 5)": common.ACTION,
        "level 4": [*python, "-c", AT_LEVEL, "4"],
        "level 1": [*python, "-c", AT_LEVEL, "1"],
        "packaging forked before the imports (prototype), level 5": [*python, "-c", FORKED, "5"],
        "the same, level 4": [*python, "-c", FORKED, "4"],
    }
    work = common.WORK / "limits"
    work.mkdir(parents=True, exist_ok=True)
    print(f"What 4x would take, {args.rounds} rounds; {common.machine()}")
    for key in args.trees.split(","):
        root = TREES[key][1]().resolve()
        ref_zip = work / f"{key}-infozip.zip"
        info_zip(root, ref_zip)
        for argv in variants.values():
            variant(argv, root, work / key)
        ref: list[tuple[float, float, int]] = []
        times: dict[str, list[float]] = {name: [] for name in variants}
        sizes: dict[str, int] = {}
        for _ in range(args.rounds):
            ref.append(info_zip(root, ref_zip))
            for name, argv in variants.items():
                wall, sizes[name] = variant(argv, root, work / key)
                times[name].append(wall)
        ref_t, ref_size = common.median([r[0] for r in ref]), ref[-1][2]
        rows = [["zip -r -X -q (reference)", f"{ref_t:.3f}", "1.0x", "1.000", "-"]]
        for name, walls in times.items():
            wall = common.median(walls)
            ratio = sizes[name] / ref_size
            met = "yes" if ref_t / wall >= 4 and ratio <= 1 else "no"
            rows.append([name, f"{wall:.3f}", f"{ref_t / wall:.2f}x", f"{ratio:.4f}", met])
        print()
        print(f"{key}:")
        print()
        headers = ["variant", "wall s", "speed-up", "zip size vs Info-ZIP", ">= 4x and <= 1"]
        print(common.table(headers, rows))


if __name__ == "__main__":
    main()
