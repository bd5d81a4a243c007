"""Where a version came from, for its description when the 'description' input is empty: so
that which build made a version can be answered from FunctionGraph alone (the console and
ListDependencyVersions show the description)."""

from dataclasses import dataclass

# FunctionGraph's limit for a dependency version's description.
DESCRIPTION_LIMIT = 512


@dataclass(frozen=True)
class Build:
    """The runner's variables that say which build this is (empty outside a runner)."""

    server_url: str = ""  # GITHUB_SERVER_URL
    repository: str = ""  # GITHUB_REPOSITORY, owner/name
    run_id: str = ""  # GITHUB_RUN_ID
    sha: str = ""  # GITHUB_SHA
    ref: str = ""  # GITHUB_REF, refs/tags/v1.2.0


def _clean(value: str) -> str:
    # One line of printable text: a variable is the runner's, but the description is shown
    # wherever FunctionGraph shows it.
    return "".join(c for c in value if c.isprintable()).strip()


def describe(build: Build, limit: int = DESCRIPTION_LIMIT) -> str:
    """'Published by GitHub Actions from owner/repo at commit <sha> (refs/tags/v1): <run's
    address>', within `limit` characters (a long ref is shortened, never the address);
    empty when the repository is unknown (a local try-out)."""
    repository, sha, ref = _clean(build.repository), _clean(build.sha), _clean(build.ref)
    if not repository:
        return ""
    server, run_id = _clean(build.server_url).rstrip("/"), _clean(build.run_id)
    run = f"{server}/{repository}/actions/runs/{run_id}" if server and run_id else ""
    head = f"Published by GitHub Actions from {repository}" + (f" at commit {sha}" if sha else "")
    tail = f": {run}" if run else ""

    def text(shown_ref: str) -> str:
        return head + (f" ({shown_ref})" if shown_ref else "") + tail

    if len(text(ref)) > limit:
        room = limit - len(text("")) - len(" (…)")
        ref = ref[: max(room, 0)] + "…" if room > 0 else ""
    return text(ref)[:limit]
