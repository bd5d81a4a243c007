"""Container figures: the image's size above its base, by layer, and its cold start.

    python3 bench/container.py [--runs 15] [--arch amd64|arm64]

Builds the real Dockerfile against the stand-in base (scripts/container.sh build; its layers are
cached after the first build), then times `podman run --rm` of a dry run of a small tree, from
the call to the exit; the same for /bin/true (what podman itself costs); and the action alone,
timed inside a container (what Python and the action cost). Medians of --runs, interleaved.
Targets (issue 5): the action's own layers at most 40 MB; cold start at most 1.0 s. An --arch
other than this machine's runs under qemu-user-static: its times are for information only.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_SH = ROOT / "scripts" / "container.sh"
WORK = ROOT / "bench" / ".work" / "container"
# A small `pip install --target`-style tree: 40 modules of about 4 KB.
SMALL_TREE = {f"python/pkg{i // 10}/mod{i}.py": f"VALUE_{i} = {i}\n" * 300 for i in range(40)}

# Run inside the image: the entrypoint (argv[2:]) argv[1] times; the seconds of each, as JSON.
ALONE = """
import json, subprocess, sys, time
seconds = []
for _ in range(int(sys.argv[1])):
    start = time.perf_counter()
    subprocess.run(sys.argv[2:], check=True, capture_output=True)
    seconds.append(time.perf_counter() - start)
print(json.dumps(seconds))
"""


def container(*args: str) -> str:
    """scripts/container.sh for the architecture in FGS_ARCH (set by main)."""
    return subprocess.run(
        ["bash", str(CONTAINER_SH), *args], check=True, capture_output=True, text=True
    ).stdout


def layers_above_base(image: str, base: str) -> list[tuple[int, str]]:
    mine = json.loads(container("podman", "history", "--format", "json", image))
    below = json.loads(container("podman", "history", "--format", "json", base))
    return [(layer["size"], layer["CreatedBy"]) for layer in reversed(mine[: -len(below)])]


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--arch", choices=("amd64", "arm64"))
    args = parser.parse_args()
    runs = args.runs
    if args.arch:
        os.environ["FGS_ARCH"] = args.arch
    image = f"localhost/fgs-dependency-action:bench-{args.arch or 'host'}"
    base = container("standin").strip()

    container("build", image)
    print(f"## Image {image}: layers above the base {base}\n")
    print("| size | layer |\n|---:|---|")
    layers = layers_above_base(image, base)
    for size, created_by in layers:
        step = created_by.removeprefix("/bin/sh -c ").removeprefix("#(nop) ").split("&&")[0]
        print(f"| {size / 1e6:.2f} MB | `{' '.join(step.split())[:70]}` |")
    print(f"| **{sum(size for size, _ in layers) / 1e6:.2f} MB** | total |\n")

    shutil.rmtree(WORK, ignore_errors=True)
    workspace = WORK / "workspace"
    for name, text in SMALL_TREE.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text)
    (WORK / "runner_temp").mkdir()
    run = ["bash", str(CONTAINER_SH), "run", "--workdir", "/github/workspace"]
    run += ["-v", f"{workspace}:/github/workspace", "-v", f"{WORK / 'runner_temp'}:/tmp/rt"]
    run += ["-e", "GITHUB_WORKSPACE=/github/workspace", "-e", "RUNNER_TEMP=/tmp/rt"]
    inputs = {"NAME": "bench", "RUNTIME": "Python3.9", "PATH": "python", "DRY-RUN": "true"}
    run += [f"-e=INPUT_{name}={value}" for name, value in inputs.items()]
    true = ["bash", str(CONTAINER_SH), "run", "--entrypoint", "/bin/true", image]
    entrypoint = json.loads(container("podman", "image", "inspect", image))[0]["Config"]
    inside = [*run, "--entrypoint", entrypoint["Entrypoint"][0], image, "-c", ALONE]
    inside += ["1", *entrypoint["Entrypoint"]]
    timed([*run, image])  # warm podman's own caches; every timed run is a new container

    # Interleaved, so that load from elsewhere on the machine weighs on each row alike.
    rows: dict[str, list[float]] = {}
    for _ in range(runs):
        rows.setdefault(f"dry run of {len(SMALL_TREE)} files", []).append(timed([*run, image]))
        rows.setdefault("/bin/true (podman and runc alone)", []).append(timed(true))
        alone = subprocess.run(inside, check=True, capture_output=True, text=True).stdout
        rows.setdefault("the action alone, inside a running container", []).extend(
            json.loads(alone)
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    arch = os.environ.get("FGS_ARCH", "this machine's architecture")
    print(f"## Cold start, {arch}, `podman run --rm` to exit (median of {runs}; load {load})\n")
    print("| what | median | range |\n|---|---:|---:|")
    for what, seconds in rows.items():
        report(what, seconds)


def report(what: str, seconds: list[float]) -> None:
    median = statistics.median(seconds)
    print(f"| {what} | {median:.3f} s | {min(seconds):.3f}-{max(seconds):.3f} s |")


if __name__ == "__main__":
    main()
