"""Container figures: the image's size above its base, by layer, and its cold start.

    python3 bench/container.py [--runs 15] [--arch amd64|arm64]

Builds the real Dockerfile against the stand-in base (scripts/container.sh build; its layers are
cached after the first build), then measures each layer above the base twice: uncompressed
(`podman history`, the tar of the layer) and as a registry stores it and a runner pulls it (the
gzip blob that `podman push --compression-format gzip IMAGE oci:DIR` writes), and what a runner
pulls in all, base included. Then times `podman run --rm` of a dry run of a small tree, from
the call to the exit; the same for /bin/true (what podman itself costs); and the action alone,
timed inside a container (what Python and the action cost). Medians of --runs, interleaved.
Budgets: the action's own layers at most 60 MB uncompressed and 25 MB pushed (issue 27; MB is
10^6 bytes); cold start at most 1.0 s (issue 5). An --arch other than this machine's runs under
qemu-user-static: its times are for information only.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_SH = ROOT / "scripts" / "container.sh"
WORK = ROOT / "bench" / ".work" / "container"
# A small `pip install --target`-style tree: 40 modules of about 4 KB.
SMALL_TREE = {f"python/pkg{i // 10}/mod{i}.py": f"VALUE_{i} = {i}\n" * 300 for i in range(40)}
MB = 1e6
BUDGET_UNCOMPRESSED = 60 * MB  # issue 27: uv's 38 MB binary is accepted
BUDGET_PUSHED = 25 * MB
GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

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


@dataclass(frozen=True)
class Layer:
    """One step of the image's history: its layer's tar and gzip blob sizes (0 for a step such
    as ENV, which makes no layer)."""

    step: str
    size: int
    pushed: int


@dataclass(frozen=True)
class Sizes:
    own: list[Layer]  # above the base, oldest first
    base_pushed: int  # the base's layers as gzip blobs


def measure_sizes(image: str, base: str) -> Sizes:
    """Sizes of the image's layers, uncompressed and as pushed, split at the base's last layer.

    A registry keeps the gzip blobs a push uploads and a runner pulls exactly those, so the
    image is pushed into an OCI layout (a registry's storage, on disk) and the manifest's blob
    sizes are read back. Its config's history marks the steps that make no layer, which pairs
    each layer with the `podman history` row that names its step and gives its tar's size.
    """
    history = list(reversed(json.loads(container("podman", "history", "--format", "json", image))))
    below = len(json.loads(container("podman", "history", "--format", "json", base)))
    base_ids = json.loads(container("podman", "image", "inspect", base))[0]["RootFS"]["Layers"]
    with tempfile.TemporaryDirectory(prefix="fgs-bench-oci-") as scratch:
        layout = Path(scratch) / "layout"
        container(
            "podman", "push", "--quiet", "--compression-format", "gzip", image, f"oci:{layout}:x"
        )

        def blob(digest: str) -> Any:
            return json.loads((layout / "blobs" / "sha256" / digest.split(":")[1]).read_bytes())

        manifest = blob(json.loads((layout / "index.json").read_text())["manifests"][0]["digest"])
        config = blob(manifest["config"]["digest"])
    blobs = manifest["layers"]
    if any(layer["mediaType"] != GZIP_LAYER for layer in blobs):
        raise SystemExit(f"podman push wrote layers other than gzip: {blobs}")
    if config["rootfs"]["diff_ids"][: len(base_ids)] != base_ids:
        raise SystemExit(f"{image} does not start with the layers of {base}")
    steps = config["history"]
    made = [not step.get("empty_layer") for step in steps]
    if len(steps) != len(history) or len(blobs) != sum(made) or sum(made[:below]) != len(base_ids):
        raise SystemExit(f"{image}: podman history and the pushed config disagree")
    layers: list[Layer] = []
    pushed = iter(layer["size"] for layer in blobs)
    for row, makes_layer in zip(history, made, strict=True):
        layers.append(Layer(row["CreatedBy"], row["size"], next(pushed) if makes_layer else 0))
    # The base's own steps come first.
    return Sizes(layers[below:], sum(layer.pushed for layer in layers[:below]))


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
    report_sizes(image, base, measure_sizes(image, base))

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


def report_sizes(image: str, base: str, sizes: Sizes) -> None:
    print(f"## Image {image}: layers above the base {base}\n")
    print("| uncompressed | pushed (gzip) | layer |\n|---:|---:|---|")
    for layer in sizes.own:
        step = layer.step.removeprefix("/bin/sh -c ").removeprefix("#(nop) ").split("&&")[0]
        step = " ".join(step.split())[:70]
        print(f"| {layer.size / MB:.2f} MB | {layer.pushed / MB:.2f} MB | `{step}` |")
    size, pushed = sum(x.size for x in sizes.own), sum(x.pushed for x in sizes.own)
    print(f"| **{size / MB:.2f} MB** | **{pushed / MB:.2f} MB** | total above the base |\n")

    total = sizes.base_pushed + pushed
    rows = [
        ("our layers, uncompressed", size, BUDGET_UNCOMPRESSED),
        ("our layers, pushed (gzip)", pushed, BUDGET_PUSHED),
        ("the base's layers, pushed (gzip)", sizes.base_pushed, None),
        ("**what a runner pulls** (the base's and ours, gzip)", total, None),
    ]
    print("| what | size | budget |\n|---|---:|---|")
    for what, value, budget in rows:
        verdict = "-"
        if budget is not None:
            verdict = f"<= {budget / MB:.0f} MB: {'met' if value <= budget else 'NOT met'}"
        print(f"| {what} | {value / MB:.2f} MB | {verdict} |")
    print()


def report(what: str, seconds: list[float]) -> None:
    median = statistics.median(seconds)
    print(f"| {what} | {median:.3f} s | {min(seconds):.3f}-{max(seconds):.3f} s |")


if __name__ == "__main__":
    main()
