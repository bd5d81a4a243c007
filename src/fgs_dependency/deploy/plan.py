"""`dry-run: plan`: sign in and read, and say what the real run would do: the route, the
version it would publish or reuse, each function's dependencies before and after, and the
versions `keep-versions` would delete. Every request here reads (sign-in aside); nothing is
created, uploaded, changed or deleted.

The calls into publish, functions and retention are kept together in make_plan, so that
they follow those modules when they change. The data types need no requests."""

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..github import runner
from ..inputs.choices import Route
from ..inputs.settings import Inputs
from ..packaging.package import Package
from .route import choose_route

if TYPE_CHECKING:
    from ..huaweicloud.dependencies import DependencyVersion
    from ..huaweicloud.function_api import Context
    from .retention import Retired

# The id the plan gives the version it would publish: none exists yet.
_NEW_ID = "new-version"


@dataclass(frozen=True)
class FunctionChange:
    """One function of 'functions': its dependencies now, and after the real run."""

    urn: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    after_ids: tuple[str, ...]  # the dependency version ids it would hold

    @property
    def changes(self) -> bool:
        return set(self.before) != set(self.after)


@dataclass(frozen=True)
class Plan:
    route: Route
    reuse: int | None  # the version if-unchanged: skip would reuse; None: a new one
    version: int | None  # the number it would have (a new one: the next, as things stand)
    functions: tuple[FunctionChange, ...]
    deletions: tuple[int, ...]
    kept: tuple["Retired", ...]  # every other version of the runtime, with its reason
    keep_versions: bool  # whether 'keep-versions' was given

    def as_json(self) -> str:
        """The `plan` output, for a pull-request comment step."""
        return json.dumps(
            {
                "route": self.route,
                "would_publish": self.reuse is None,
                "version": self.version,
                "functions": [
                    {"urn": f.urn, "before": list(f.before), "after": list(f.after)}
                    for f in self.functions
                ],
                "deletions": list(self.deletions),
            }
        )


def make_plan(inputs: Inputs, package: Package | None, warnings: list[str]) -> Plan:
    """Sign in, run every check the real run runs before publishing, and read the rest."""
    # Imported here: they need requests, which a dry run that does not sign in never loads.
    import requests

    from ..huaweicloud.retry import Retries
    from . import precheck, publish
    from .connection import connect

    route = choose_route(inputs, package, signed=inputs.sign_in == "aksk")
    with requests.Session() as session:
        destination, context = connect(session, inputs, Retries(inputs.retries, warnings))
        before = publish.existing_versions(
            session, destination.functiongraph, inputs, context.retries
        )
        # The real run's pre-checks (runtime, code type, room, code readable): read only.
        targets = precheck.prepare(
            context, inputs.functions, inputs.runtime, before, inputs.legacy_api
        )
        reuse = publish.reusable(before, inputs, package)
        current = reuse or _next_version(before, inputs, package)
        changes = tuple(_function_change(context, t.urn, current, before) for t in targets)
        deletions: tuple[int, ...] = ()
        kept: tuple[Retired, ...] = ()
        if inputs.keep_versions is not None:
            deletions, kept = _retirement(
                context, current, inputs.keep_versions, new=reuse is None, switched=changes
            )
    plan = Plan(
        route=route,
        reuse=None if reuse is None else reuse.version,
        version=current.version,
        functions=changes,
        deletions=deletions,
        kept=kept,
        keep_versions=inputs.keep_versions is not None,
    )
    _log(plan, inputs.name)
    return plan


def _next_version(
    before: list["DependencyVersion"], inputs: Inputs, package: Package | None
) -> "DependencyVersion":
    """The version the real run would create, as things stand: the next number of the
    dependency of this name (a new dependency when there is none)."""
    from ..huaweicloud.dependencies import DependencyVersion

    newest = max(before, key=lambda v: v.version or 0, default=None)
    return DependencyVersion(
        id=_NEW_ID,
        dep_id=newest.dep_id if newest else _NEW_ID,
        version=(newest.version or 0) + 1 if newest else 1,
        etag=package.md5 if package else "0" * 32,
        size=package.size if package else 0,
        name=inputs.name,
        runtime=inputs.runtime,
    )


def _function_change(
    ctx: "Context", urn: str, version: "DependencyVersion", ours: list["DependencyVersion"]
) -> FunctionChange:
    """The function's dependencies now, and with `version` in place of any version of the
    same dependency, split as the update splits them (every other dependency stays)."""
    from ..huaweicloud.function_api import AttachedDependency, read_config
    from .function_state import described, label
    from .update import split

    config = read_config(ctx, urn)
    known = described(config)
    mine = {v.id for v in ours if v.dep_id == version.dep_id}
    current = config.depend_version_list
    wanted, _ = split(current, known, mine, version.dep_id, version.id)
    before = tuple(label(i, known) for i in current)
    if set(wanted) == set(current):
        return FunctionChange(urn, before, before, tuple(current))
    known[version.id] = AttachedDependency(
        id=version.id, dep_id=version.dep_id, name=version.name, version=version.version
    )
    after = tuple(label(i, known) for i in wanted)
    return FunctionChange(urn, before, after, tuple(wanted))


def _retirement(
    ctx: "Context",
    current: "DependencyVersion",
    keep: int,
    *,
    new: bool,
    switched: tuple[FunctionChange, ...],
) -> tuple[tuple[int, ...], tuple["Retired", ...]]:
    """The versions keep-versions would delete, and why each other one stays."""
    from . import retention

    versions: list[DependencyVersion] = []
    now: float | None = None
    if current.dep_id != _NEW_ID:
        versions, now = retention.listed(ctx, current.dep_id)
    if new:  # counted as the real run will count it: the newest, this run's
        versions = [*versions, current]
    old, kept = retention.plan(versions, keep, current, now)
    # The functions the real run switches first count with the lists they will hold.
    after = {change.urn: set(change.after_ids) for change in switched}
    in_use = retention.versions_in_use(ctx, after) if old else set()
    deletions: list[int] = []
    for version in old:
        number = version.version or 0
        if version.id not in in_use:
            deletions.append(number)
            continue
        kept.append(retention.kept_in_use(number))
    if new:  # it does not exist yet: the headline says it
        kept = [r for r in kept if r.number != current.version]
    return tuple(deletions), tuple(sorted(kept, key=lambda r: r.number))


def _log(plan: Plan, name: str) -> None:
    if plan.reuse is None:
        runner.info(f"Plan: would publish '{name}' as version {plan.version}")
    else:
        runner.info(f"Plan: would reuse version {plan.reuse} of '{name}' (if-unchanged: skip)")
    # Labels come from the service: shown inert.
    runner.untrusted(
        f"Plan: {c.urn}: {', '.join(c.before) or 'none'} -> {', '.join(c.after) or 'none'}"
        for c in plan.functions
    )
    if plan.keep_versions:
        deleted = ", ".join(str(n) for n in plan.deletions) or "none"
        runner.info(f"Plan: keep-versions would delete versions: {deleted}")
