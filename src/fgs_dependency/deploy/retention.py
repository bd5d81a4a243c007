"""Retiring old versions of the dependency, for this run's runtime only: keep the newest N
of the runtime, the one just published or reused and any newer one, every version a
function or a published function version uses, every version created in the last
RECENT_SECONDS by the service's clock (another run may be about to attach it), and never
the last (deleting it deletes the dependency and its id). Versions of other runtimes belong
to other jobs of a matrix and are never touched.

A failed deletion is a warning: the publish it follows has succeeded."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import ActionError, ApiError, Cancelled
from ..github import runner
from ..huaweicloud import client, dependencies, paging
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.function_api import (
    Context,
    bare_urn,
    functions_path,
    list_functions,
    read_config,
)
from ..huaweicloud.retry import with_retries

Fate = Literal[
    "deleted",
    "already gone",
    "kept: in use",
    "kept: not deleted",
    "kept: newest",
    "kept: this run's",
    "kept: newer than this run's",
    "kept: recent",
    "kept: another runtime",
]
# A version this young may be one another run has just published or adopted and not yet
# attached (FunctionGraph has no lock): attaching takes seconds to minutes, so a quarter of
# an hour leaves a wide margin. Measured by the service's clock (the list reply's Date
# header), never this machine's.
RECENT_SECONDS = 15 * 60


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
    # Named by whoever publishes them ("v20220510-190658", "prod-1"), not only by digits;
    # "latest" is the function itself, read already.
    names = {i.get("version") for i in items if isinstance(i, dict)}
    return sorted(n for n in names if isinstance(n, str) and n and n != "latest")


def versions_in_use(ctx: Context, switched: Mapping[str, set[str]] | None = None) -> set[str]:
    """Dependency version ids used by any function, latest or published. There is no
    reverse lookup: every function's configurations are read. `switched`: functions (by
    URN) whose latest would hold these ids instead (a plan's prediction)."""
    in_use: set[str] = set()
    for function in list_functions(ctx):
        urn = bare_urn(function["func_urn"])
        if switched is not None and urn in switched:
            in_use.update(switched[urn])
        else:
            in_use.update(read_config(ctx, urn).depend_version_list)
        for published in _published_versions(ctx, urn):
            in_use.update(read_config(ctx, f"{urn}:{published}").depend_version_list)
    return in_use


def plan(
    versions: list[DependencyVersion], keep: int, current: DependencyVersion, now: float | None
) -> tuple[list[DependencyVersion], list["Retired"]]:
    """The versions retention may delete (oldest first), and every other one with the
    reason it stays. `now`: the service's time (None: unknown, then the newest creation
    time listed stands in for it, which can only make more versions count as recent)."""
    if now is None:
        now = max((v.last_modified or 0 for v in versions), default=0)
    mine = sorted((v for v in versions if v.runtime == current.runtime), key=_number)
    newest = {v.id for v in mine[-keep:]}
    chosen: list[DependencyVersion] = []
    kept: list[Retired] = []
    for version in mine:
        number = _number(version)
        if version.id == current.id:
            kept.append(Retired(number, "kept: this run's", "published or reused by this run"))
        elif number > _number(current):
            kept.append(Retired(number, "kept: newer than this run's", "another run published it"))
        elif version.id in newest:
            kept.append(Retired(number, "kept: newest", f"one of the newest {keep}"))
        elif version.last_modified is None:
            why = "its creation time is unknown; another run may be about to attach it"
            kept.append(Retired(number, "kept: recent", why))
        elif now - version.last_modified < RECENT_SECONDS:
            age = max(int(now - version.last_modified), 0)
            why = (
                f"created {age} s ago, under {RECENT_SECONDS // 60} minutes; another run may "
                "be about to attach it"
            )
            kept.append(Retired(number, "kept: recent", why))
        else:
            chosen.append(version)
    for version in versions:
        if version.runtime != current.runtime:
            kept.append(
                Retired(_number(version), "kept: another runtime", f"for {version.runtime}")
            )
    if len(chosen) >= len(versions):  # cannot happen: the current one stays; the last one stays
        chosen = chosen[:-1]
    return chosen, sorted(kept, key=lambda r: r.number)


def _number(version: DependencyVersion) -> int:
    return version.version or 0


def _delete(ctx: Context, dep_id: str, number: int) -> Retired:
    path = f"/v2/{ctx.functiongraph.project_id}/fgs/dependencies/{dep_id}/version/{number}"
    lost: list[bool] = []

    def lost_reply() -> None:
        # A try whose reply was lost may have deleted it: a 404 after it is this run's doing.
        lost.append(True)

    try:
        with_retries(
            f"Deleting version {number}",
            lambda: client.exchange(ctx.session, ctx.functiongraph, "DELETE", path),
            ctx.retries,
            recover=lost_reply,
        )
    except Cancelled:
        raise  # the job was cancelled: stop deleting, and fail
    except ApiError as err:
        if err.status == 404 and lost:
            runner.info(
                f"Version {number}: deleted by this run (the reply to its delete request was "
                "lost; asked again, FunctionGraph no longer has it)"
            )
            return Retired(number, "deleted", "its reply was lost; the retry found it gone")
        if err.status == 404:
            return Retired(number, "already gone")
        if err.status == 412 and err.code == "FSS.1033":
            return Retired(number, "kept: in use", "FunctionGraph says it is in use")
        return Retired(number, "kept: not deleted", str(err))
    except ActionError as err:
        return Retired(number, "kept: not deleted", str(err))
    return Retired(number, "deleted")


def listed(ctx: Context, dep_id: str) -> tuple[list[DependencyVersion], float | None]:
    """The dependency's versions and the service's clock, as `plan` takes them."""
    return with_retries(
        "Listing the versions to retire",
        lambda: dependencies.versions_and_clock(ctx.session, ctx.functiongraph, dep_id),
        ctx.retries,
    )


def kept_in_use(number: int) -> Retired:
    return Retired(number, "kept: in use", "a function or function version uses it")


def retire(ctx: Context, current: DependencyVersion, keep: int) -> Iterator[Retired]:
    """Delete what may go, yielding each version considered as it is settled, with why each
    one left stays: a cancel part way leaves the caller what was done. Never raises for a
    failure to delete: those are warnings (a cancel does raise)."""
    try:
        versions, now = listed(ctx, current.dep_id)
        old, kept = plan(versions, keep, current, now)
        in_use = versions_in_use(ctx) if old else set()
    except Cancelled:
        raise
    except ActionError as err:
        runner.warning(
            f"Old versions were not deleted: {err} The publish itself succeeded; grant the "
            "permissions the README lists for 'keep-versions', or delete old versions by hand.",
            ctx.warnings,
        )
        return
    yield from kept
    for version in old:
        number = version.version or 0
        if version.id in in_use:
            yield kept_in_use(number)
            continue
        result = _delete(ctx, current.dep_id, number)
        if result.fate == "kept: not deleted":
            runner.warning(
                f"Version {number} of '{current.name}' was not deleted: {result.reason}",
                ctx.warnings,
            )
        yield result
