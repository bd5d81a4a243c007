"""The runner interface: log lines, workflow commands, masks, outputs and the job summary.

Everything the action tells GitHub goes through here, on top of actions-toolkit's command
and file-command modules, which write the `ghadelimiter_<uuid>` output format and escape
command data. (Its `core` module wraps the same calls but imports requests for OIDC, which
would cost a dry run a tenth of a second of start-up.)
"""

import os
import re
import secrets
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from actions_toolkit.command import issue_command
from actions_toolkit.file_command import issue_file_command, prepare_key_value_message


def inert(text: str) -> str:
    """`text` as one log line that the runner cannot take for a workflow command.

    The one path for everything printed that may hold text from outside this code (server
    replies, file names, inputs). The runner reads commands from every line of stdout and
    stderr: `::name::` once leading blanks are trimmed, and the older `##[name]` anywhere in
    the line. So CR and LF are shown as `\\r` and `\\n`, a leading `::` gets a backslash
    before it, and `##[` becomes `#\\#[`.
    """
    line = text.replace("\r", "\\r").replace("\n", "\\n").replace("##[", "#\\#[")
    return "\\" + line if line.lstrip().startswith("::") else line


def info(message: str) -> None:
    sys.stdout.write(inert(message) + "\n")


def debug_enabled() -> bool:
    return os.environ.get("RUNNER_DEBUG") == "1"


def warning(message: str, warnings: list[str]) -> None:
    """A warning annotation, also added to `warnings`: the run's list (owned by the entry
    point and handed down) that the job summary shows, so that no warning is seen only by
    whoever opens the log."""
    issue_command("warning", {}, message)
    warnings.append(message)


def error(message: str, title: str) -> None:
    """An error annotation; its `title` is what the run's summary page shows for it."""
    issue_command("error", {"title": title}, message)


def mask(secret: str) -> None:
    """Have the runner hide `secret` from every later log line."""
    # A mask of whitespace or a very short value would blank ordinary text.
    if secret.strip() and len(secret) >= 3:
        issue_command("add-mask", {}, secret)


@contextmanager
def group(title: str) -> Iterator[None]:
    issue_command("group", {}, title)
    try:
        yield
    finally:
        issue_command("endgroup", {}, "")


def untrusted(lines: Iterable[str]) -> None:
    """Print text that others wrote (file names, server messages) so that no line of it
    can act as a workflow command."""
    token = secrets.token_hex(16)
    sys.stdout.write(f"::stop-commands::{token}\n")
    for line in lines:
        sys.stdout.write(inert(line) + "\n")
    sys.stdout.write(f"::{token}::\n")


def set_outputs(outputs: Mapping[str, str]) -> None:
    if not os.environ.get("GITHUB_OUTPUT"):
        # Outside a runner (a local try-out): show what would have been set.
        untrusted(f"output {name}={value}" for name, value in outputs.items())
        return
    for name, value in outputs.items():
        issue_file_command("OUTPUT", prepare_key_value_message(name, value))


def append_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with Path(path).open("a", encoding="utf-8") as summary:
            summary.write(markdown)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` (a server's error message, say) with these values starred out: a server that
    echoes the request's headers or body must not put them in the log."""
    for secret in secrets:
        if secret:
            # Any case: some libraries quote a header lower-cased (urllib3's DecodeError).
            text = re.sub(re.escape(secret), "***", text, flags=re.IGNORECASE)
    return text
