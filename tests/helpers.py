"""What the tests share: the constants of the emulated account, running the action the way the
runner does, and reading what it left behind (log, outputs, summary) as the runner reads it."""

import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from fgs_emulator import Emulator, RecordedRequest
from fgs_emulator.server import DEFAULT_OIDC_REQUEST_TOKEN

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


def start_emulator(cls: type[Emulator] = Emulator, **config: Any) -> Emulator:
    """An emulator (not yet started: use it in `with`) of the account the constants above
    describe, AK/SK and token sign-in and the bucket; `config` replaces any of that or adds
    to it (users, identity providers, ...)."""
    defaults: dict[str, Any] = {
        "credentials": {ACCESS_KEY: SECRET_KEY},
        "tokens": {TOKEN},
        "project_id": PROJECT_ID,
        "region": REGION,
        "buckets": {BUCKET},
    }
    return cls(**(defaults | config))


def emulator_fixture(
    cls: type[Emulator] = Emulator, *, scope: str = "function", **config: Any
) -> Any:
    """A pytest fixture serving `start_emulator(cls, **config)`: a module that needs another
    account assigns it to the fixture's name (`emu = emulator_fixture(users=...)`)."""

    @pytest.fixture(scope=scope)
    def serve() -> Iterator[Emulator]:
        with start_emulator(cls, **config) as emulator:
            yield emulator

    return serve


def calls(emu: Emulator, method: str, prefix: str) -> list[RecordedRequest]:
    """The requests `emu` received with `method` on a path that starts with `prefix`."""
    return [r for r in emu.requests if r.method == method and r.path.startswith(prefix)]


def oidc_env(emu: Emulator) -> dict[str, str]:
    """What the runner gives a container action in a job with `id-token: write`."""
    return {
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{emu.url}/_github/idtoken?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_OIDC_REQUEST_TOKEN,
    }


def load_script(name: str) -> ModuleType:
    """scripts/<name>.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_COMMAND = re.compile(r"::([A-Za-z-]+)(?: ([^:]*))?::(.*)")
_LEGACY = re.compile(r"##\[([A-Za-z-]+)")


@dataclass(frozen=True)
class Command:
    """A workflow command the runner carries out; a legacy one is named `##[name` and its
    data is the whole line."""

    name: str
    properties: dict[str, str]
    data: str


@dataclass(frozen=True)
class LogLine:
    text: str
    # The runner reads it as a command: a `::` line (the start and end of a
    # `::stop-commands::` fence among them), or one holding the older `##[name]`.
    acted_on: bool
    # What it carries out (None for plain text, a fence's start and end, a malformed `::` line).
    command: Command | None = None


def read_log(log: str) -> list[LogLine]:
    """Each line of `log` as the runner reads it: it trims a line before looking for `::` (an
    indented `::error::` still acts), tries the older `##[name]` anywhere in a line only where
    the line is not a `::` command, and acts on nothing between `::stop-commands::<token>`
    and `::<token>::` but that resume line."""
    lines: list[LogLine] = []
    resume: str | None = None
    for raw in log.splitlines():
        trimmed = raw.strip()
        if resume is not None:
            lines.append(LogLine(raw, acted_on=trimmed == resume))
            if trimmed == resume:
                resume = None
            continue
        match = _COMMAND.fullmatch(trimmed)
        if match:
            name, props, data = match.groups()
            if name == "stop-commands":
                resume = f"::{data}::"
                lines.append(LogLine(raw, acted_on=True))
                continue
            pairs = (p.split("=", 1) for p in (props or "").split(",") if "=" in p)
            lines.append(LogLine(raw, acted_on=True, command=Command(name, dict(pairs), data)))
            continue
        legacy = _LEGACY.search(raw)
        command = Command(f"##[{legacy[1]}", {}, raw) if legacy else None
        lines.append(LogLine(raw, trimmed.startswith("::") or bool(legacy), command))
    return lines


def command_lines(log: str) -> list[str]:
    """The lines of `log` the runner reads as workflow commands, trimmed as it reads them."""
    return [line.text.strip() for line in read_log(log) if line.acted_on]


def executed(log: str) -> list[Command]:
    """The workflow commands the runner would carry out, in order (fences left out)."""
    return [line.command for line in read_log(log) if line.command is not None]


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

    @property
    def warnings(self) -> list[str]:
        return [line for line in command_lines(self.log) if line.startswith("::warning")]

    def everything(self) -> str:
        """All that the run left behind, for secret checks."""
        left = b"".join(self.files_left.values()).decode("utf-8", "replace")
        # The runner consumes `::add-mask::` commands; they never reach the visible log
        # (but one printed inside a `::stop-commands::` fence is shown as it is).
        shown = [
            line.text
            for line in read_log(self.stdout + self.stderr)
            if not (line.acted_on and line.text.strip().startswith("::add-mask::"))
        ]
        return "\n".join([*shown, repr(self.outputs), self.summary, left])


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
    cancel_signal: signal.Signals = signal.SIGTERM,
) -> Run:
    """Run `python -m fgs_dependency` with the environment the runner gives a Docker action:
    every declared input present (empty when not given), hyphens kept in the names.
    `cancel_when`: send SIGTERM, as a cancelled job does (or `cancel_signal`), once it
    returns true. FGS_TEST_SRC, when set, is the source tree the action runs from (to see
    the tests fail on an older tree)."""
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
    if os.environ.get("FGS_TEST_SRC"):
        environment["PYTHONPATH"] = os.environ["FGS_TEST_SRC"]
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
        process.send_signal(cancel_signal)
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


def publish_inputs(emu: Emulator, **more: str) -> dict[str, str]:
    """The inputs of an ordinary AK/SK publish to the emulator."""
    return {
        "name": "demo-deps",
        "runtime": "Python3.9",
        "path": ".",
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


def _shown(cell: str) -> str:
    """A table cell's text as the reader sees it: a code span's text, or plain text with
    its escapes undone."""
    if cell.startswith("`") and cell.endswith("`"):
        return cell[1:-1].replace("\\|", "|")
    return re.sub(r"\\(.)", r"\1", cell)


def summary_table(summary: str, heading: str) -> list[tuple[str, ...]]:
    """The rows of the table under `#### heading` in a job summary, each cell as the reader
    sees it (the code span's text)."""
    lines = summary.splitlines()
    start = lines.index(f"#### {heading}") + 4  # the heading, a blank, the header, the rule
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
        rows.append(tuple(_shown(c.strip()) for c in cells))
    return rows


def summary_facts(summary: str) -> dict[str, str]:
    """The first two-column table of a job summary (the facts under its headline): label ->
    the value as shown."""
    lines = summary.splitlines()
    shown = {}
    for line in lines[lines.index("| | |") + 2 :]:
        if not line.startswith("|"):
            break
        label, value = (cell.strip() for cell in line.strip("|").split("|"))
        shown[label] = value.strip("`")
    return shown


def function_changes(summary: str) -> dict[str, tuple[str, str]]:
    """Function -> (before, after), from the summary's Functions table."""
    return {row[0]: (row[1], row[2]) for row in summary_table(summary, "Functions")}


def version_fates(summary: str) -> dict[str, str]:
    """Version number -> what happened to it, from the summary's Versions table."""
    return {row[0]: row[1] for row in summary_table(summary, "Versions")}
