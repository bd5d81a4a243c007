"""The runner interface: log lines, workflow commands, masks, outputs and the job summary.

Everything the action tells GitHub goes through here, on top of actions-toolkit,
which writes the `ghadelimiter_<uuid>` output format and escapes command data.
"""

import os
import secrets
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from actions_toolkit import core


def info(message: str) -> None:
    core.info(message)


def debug_enabled() -> bool:
    return os.environ.get("RUNNER_DEBUG") == "1"


def debug(message: str) -> None:
    core.debug(message)


def notice(message: str) -> None:
    core.notice(message)


def warning(message: str) -> None:
    core.warning(message)


def error(message: str) -> None:
    core.error(message)


def mask(secret: str) -> None:
    """Have the runner hide `secret` from every later log line."""
    # A mask of whitespace or a very short value would blank ordinary text.
    if secret.strip() and len(secret) >= 3:
        core.set_secret(secret)


@contextmanager
def group(title: str) -> Iterator[None]:
    core.start_group(title)
    try:
        yield
    finally:
        core.end_group()


def untrusted(lines: Iterable[str]) -> None:
    """Print text that others wrote (file names, server messages) so that no line of it
    can act as a workflow command."""
    token = secrets.token_hex(16)
    sys.stdout.write(f"::stop-commands::{token}\n")
    for line in lines:
        sys.stdout.write(line.replace("\r", "\\r").replace("\n", "\\n") + "\n")
    sys.stdout.write(f"::{token}::\n")


def set_outputs(outputs: Mapping[str, str]) -> None:
    if not os.environ.get("GITHUB_OUTPUT"):
        # Outside a runner (a local try-out): show what would have been set.
        untrusted(f"output {name}={value}" for name, value in outputs.items())
        return
    for name, value in outputs.items():
        core.set_output(name, value)


def append_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with Path(path).open("a", encoding="utf-8") as summary:
            summary.write(markdown)
