"""Start-up: the wall time of a dry run of 10 files, and the import time of the entry point.

    python bench/bench_startup.py [--rounds 7]

The dry run is the action started as the runner starts it (a fresh `python -I -u -B -m
fgs_dependency`, the image's ENTRYPOINT, every INPUT_* set) on a 10-file tree, from the call
to the exit. Import time is that of `fgs_dependency.__main__` as the program imports it, after
the two switches its first lines set when run (the collector off, pydantic's plugin scan off):
`python -I -X importtime` (the cumulative times of the package and of the entry point, with
the heaviest imports under them) and timed inside without -X importtime, and also without the
switches, to show what they save. `python -I -c pass` (the
interpreter alone) is the reference. Medians over the rounds. Targets (issue 16): dry run at
most 0.2 s; import at most 120 ms.
"""

import argparse
import re
import subprocess
import sys

import common
import trees

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


# What `python -m fgs_dependency` does before its other imports (the top of __main__.py).
AS_RUN = (
    "import gc, os; gc.disable(); os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__'); "
)
# A plain import: neither switch.
WITHOUT_SWITCHES = ""


def import_times() -> tuple[float, list[tuple[int, int, str]]]:
    """(seconds to import the entry point, [(cumulative µs, depth, module)])"""
    done = subprocess.run(
        [sys.executable, "-I", "-X", "importtime", "-c", AS_RUN + "import fgs_dependency.__main__"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = []
    total = 0.0
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            cumulative, depth, name = int(match[2]), len(match[3]) // 2, match[4]
            modules.append((cumulative, depth, name))
            # The package, then the entry point.
            if depth == 0 and name.startswith("fgs_dependency"):
                total += cumulative / 1e6
    assert "fgs_dependency.__main__" in [m[2] for m in modules], done.stderr[-2000:]
    return total, modules


def plain_import_time(first: str = AS_RUN) -> float:
    """Seconds to import the entry point without -X importtime's own overhead, after the
    statements `first`."""
    code = (
        "import time; start = time.perf_counter(); " + first + "import fgs_dependency.__main__; "
        "print(time.perf_counter() - start)"
    )
    argv = [sys.executable, "-I", "-c", code]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    common.compile_sources()
    tiny = trees.tiny_tree()
    inputs = {"name": "bench-start", "runtime": "Python3.9", "path": tiny.name, "dry-run": "true"}
    env = common.action_env(trees.CACHE, common.WORK / "startup", inputs)
    imports, plain, without, dry_runs, bare = [], [], [], [], []
    heaviest: dict[str, list[int]] = {}
    for _ in range(args.rounds):
        total, modules = import_times()
        imports.append(total)
        plain.append(plain_import_time())
        without.append(plain_import_time(WITHOUT_SWITCHES))
        for cumulative, depth, name in modules:
            if depth <= 2:
                heaviest.setdefault(name, []).append(cumulative)
        dry_runs.append(common.run_measured(common.ACTION, env, trees.CACHE)[0])
        bare.append(common.run_measured([sys.executable, "-I", "-c", "pass"])[0])

    imp, dry, ref = common.median(imports), common.median(dry_runs), common.median(bare)
    rows = [
        [
            "dry run, 10-file tree (wall, the whole process)",
            f"{dry * 1000:.0f} ms",
            f"{min(dry_runs) * 1000:.0f} ms",
            "<= 200 ms: " + ("met" if dry <= 0.2 else "NOT met"),
        ],
        [
            "import fgs_dependency.__main__ (-X importtime)",
            f"{imp * 1000:.0f} ms",
            f"{min(imports) * 1000:.0f} ms",
            "<= 120 ms: " + ("met" if imp <= 0.12 else "NOT met"),
        ],
        [
            "the same, timed inside (no -X importtime)",
            f"{common.median(plain) * 1000:.0f} ms",
            f"{min(plain) * 1000:.0f} ms",
            "-",
        ],
        [
            "the same without the two switches (collector on, plugin scan)",
            f"{common.median(without) * 1000:.0f} ms",
            f"{min(without) * 1000:.0f} ms",
            "-",
        ],
        [
            "python -I -c pass (reference)",
            f"{ref * 1000:.0f} ms",
            f"{min(bare) * 1000:.0f} ms",
            "-",
        ],
    ]
    print(f"Start-up, {args.rounds} rounds; {common.machine()}")
    print()
    print(common.table(["what", "median", "best", "target"], rows))
    print()
    ranked = sorted(heaviest.items(), key=lambda kv: -common.median(kv[1]))
    top = [
        [name, f"{common.median(times) / 1000:.0f} ms"]
        for name, times in ranked
        if name != "fgs_dependency.__main__"
    ][:12]
    print("Heaviest imports (cumulative, at most two levels below the entry point, median):")
    print()
    print(common.table(["module", "cumulative"], top))


if __name__ == "__main__":
    main()
