"""'requirements': the whole dry-run step against its floor, in one run.

    python bench/bench_floor.py [--rounds 5]

The same requirements as bench_requirements.py (numpy, pandas, requests, pydantic for
Python 3.12 on x86_64-manylinux2014, from PyPI), with a warm uv cache (one untimed run fills
it). In turns, each round:
- "the step": a dry run with `requirements` (uv, the checks, packaging, log, outputs,
  summary), a fresh process, from the call to the exit;
- "uv alone": uv installing the same file into an empty target from the same cache, with the
  options the action gives it (wheels only, copies, no config);
- "packaging": a dry run with `path` naming the tree uv alone installed (the action's walk,
  checks, zip, log, outputs, summary).
The floor is uv alone + packaging; the ratio is the step over the floor, of the medians.
Then the ELF reading (packaging/elf.py) alone, in this process, over the installed tree:
its median time, the files it opened and the bytes it read. Target (issue 27): the ratio
stays near 1.2-1.3x and the ELF reading adds at most 0.1 s.
"""

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import common
from bench_requirements import CA, REQUIREMENTS


def _step(workspace: Path, scratch: Path, cache: Path, inputs: dict[str, str]) -> float:
    shutil.rmtree(scratch, ignore_errors=True)
    env = common.action_env(
        workspace,
        scratch,
        {"name": "floor", "runtime": "Python3.12", "dry-run": "true", **inputs},
    )
    env["RUNNER_TEMP"] = str(cache)
    env["SSL_CERT_FILE"] = CA
    cache.mkdir(parents=True, exist_ok=True)
    child = common.run_child(common.ACTION, env, cwd=workspace)
    outputs = common.read_outputs(scratch / "output")
    shutil.rmtree(Path(outputs["package_path"]).parent)
    return child.wall


def _uv_alone(workspace: Path, target: Path, cache: Path) -> float:
    from uv import find_uv_bin

    shutil.rmtree(target, ignore_errors=True)
    argv = [
        find_uv_bin(),
        *("pip", "install", "--requirements", str(workspace / "requirements.txt")),
        *("--target", str(target), "--python-version", "3.12"),
        *("--python-platform", "x86_64-manylinux2014", "--only-binary", ":all:"),
        *("--python", common.sys.executable, "--no-python-downloads"),
        *("--no-config", "--link-mode", "copy", "--no-progress", "--quiet"),
        *("--cache-dir", str(cache / "fgs-dependency-uv-cache")),
    ]
    env = {"PATH": common.os.environ["PATH"], "HOME": str(cache), "SSL_CERT_FILE": CA}
    return common.run_child(argv, env, cwd=workspace).wall


def _elf_reading(tree: Path, rounds: int) -> tuple[float, int, int] | None:
    """(median seconds, files opened, bytes read) of elf.scan over `tree`; None before it
    existed."""
    try:
        from fgs_dependency.packaging import elf
    except ImportError:
        return None
    from fgs_dependency.packaging.tree import collect

    entries, _ = collect(tree, (), "")
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        elf.scan(entries)
        times.append(time.perf_counter() - start)
    opened = read = 0
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        nonlocal opened
        opened += 1
        handle = real_open(self, *args, **kwargs)
        original = handle.read

        def counted(size: int = -1) -> bytes:
            nonlocal read
            data: bytes = original(size)
            read += len(data)
            return data

        handle.read = counted
        return handle

    Path.open = counting_open  # type: ignore[method-assign]
    try:
        elf.scan(entries)
    finally:
        Path.open = real_open  # type: ignore[method-assign]
    return common.median(times), opened, read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    common.compile_sources()
    work = common.WORK / "floor"
    shutil.rmtree(work, ignore_errors=True)
    workspace = work / "workspace"
    workspace.mkdir(parents=True)
    (workspace / "requirements.txt").write_text(REQUIREMENTS)
    tree = workspace / "tree"
    cache = work / "runner_temp"
    started = common.machine()
    requirements = {"requirements": "requirements.txt"}
    _step(workspace, work / "step", cache, requirements)  # fills the uv cache
    steps, uvs, packs = [], [], []
    for _ in range(args.rounds):
        steps.append(_step(workspace, work / "step", cache, requirements))
        uvs.append(_uv_alone(workspace, tree, cache))
        packs.append(_step(workspace, work / "pack", cache, {"path": "tree"}))
    files = sum(1 for p in tree.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    step, uv, pack = (common.median(t) for t in (steps, uvs, packs))
    print(
        "numpy, pandas, requests, pydantic for Python 3.12 on x86_64-manylinux2014, warm uv "
        f"cache, {args.rounds} rounds, medians; tree: {files:,} files, {common.mb(size)} MB; "
        f"{started}\n"
    )
    rows = [
        [
            f"{step:.2f}",
            f"{uv:.2f}",
            f"{pack:.2f}",
            f"{uv + pack:.2f}",
            f"{step / (uv + pack):.2f}x",
            f"{min(steps):.2f}-{max(steps):.2f}",
        ]
    ]
    headers = ["the step s", "uv alone s", "packaging s", "floor s", "step / floor", "step range"]
    print(common.table(headers, rows))
    reading = _elf_reading(tree, args.rounds)
    if reading is None:
        print("\nELF reading: not in this version")
    else:
        seconds, opened, read = reading
        verdict = "met" if seconds <= 0.1 else "NOT met"
        print(
            f"\nELF reading over the tree: {seconds * 1000:.1f} ms (median), {opened} files "
            f"opened, {read / 1024:.0f} KiB read; <= 0.1 s: {verdict}"
        )


if __name__ == "__main__":
    main()
