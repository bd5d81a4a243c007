"""'requirements': the whole step (install + package) against what users do today.

    python bench/bench_requirements.py [--rounds 3] [--cold-rounds 1]

Both build numpy, pandas, requests and pydantic (REQUIREMENTS below) for Python 3.12 on
manylinux2014 x86_64 from the real PyPI, on this machine, in turns:
- "pip + zip -r": `pip install --target T --python-version 3.12 --platform
  manylinux2014_x86_64 --only-binary=:all: --implementation cp -r requirements.txt` (the
  recipe AWS documents for a foreign target; this machine has no Python 3.12), then Info-ZIP
  `zip -r -X -q` in T; wall time of both, from the calls to the exits.
- "the action": a dry run with `requirements` (a fresh process as the image starts it: uv,
  then packaging, the log, the outputs and the summary), from the call to the exit.
Warm: each keeps its cache between rounds (pip's --cache-dir; the action's uv cache under
RUNNER_TEMP, where it lives in a job). Cold: a new, empty cache each round. Medians.
Target (issue 22): the action at least 3x faster, warm.
"""

import argparse
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import common

REQUIREMENTS = "numpy==2.2.6\npandas==2.2.3\nrequests==2.32.3\npydantic==2.10.6\n"
CA = "/etc/ssl/certs/ca-certificates.crt"


def pip_and_zip(work: Path, requirements: Path, cache: Path) -> tuple[float, int, int]:
    """(wall seconds, files, zip bytes) of pip install --target then zip -r."""
    target = work / "target"
    shutil.rmtree(target, ignore_errors=True)
    out = work / "pip.zip"
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--isolated", "--cert", CA),
            *("--disable-pip-version-check", "--cache-dir", str(cache)),
            *("--target", str(target), "--python-version", "3.12", "--implementation", "cp"),
            *("--platform", "manylinux2014_x86_64", "--only-binary=:all:"),
            *("-r", str(requirements)),
        ],
        check=True,
    )
    subprocess.run(["zip", "-r", "-X", "-q", str(out), "."], cwd=target, check=True)
    wall = time.perf_counter() - start
    with zipfile.ZipFile(out) as zipped:
        files = sum(1 for info in zipped.infolist() if not info.is_dir())
    return wall, files, out.stat().st_size


def action(work: Path, workspace: Path, runner_temp: Path) -> tuple[float, int, int, str]:
    """(wall seconds, files, zip bytes, package_md5) of a dry run with 'requirements'."""
    scratch = work / "action"
    shutil.rmtree(scratch, ignore_errors=True)
    env = common.action_env(
        workspace,
        scratch,
        {
            "name": "bench",
            "runtime": "Python3.12",
            "requirements": "requirements.txt",
            "dry-run": "true",
        },
    )
    env["RUNNER_TEMP"] = str(runner_temp)
    env["SSL_CERT_FILE"] = CA
    runner_temp.mkdir(parents=True, exist_ok=True)
    child = common.run_child(common.ACTION, env, cwd=workspace)
    outputs = common.read_outputs(scratch / "output")
    package = Path(outputs["package_path"])
    size = package.stat().st_size
    md5 = outputs["package_md5"]
    shutil.rmtree(package.parent)  # the tree and zip; the cache beside it stays
    return child.wall, int(outputs["file_count"]), size, md5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-rounds", type=int, default=1)
    args = parser.parse_args()
    common.compile_sources()
    work = common.WORK / "requirements"
    shutil.rmtree(work, ignore_errors=True)
    workspace = work / "workspace"
    workspace.mkdir(parents=True)
    requirements = workspace / "requirements.txt"
    requirements.write_text(REQUIREMENTS)
    started = common.machine()

    rows = []
    md5s: set[str] = set()
    for label, rounds, warm in (("cold", args.cold_rounds, False), ("warm", args.rounds, True)):
        pip_times, our_times = [], []
        pip_files = pip_size = our_files = our_size = 0
        if warm:  # one untimed round of each fills the caches
            pip_and_zip(work, requirements, work / "pip-cache")
            action(work, workspace, work / "runner_temp")
        for n in range(rounds):
            pip_cache = work / ("pip-cache" if warm else f"pip-cold-{n}")
            runner_temp = work / ("runner_temp" if warm else f"runner_temp-cold-{n}")
            wall, pip_files, pip_size = pip_and_zip(work, requirements, pip_cache)
            pip_times.append(wall)
            wall, our_files, our_size, md5 = action(work, workspace, runner_temp)
            our_times.append(wall)
            md5s.add(md5)
            if not warm:
                shutil.rmtree(pip_cache, ignore_errors=True)
                shutil.rmtree(runner_temp, ignore_errors=True)
        pip_s, ours_s = common.median(pip_times), common.median(our_times)
        speed_up = pip_s / ours_s
        target = ("met" if speed_up >= 3 else "NOT met") if warm else "-"
        rows.append(
            [
                f"{label} cache",
                rounds,
                f"{pip_s:.2f}",
                f"{ours_s:.2f}",
                f"{speed_up:.1f}x",
                f"{pip_files:,}",
                f"{our_files:,}",
                common.mb(pip_size),
                common.mb(our_size),
                f">= 3x: {target}",
            ]
        )
    print(
        "numpy, pandas, requests, pydantic for Python 3.12 on manylinux2014 x86_64 from PyPI: "
        f"pip install --target + zip -r against the action's dry run; {started}\n"
    )
    print(
        common.table(
            [
                "",
                "rounds",
                "pip + zip -r s",
                "the action s",
                "speed-up",
                "pip files",
                "our files",
                "pip zip MB",
                "our zip MB",
                "target",
            ],
            rows,
        )
    )
    same = "yes" if len(md5s) == 1 else f"NO ({len(md5s)} different)"
    print(f"\nThe action's zip the same in every round, cold and warm: {same}")


if __name__ == "__main__":
    main()
