"""The checks on each function of 'functions' before anything is published: that it can
take a version of this dependency (its runtime, its code type), that it has room for it,
counted as the update will count, and that its code can be read back and sent again. A
function that would refuse the version publishes nothing."""

from dataclasses import dataclass

from ..errors import ActionError
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.function_api import Context, FunctionConfig, read_code, read_config, resolve
from ..inputs.urns import name_of
from .function_state import described
from .update import Code, check_room, read_running_code, split

# Code FunctionGraph can take again as it is; a container image has no dependencies.
_RESENDABLE = ("zip", "jar", "inline", "obs")
# Stands for the version about to be published in the count.
_NEW = "\x00new"


@dataclass(frozen=True)
class Target:
    """A function checked before publishing, with the code it ran then (read from OBS and
    proven by its digest), so that attaching need not read it a second time."""

    urn: str
    code: Code


def check_can_attach(name: str, config: FunctionConfig, runtime: str) -> None:
    if config.code_type == "Custom-Image-Swr":
        raise ActionError(
            f"Function '{name}' runs a container image (Custom-Image-Swr), which takes no "
            "dependencies: remove it from 'functions'."
        )
    if config.code_type not in _RESENDABLE:
        raise ActionError(
            f"Function '{name}' has code of type '{config.code_type}', which this action does "
            "not know how to send again unchanged; nothing was changed on it. Remove it from "
            "'functions' and attach the version in the console."
        )
    if config.runtime != runtime:
        raise ActionError(
            f"Function '{name}' runs {config.runtime}, but the dependency is for {runtime} "
            "('runtime'): FunctionGraph attaches a dependency only to functions of its "
            "runtime. Remove the function from 'functions', or publish for its runtime. In a "
            "matrix of runtimes, give each runtime its own functions: a 'matrix.include' entry "
            "per runtime with its functions, and 'functions: ${{ matrix.functions }}' (see "
            "docs/examples.md, 'Functions in a runtime matrix')."
        )


def _room_after(name: str, config: FunctionConfig, ours: dict[str, set[str]]) -> None:
    """Refuse when the update would leave more than the limit: counted by `update.split`,
    as the update itself counts. When the legacy API left several dependencies of this name,
    which of them FunctionGraph puts the version in is not known before publishing: the
    count takes the one that leaves the most, so that nothing is published that then cannot
    be attached."""
    known = described(config)
    counts = [
        len(split(config.depend_version_list, known, ids, dep_id, _NEW)[0])
        for dep_id, ids in ours.items()
    ] or [len(split(config.depend_version_list, known, set(), _NEW, _NEW)[0])]
    why = ""
    if len(set(counts)) > 1:
        why = (
            f" if the version lands in one of the {len(ours)} dependencies called so (the "
            "legacy API made them) other than the one it replaces"
        )
    check_room(name, [_NEW] * max(counts), why)


def _by_dependency(existing: list[DependencyVersion], legacy: bool) -> dict[str, set[str]]:
    """The version ids of each of this account's dependencies of the name: what an update
    replaces. The legacy API makes a new dependency on every publish: it replaces nothing."""
    grouped: dict[str, set[str]] = {}
    for version in [] if legacy else existing:
        grouped.setdefault(version.dep_id, set()).add(version.id)
    return grouped


def prepare(
    ctx: Context,
    entries: tuple[str, ...],
    runtime: str,
    existing: list[DependencyVersion],
    legacy: bool = False,
) -> list[Target]:
    """The functions to attach to, each checked to take a version of the dependency (whose
    versions are `existing`, as publish.existing_versions read them) for `runtime`;
    read-only, done before publishing."""
    urns = resolve(ctx, entries)
    ours = _by_dependency(existing, legacy)
    targets = []
    for urn in urns:
        function = name_of(urn)
        config = read_config(ctx, urn)
        check_can_attach(function, config, runtime)
        _room_after(function, config, ours)
        # The address of the code is only in the code reply, never in the config's.
        code = read_code(ctx, urn)
        targets.append(Target(urn, read_running_code(ctx, function, code)))
    return targets
