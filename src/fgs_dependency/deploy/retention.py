"""Retiring old versions of the dependency: keep the newest N, the one just published or
reused, every version a function or a published function version uses, and never the last
(deleting it deletes the dependency and its id).

A failed deletion is a warning: the publish it follows has succeeded."""

from dataclasses import dataclass
from typing import Literal

from ..errors import ActionError, ApiError
from ..github import runner
from ..huaweicloud import client, dependencies, paging
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.function_api import Context, bare_urn, functions_path, list_functions, read_code
from ..huaweicloud.retry import with_retries

Fate = Literal["deleted", "already gone", "kept: in use", "kept: not deleted"]


@dataclass(frozen=True)
class Retired:
    number: int
    fate: Fate
    reason: str = ""


def _published_versions(ctx: Context, urn: str) -> list[str]:
    path = f"{functions_path(ctx.functiongraph, urn)}/versions"
    items = with_retries(
        f"Listing the published versions of {urn}",
        lambda: paging.pages(ctx.session, ctx.functiongraph, path, [], key="versions"),
        ctx.retries,
    )
    numbers = {str(i.get("version")) for i in items if isinstance(i, dict)}
    return sorted(n for n in numbers if n.isdigit())


def versions_in_use(ctx: Context) -> set[str]:
    """Dependency version ids used by any function, latest or published. There is no
    reverse lookup: every function's configurations are read."""
    in_use: set[str] = set()
    for function in list_functions(ctx):
        urn = bare_urn(function["func_urn"])
        in_use.update(read_code(ctx, urn, "config").depend_version_list)
        for number in _published_versions(ctx, urn):
            in_use.update(read_code(ctx, f"{urn}:{number}", "config").depend_version_list)
    return in_use


def candidates(
    versions: list[DependencyVersion], keep: int, current: DependencyVersion
) -> list[DependencyVersion]:
    """The versions retention may delete, oldest first: all but the newest `keep`, the
    current one, and at least one."""
    ordered = sorted(versions, key=lambda v: v.version or 0)
    older = ordered[: max(len(ordered) - keep, 0)]
    chosen = [v for v in older if v.id != current.id]
    if len(chosen) >= len(ordered):  # cannot happen with keep >= 1; the last one stays
        chosen = chosen[:-1]
    return chosen


def _delete(ctx: Context, dep_id: str, number: int) -> Retired:
    path = f"/v2/{ctx.functiongraph.project_id}/fgs/dependencies/{dep_id}/version/{number}"
    try:
        with_retries(
            f"Deleting version {number}",
            lambda: client.exchange(ctx.session, ctx.functiongraph, "DELETE", path),
            ctx.retries,
        )
    except ApiError as err:
        if err.status == 404:
            return Retired(number, "already gone")
        if err.status == 412 and err.code == "FSS.1033":
            return Retired(number, "kept: in use", "FunctionGraph says it is in use")
        return Retired(number, "kept: not deleted", str(err))
    except ActionError as err:
        return Retired(number, "kept: not deleted", str(err))
    return Retired(number, "deleted")


def retire(ctx: Context, current: DependencyVersion, keep: int) -> list[Retired]:
    """Delete what may go; report every version considered. Never raises for a failure
    to delete: those are warnings."""
    try:
        versions = with_retries(
            "Listing the versions to retire",
            lambda: dependencies.list_versions(ctx.session, ctx.functiongraph, current.dep_id),
            ctx.retries,
        )
        old = candidates(versions, keep, current)
        in_use = versions_in_use(ctx) if old else set()
    except ActionError as err:
        runner.warning(
            f"Old versions were not deleted: {err} The publish itself succeeded; grant the "
            "permissions the README lists for 'keep-versions', or delete old versions by hand."
        )
        return []
    results: list[Retired] = []
    for version in old:
        number = version.version or 0
        if version.id in in_use:
            results.append(
                Retired(number, "kept: in use", "a function or function version uses it")
            )
            continue
        result = _delete(ctx, current.dep_id, number)
        if result.fate == "kept: not deleted":
            runner.warning(f"Version {number} of '{current.name}' was not deleted: {result.reason}")
        results.append(result)
    return results
