"""Peak memory (RSS) of the whole process while publishing, against a dry run's.

    python bench/bench_memory.py [--rounds 3]

Each case runs as a child process and its peak RSS is read from wait4's rusage (ru_maxrss).
The reference is a dry run of a 10-file tree through the action (`python -m fgs_dependency`:
the same imports, no package to speak of); each case reports its peak above that. The
FunctionGraph emulator (tests/fgs_emulator, with an OBS bucket) runs in a process of its own.

Through the action, with ready zips of random (incompressible) data:
- inline with AK/SK: 8.9 MiB, the largest the API gateway takes signed (12 MiB requests)
- inline with a token: 40 MB (FunctionGraph's inline limit is 40 MiB)
- through OBS with a token: 250 MB
The body code alone (huaweicloud.body.JsonWithFile posted with `requests`, bench/rss_post.py)
for the 40 MB zip, and a naive JSON body for comparison; and packaging alone (a dry run of
the pip tree).
Target (issue 6): at most 80 MB above the dry run, for the 40 MB inline and 250 MB OBS
publishes.
"""

import argparse
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import common
import trees

MIB = 1024 * 1024
BUDGET = 80 * 1e6
INLINE_SIGNED = int(8.9 * MIB)  # the largest zip whose AK/SK-signed body fits in 12 MiB
INLINE_TOKEN = 40_000_000
THROUGH_OBS = 250_000_000
BUCKET = "bench-bucket"
EMULATOR = f"""
import threading
from fgs_emulator import Emulator
with Emulator(
    credentials={{{common.ACCESS_KEY!r}: {common.SECRET_KEY!r}}},
    tokens={{{common.TOKEN!r}}},
    project_id={common.PROJECT_ID!r},
    region="cn-north-4",
    buckets={{{BUCKET!r}}},
) as emulator:
    print("fgs-emulator listening on", emulator.url, flush=True)
    threading.Event().wait()
"""


def ready_zip(size: int) -> Path:
    """A zip of about `size` bytes: random (so incompressible) data, stored."""
    path = trees.CACHE / "zips" / f"random-{size}.zip"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = random.Random(size)
        part = 4 * MIB
        with zipfile.ZipFile(path.with_suffix(".tmp"), "w", zipfile.ZIP_STORED) as archive:
            left, n = size - 400, 0
            while left > 0:
                archive.writestr(f"blob{n:03d}.bin", rng.randbytes(min(part, left)))
                left -= part
                n += 1
        path.with_suffix(".tmp").rename(path)
    return path


class Emulator:
    def __enter__(self) -> str:
        self._process = subprocess.Popen(
            [sys.executable, "-c", EMULATOR],
            env={**common.os.environ, "PYTHONPATH": str(common.ROOT / "tests")},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        prefix = "fgs-emulator listening on "
        if not line.startswith(prefix):
            self._process.kill()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        return line[len(prefix) :].strip()

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def action(inputs: dict[str, str], tag: str) -> tuple[float, int]:
    """Run the action on the cache folder as workspace: (wall s, peak RSS bytes)."""
    scratch = common.WORK / "memory" / tag
    env = common.action_env(trees.CACHE, scratch, inputs)
    wall, rss, _ = common.run_measured(common.ACTION, env, trees.CACHE)
    return wall, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tiny = trees.tiny_tree()
    trees.python_tree()
    zips = {size: ready_zip(size) for size in (INLINE_SIGNED, INLINE_TOKEN, THROUGH_OBS)}
    base = {"runtime": "Python3.9", "region": "cn-north-4", "project-id": common.PROJECT_ID}
    aksk = {"access-key": common.ACCESS_KEY, "secret-key": common.SECRET_KEY}
    token = {"auth-token": common.TOKEN}
    results: dict[str, list[int]] = {}

    def record(case: str, rss: int) -> None:
        results.setdefault(case, []).append(rss)

    with Emulator() as url:
        endpoints = {"endpoint": url, "iam-endpoint": url, "obs-endpoint": url}

        def publish(case: str, size: int, **more: str) -> None:
            inputs = {
                **base,
                **endpoints,
                **more,
                "if-unchanged": "publish",  # always upload, though the zip is the same
                "name": f"bench-{case}",
                "path": str(zips[size].relative_to(trees.CACHE)),
            }
            record(case, action(inputs, case)[1])

        for _ in range(args.rounds):
            dry = {**base, "name": "bench-dry", "path": tiny.name, "dry-run": "true"}
            record("dry", action(dry, "dry")[1])
            publish("signed", INLINE_SIGNED, **aksk)
            publish("token", INLINE_TOKEN, **token)
            publish("obs", THROUGH_OBS, **token, **{"obs-bucket": BUCKET, "depend-type": "obs"})
            for mode in ("streamed", "naive"):
                argv = [sys.executable, str(common.ROOT / "bench" / "rss_post.py"), url]
                argv += [common.PROJECT_ID, common.TOKEN, str(zips[INLINE_TOKEN]), mode]
                record(mode, common.run_measured(argv)[1])
            packaging = {**base, "name": "bench-pack", "path": "python", "dry-run": "true"}
            record("packaging", action(packaging, "packaging")[1])

    dry = common.median(results["dry"])

    def row(case: str, what: str, size: int | str, target: bool) -> list[str]:
        peak = common.median(results[case])
        above = peak - dry
        verdict = ("met" if above <= BUDGET else "NOT met") if target else "(no target)"
        shown = common.mb(size) if isinstance(size, int) else size
        return [what, shown, common.mb(peak), common.mb(above), verdict]

    rows = [
        ["dry run, 10-file tree (the reference)", "-", common.mb(dry), "0.0", "-"],
        row("signed", "action: inline, AK/SK (largest signed)", INLINE_SIGNED, False),
        row("token", "action: inline, token", INLINE_TOKEN, True),
        row("obs", "action: through OBS, token", THROUGH_OBS, True),
        row("streamed", "body code alone: JsonWithFile POST, token", INLINE_TOKEN, False),
        row("naive", "naive JSON body POST, token (comparison)", INLINE_TOKEN, False),
        row("packaging", "action: dry run of the pip tree (packaging)", "27 (88 of files)", False),
    ]
    print(f"Peak RSS, median of {args.rounds} rounds; {common.machine()}")
    print()
    headers = ["case", "zip MB", "peak RSS MB", "above dry run MB", "<= 80 MB above"]
    print(common.table(headers, rows))


if __name__ == "__main__":
    main()
