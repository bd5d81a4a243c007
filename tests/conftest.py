"""Shared fixtures: the emulator, and running the action the way the runner does."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from fgs_emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
ACCESS_KEY = "HPUAEXAMPLEAK0000001"
SECRET_KEY = "zX9sEcReTkEy0000000000000000000000000001"
TOKEN = "MIIEXAMPLEtokenVALUE0123456789"
PROJECT_ID = "0123456789abcdef0123456789abcdef"
REGION = "cn-north-4"
BUCKET = "deps-bucket"
SECRETS = (SECRET_KEY, TOKEN)
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
DECLARED_INPUTS = tuple(ACTION["inputs"])
DECLARED_OUTPUTS = tuple(ACTION["outputs"])


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    runner_temp: Path
    files_left: dict[str, bytes] = field(default_factory=dict)

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    @property
    def errors(self) -> list[str]:
        return [line for line in command_lines(self.log) if line.startswith("::error")]

    def everything(self) -> str:
        """All that the run left behind, for secret checks."""
        left = b"".join(self.files_left.values()).decode("utf-8", "replace")
        # The runner consumes `::add-mask::` commands; they never reach the visible log
        # (but one printed inside a `::stop-commands::` fence is shown as it is).
        shown = [
            line
            for line, acted_on in _acted_on(self.stdout + self.stderr)
            if not (acted_on and line.strip().startswith("::add-mask::"))
        ]
        return "\n".join([*shown, repr(self.outputs), self.summary, left])


def _acted_on(log: str) -> list[tuple[str, bool]]:
    """Each line of `log`, and whether the runner acts on it as a workflow command: it
    trims a line before looking for `::` (an indented `::error::` still acts), and acts on
    nothing between `::stop-commands::<token>` and `::<token>::` but that resume line."""
    lines: list[tuple[str, bool]] = []
    resume: str | None = None
    for line in log.splitlines():
        trimmed = line.strip()
        if resume is not None:
            lines.append((line, trimmed == resume))
            if trimmed == resume:
                resume = None
            continue
        lines.append((line, trimmed.startswith("::")))
        if trimmed.startswith("::stop-commands::"):
            resume = f"::{trimmed.removeprefix('::stop-commands::')}::"
    return lines


def command_lines(log: str) -> list[str]:
    """The workflow commands in `log`, trimmed as the runner reads them."""
    return [line.strip() for line, acted_on in _acted_on(log) if acted_on]


def parse_outputs(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT as the runner does, insisting on the random-delimiter form."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_-]*)<<(ghadelimiter_[0-9a-f-]{36})", lines[i])
        assert match, f"not a heredoc output line: {lines[i]!r}"
        name, delimiter = match.groups()
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


def run_action(
    workspace: Path,
    inputs: Mapping[str, str],
    env: Mapping[str, str] | None = None,
    *,
    tmp: Path,
    cancel_when: Callable[[], bool] | None = None,
) -> Run:
    """Run `python -m fgs_dependency` with the environment the runner gives a Docker action:
    every declared input present (empty when not given), hyphens kept in the names.
    `cancel_when`: send SIGTERM, as a cancelled job does, once it returns true."""
    unknown = set(inputs) - set(DECLARED_INPUTS)
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    commands = tmp / "file_commands"
    runner_temp = tmp / "runner_temp"
    commands.mkdir(parents=True, exist_ok=True)
    runner_temp.mkdir(parents=True, exist_ok=True)
    output_file = commands / "set_output_1"
    summary_file = commands / "step_summary_1"
    output_file.write_text("")
    summary_file.write_text("")
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp),
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
        "RUNNER_TEMP": str(runner_temp),
        **{f"INPUT_{name.upper()}": "" for name in DECLARED_INPUTS},
        **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "fgs_dependency"],
        env=environment,
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if cancel_when is not None:
        deadline = time.monotonic() + 60
        while process.poll() is None and not cancel_when() and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    files_left = {
        str(p): p.read_bytes() for p in runner_temp.rglob("*") if p.is_file() and p.suffix != ".zip"
    }
    return Run(
        returncode=process.returncode,
        stdout=stdout,
        stderr=stderr,
        outputs=parse_outputs(output_file.read_text()),
        summary=summary_file.read_text(),
        runner_temp=runner_temp,
        files_left=files_left,
    )


def assert_no_secrets(run: Run, secrets: tuple[str, ...] = SECRETS) -> None:
    everything = run.everything()
    for secret in secrets:
        assert secret not in everything


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(
        credentials={ACCESS_KEY: SECRET_KEY},
        tokens={TOKEN},
        project_id=PROJECT_ID,
        region=REGION,
        buckets={BUCKET},
    ) as emu:
        yield emu


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    return ws


def publish_inputs(emu: Emulator, **more: str) -> dict[str, str]:
    """The inputs of an ordinary AK/SK publish to the emulator."""
    return {
        "name": "demo-deps",
        "runtime": "Python3.9",
        "region": REGION,
        "project-id": PROJECT_ID,
        "access-key": ACCESS_KEY,
        "secret-key": SECRET_KEY,
        "endpoint": emu.url,
        **more,
    }


def make_tree(root: Path, files: Mapping[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
    return root


@pytest.fixture(scope="session")
def report_rows() -> list[str]:
    """Lines a test module wants shown after the run (e.g. the fault matrix)."""
    return REPORT_ROWS


REPORT_ROWS: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT_ROWS:
        terminalreporter.section("fault matrix")
        for line in REPORT_ROWS:
            terminalreporter.write_line(line)
