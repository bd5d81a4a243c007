"""Shared helpers of the benchmarks: running the action as the runner does, timing, tables."""

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PROJECT_ID = "0123456789abcdef0123456789abcdef"
ACCESS_KEY = "DEMOACCESSKEY0000001"  # the emulator's defaults (python -m fgs_emulator)
SECRET_KEY = "demo-secret-key-0000000000000000000000"
TOKEN = "demo-token"
# The image's ENTRYPOINT (Dockerfile), with this venv's interpreter: a fresh process, no
# byte-code written, the job's PYTHON* variables ignored.
ACTION = [sys.executable, "-I", "-u", "-B", "-m", "fgs_dependency"]


def compile_sources() -> None:
    """Byte-compile the action's modules, as pip does when the image installs its wheel:
    otherwise a run with -B would compile every edited module each time it starts."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def declared_inputs() -> list[str]:
    import yaml  # a test dependency, in the project's venv

    return list(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])


def action_env(workspace: Path, scratch: Path, inputs: Mapping[str, str]) -> dict[str, str]:
    """The environment the runner gives the action's container: every input present."""
    scratch.mkdir(parents=True, exist_ok=True)
    for name in ("output", "summary"):
        (scratch / name).write_text("")
    (scratch / "runner_temp").mkdir(exist_ok=True)
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(scratch),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(scratch / "output"),
        "GITHUB_STEP_SUMMARY": str(scratch / "summary"),
        "RUNNER_TEMP": str(scratch / "runner_temp"),
        **{f"INPUT_{name.upper()}": "" for name in declared_inputs()},
        **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
    }


def run_measured(
    argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, int, str]:
    """Run a child to its end: (wall seconds, peak RSS in bytes, stdout+stderr).

    The peak RSS is the child's own (wait4's rusage), whatever else runs on the machine."""
    child = run_child(argv, env, cwd)
    return child.wall, child.rss, child.output


@dataclass(frozen=True)
class Child:
    wall: float  # seconds from the call to the exit
    cpu: float  # user + system seconds of the child (all its threads)
    rss: int  # peak RSS in bytes
    output: str  # stdout and stderr


def run_child(
    argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Child:
    """Run a child to its end and measure it with wait4's rusage, its own figures whatever
    else runs on the machine."""
    start = time.perf_counter()
    child = subprocess.Popen(
        argv,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert child.stdout is not None
    output = child.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({child.returncode}):\n{output[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Child(wall, cpu, usage.ru_maxrss * 1024, output)


def read_outputs(path: Path) -> dict[str, str]:
    """The outputs in a GITHUB_OUTPUT file (`name<<delimiter`, value lines, delimiter)."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        value = []
        for part in lines:
            if part == delimiter:
                break
            value.append(part)
        outputs[name] = "\n".join(value)
    return outputs


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, aligned for the terminal too."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    cpus = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    return (
        f"Python {sys.version.split()[0]}, {cpus} CPUs, load average {load:.2f} at the start, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def mb(size: float) -> str:
    return f"{size / 1e6:.1f}"
