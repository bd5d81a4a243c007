"""Reading a failed uv install: what went wrong, and which input to change, for the person
reading the CI log. uv's own words are kept where they explain (a resolution conflict); its
full output is in the log group just above the error. Written against uv 0.13 (pinned in
pyproject.toml): a message this does not recognise still fails the step, with uv's last
lines."""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .package import Target

PYPI = "https://pypi.org/simple"


@dataclass(frozen=True)
class Indexes:
    index_url: str  # '' for PyPI
    extra: tuple[str, ...]
    # Index and find-links URLs the requirements file names, each with its line ("line 3 of
    # 'requirements.txt'"): uv asks them too.
    in_file: tuple[tuple[str, str], ...] = ()


_NO_WHEEL = re.compile(
    r"Because (?P<name>[A-Za-z0-9._-]+)(?:==(?P<version>\S+))? has no wheels with a matching "
    r"(?P<what>[^(]+?) tag"
)
_WHEELS_FOR = re.compile(
    r"hint: Wheels are available for `(?P<name>[^`]+)` \(v(?P<version>[^)]+)\) "
    r"(?:on|with) the following (?P<what>[a-zA-Z ]+?): (?P<tags>.+)"
)
_SOURCE_ONLY = re.compile(
    r"Because (?P<name>[A-Za-z0-9._-]+)(?:==(?P<version>\S+))? has no usable wheels"
)
_BUILT_WHEEL = re.compile(r"The built wheel `(?P<wheel>[^`]+)` is not compatible")
_HASH = re.compile(r"Hash mismatch for `(?P<what>[^`]+)`")
_UNAUTHORIZED = re.compile(r"\b401\b|\b403\b|lack of valid authentication credentials")
_UNHASHED = re.compile(
    r"no trusted hash was provided for: `(?P<name>[^`]+)`|"
    r"all requirements must have a hash, but none were provided for: (?P<top>\S+)"
)
_URL = re.compile(r"https?://[^\s`)'\"]+")
_UNREACHABLE = re.compile(
    r"tcp connect error|dns error|Connection refused|connection closed|timed out|"
    r"operation timed out|error sending request|certificate|No route to host|"
    r"failed to lookup address",
    re.IGNORECASE,
)


