"""Running uv: its command line, the environment it (and any build it starts) gets, and the
passes that keep source builds to the packages that have no wheel for the target.

uv runs as a child process: in its own process group, so that a timeout or a cancelled job
kills it and anything it started (a build backend); its output is printed afterwards, inside
a log group, with the index credentials starred out and no line able to act as a workflow
command.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import ActionError
from ..github import runner
from ..github.runner import redact
from . import wheel_hints
from .package import Target
from .uv_errors import Indexes, explain, recognised

# The whole install, resolution, downloads and any builds: far longer than any sane install,
# short enough that a hung index does not hold a runner for the job's six hours.
INSTALL_TIMEOUT = 20 * 60
# What uv and a build backend may see of the job's environment: where programs are, a home
# and a temporary folder, the locale, and how to reach an index (proxies, certificates).
# Nothing else: the job's inputs (INPUT_SECRET-KEY...), its OIDC token request, and the
# files whose contents become the step's outputs and environment (GITHUB_OUTPUT...) stay out.
_PASSED = frozenset(
    {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "LC_ALL",
        "LC_CTYPE",
        "TZ",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "NIX_SSL_CERT_FILE",
    }
)
_PROXIES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})
# At most this many installs: each one after the first lets the packages the one before found
# without a wheel for the target be built from source (with allow-source).
_PASSES = 8
_NO_USABLE_WHEEL = re.compile(
    r"Because (?:all versions of )?(?P<name>[A-Za-z0-9._-]+?)(?:[=<>!~][^ ]*)? has no "
    r"(?:usable wheels|wheels with a matching)"
)


@dataclass(frozen=True)
class Install:
    """One uv install: what to install, for what, from where."""

    requirements: Path
    workspace: Path
    target: Target
    indexes: Indexes
    allow_source: bool
    require_hashes: bool
    cache: Path
    http_timeout: float
    secrets: tuple[str, ...]


def environment(http_timeout: float) -> dict[str, str]:
    """The environment uv gets: the allow-list above, and uv's own settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in _PASSED or name.lower() in _PROXIES
    }
    env["UV_HTTP_TIMEOUT"] = str(max(1, int(http_timeout)))
    env["NO_COLOR"] = "1"
    return env


def uv_command(install: Install, site: Path, built: frozenset[str] = frozenset()) -> list[str]:
    """The command line; `built`: the packages that may be built from source."""
    from uv import find_uv_bin  # the binary the `uv` wheel installed beside this Python

    command = [
        find_uv_bin(),
        "pip",
        "install",
        "--requirements",
        str(install.requirements),
        "--target",
        str(site),
        "--python-version",
        install.target.python_version,
        "--python-platform",
        install.target.platform,
        # Builds (with allow-source) run on this interpreter: never look for or fetch another.
        "--python",
        sys.executable,
        "--no-python-downloads",
        # Neither uv.toml nor pyproject settings of the workspace change what is installed.
        "--no-config",
        # Copies: the tree is edited afterwards (tidy), and hard links would edit the cache.
        "--link-mode",
        "copy",
        "--cache-dir",
        str(install.cache),
        "--no-progress",
        "--color",
        "never",
        # Wheels only, except for the packages named after it (uv lets --no-binary PACKAGE
        # override --only-binary :all:, and a build is then the only way for that package).
        "--only-binary",
        ":all:",
    ]
    for name in sorted(built):
        command += ["--no-binary", name]
    # No --compile-bytecode (and UV_COMPILE_BYTECODE is kept out): byte-code compiled here
    # would be for this image's Python.
    if install.require_hashes:
        command.append("--require-hashes")
    if install.indexes.index_url:
        command += ["--default-index", install.indexes.index_url]
    for url in install.indexes.extra:
        command += ["--index", url]
    return command


def run_uv(install: Install, site: Path, *, shown: str) -> None:
    """Install with wheels only; with allow-source, again with builds allowed for the packages
    uv found no wheel for, until it succeeds. On failure raise ActionError saying what to
    change. uv's output goes to the log, in a group, credentials starred out."""
    built: frozenset[str] = frozenset()
    first = ""
    with runner.group(f"Installing '{shown}' with uv for {install.target}"):
        # uv names the interpreter it found: that one runs source builds only.
        runner.info(f"Wheels are chosen for {install.target}, not for this image's Python.")
        for _ in range(_PASSES):
            code, text = _run(install, uv_command(install, site, built), shown)
            runner.untrusted(text.splitlines())
            if code == 0:
                return
            first = first or text
            names = {m["name"].lower() for m in _NO_USABLE_WHEEL.finditer(text)}
            if not install.allow_source or not names or names <= built:
                break
            built |= names
            runner.info(f"No wheel fits for {', '.join(sorted(names))}: building from source.")
    if first is not text and not recognised(text):
        text = first
    # uv says only that no wheel fits; the index's page says which would (never raises).
    hint = wheel_hints.hint(
        text, install.target, install.indexes, allow_source=install.allow_source
    )
    raise ActionError(explain(text, install.target, install.indexes, shown, hint))


def _run(install: Install, command: list[str], shown: str) -> tuple[int, str]:
    # The URLs are on uv's command line, which another process on the machine could read:
    # the container runs this one job, and the runner masks the credentials in the log.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment(install.http_timeout),
        cwd=install.workspace,  # local paths in the file are relative to it
        start_new_session=True,  # its own process group: killed whole below
    )
    output = b""
    timed_out = False
    try:
        output, _ = process.communicate(timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        # Also when the job is cancelled (SIGTERM raises Cancelled in this thread): uv and any
        # build it started must not outlive the step.
        if process.poll() is None:
            _kill_group(process)
    text = redact(output.decode("utf-8", "replace"), install.secrets)
    if timed_out:
        runner.untrusted(text.splitlines())
        raise ActionError(
            f"Installing '{shown}' took longer than {INSTALL_TIMEOUT // 60} minutes and was "
            "stopped; uv's output so far is in the group above."
        )
    return process.returncode, text


def _kill_group(process: "subprocess.Popen[bytes]") -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone, with all it started
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