def _bare(url: str) -> str:
    """A URL without credentials, query or trailing slash, to compare with another."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")


def _which_input(urls: list[str], indexes: Indexes) -> tuple[str, str]:
    """The input whose index one of `urls` (from uv's message) belongs to, and that index
    without credentials; ('index-url', PyPI) when none matches (PyPI is the default)."""
    configured = [("index-url", indexes.index_url or PYPI)]
    configured += [("extra-index-url", url) for url in indexes.extra]
    for url in urls:
        bare = _bare(url)
        for name, index in configured:
            if bare.startswith(_bare(index)) or _bare(index).startswith(bare):
                return name, _bare(index)
    # A file's URL may be on another host than its index page (PyPI's files.pythonhosted.org).
    name, index = configured[0]
    return name, _bare(index)


def _in_file(urls: list[str], indexes: Indexes) -> tuple[str, str] | None:
    """The address (without credentials) and line of an index the requirements file names
    that one of `urls` belongs to."""
    for url in urls:
        bare = _bare(url)
        for index, where in indexes.in_file:
            if bare.startswith(_bare(index)) or _bare(index).startswith(bare):
                return _bare(index), where
    return None


def recognised(output: str) -> bool:
    """Whether `explain` says more about `output` than uv's last lines."""
    patterns = (_NO_WHEEL, _SOURCE_ONLY, _BUILT_WHEEL, _HASH, _UNHASHED, _UNAUTHORIZED)
    return any(p.search(output) for p in patterns) or "No solution found" in output


def _tail(output: str, lines: int = 12) -> str:
    kept = [line for line in output.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def explain(
    output: str, target: "Target", indexes: Indexes, requirements: str, hint: str = ""
) -> str:
    """The error message for a failed install whose (redacted) output is `output`; `hint`:
    what the index says would fix a missing wheel (wheel_hints), said instead of the plain
    message for it."""
    after = " Nothing was published; uv's output is in the group above."
    no_wheel = _NO_WHEEL.search(output)
    source_only = _SOURCE_ONLY.search(output)
    if hint and (no_wheel or source_only or "No solution found" in output):
        return hint + after
    if no_wheel:
        name, version = no_wheel["name"], no_wheel["version"] or "(any version)"
        nearest = _WHEELS_FOR.search(output)
        found = (
            f" Wheels that exist for {nearest['name']} {nearest['version']}: "
            f"{nearest['tags'].replace('`', '')}."
            if nearest
            else ""
        )
        return (
            f"No wheel of {name} {version} fits {target} (no matching "
            f"{no_wheel['what'].strip()} tag).{found} Pin a version that has one, choose "
            "another 'platform' (e.g. x86_64-manylinux_2_28 for a newer glibc, if the "
            "function's runtime has it) or another runtime, or set allow-source: true if the "
            "package can be built as pure Python." + after
        )
    if source_only and "building from source is disabled" in output:
        name, version = source_only["name"], source_only["version"] or ""
        return (
            f"{name} {version} has only a source distribution, no wheel; set "
            "allow-source: true to build it (pure Python only: a build that gives a "
            "platform-specific wheel is refused), or pin a version that has a wheel for "
            f"{target}." + after
        ).replace("  ", " ")
    built = _BUILT_WHEEL.search(output)
    if built:
        return (
            f"Building from source gave `{built['wheel']}`, a platform-specific wheel for this "
            f"image's Python, not for the function ({target}); it is refused even with "
            "allow-source. Publish a wheel for the target to your index (cibuildwheel builds "
            "them), or pin a version that has one." + after
        )
    hashed = _HASH.search(output)
    if hashed:
        return (
            f"The hash of {hashed['what']} does not match the one in '{requirements}' (input "
            "'requirements'): the file the index served is not the one pinned. Fix the "
            "--hash in the requirements file (regenerate it with `uv pip compile "
            "--generate-hashes`) or check the index." + after
        )
    unhashed = _UNHASHED.search(output)
    if unhashed:
        return (
            f"'{requirements}' (input 'requirements') has --hash lines, so every package "
            "installed must be pinned with a hash, but "
            f"{unhashed['name'] or unhashed['top']} has none (a dependency the file does not "
            "list, or a line without --hash). Regenerate the file with `uv pip compile "
            "--generate-hashes`, which pins and hashes every dependency." + after
        )
    urls = _URL.findall(output)
    in_file = _in_file(urls, indexes)
    if in_file and (_UNAUTHORIZED.search(output) or _UNREACHABLE.search(output)):
        index, where = in_file
        what = "refused the credentials" if _UNAUTHORIZED.search(output) else "could not be reached"
        return (
            f"The package index {index}, named on {where} (input 'requirements'), {what}: "
            "fix that line (the address, its credentials, and that the runner can reach it), "
            "or remove it to use input 'index-url'." + after
        )
    if _UNAUTHORIZED.search(output):
        name, index = _which_input(urls, indexes)
        return (
            f"The package index {index} refused the credentials (401/403): fix the user and "
            f"password or token in input '{name}' (https://USER:PASSWORD@host/...), or the "
            "secret it comes from." + after
        )
    if "No solution found when resolving dependencies" in output:
        explanation = output.split("No solution found when resolving dependencies", 1)[1]
        explanation = "\n".join(
            line.strip().removeprefix("cause: ").removeprefix(":").strip()
            for line in explanation.splitlines()
            if line.strip()
        )
        return (
            f"The requirements in '{requirements}' cannot be installed together for {target}. "
            f"uv's explanation: {explanation}" + after
        )
    if _UNREACHABLE.search(output):
        name, index = _which_input(urls, indexes)
        return (
            f"The package index {index} could not be reached: check input '{name}' (the "
            "address, and that the runner can reach it: a private index needs a self-hosted "
            "runner in its network)." + after
        )
    return f"uv could not install '{requirements}' for {target}:\n{_tail(output)}" + after
