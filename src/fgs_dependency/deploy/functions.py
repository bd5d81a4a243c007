"""Switching functions to a dependency version without touching their code.

FunctionGraph has no call that changes a function's dependencies alone: the only one is
`PUT .../code`, which also replaces the code (with a default when `func_code.file` is
empty). So the code that runs now is read back from OBS, checked against the function's
SHA-512 `digest`, sent again unchanged with the whole new dependency list, and the result
is read back. The API has no precondition: the function is read again just before the
PUT, and the update is built again when anything changed meanwhile, so that no other
deploy's code or dependency is undone; a read-back is judged by what this run changed.
"""

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Any

from ..errors import ActionError
from ..github import runner
from ..huaweicloud import client, dependencies, obs
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.function_api import (
    AttachedDependency,
    Context,
    FunctionCode,
    functions_path,
    read_code,
    resolve,
)
from ..huaweicloud.retry import with_retries
from ..inputs.urns import name_of
from . import function_state
from .attachment import AttachError, Attachment
from .function_state import described, label

MAX_DEPENDENCIES = 20
# Code FunctionGraph can take again as it is; a container image has no dependencies.
_RESENDABLE = ("zip", "jar", "inline", "obs")
# Builds of one update, each after the function changed under the one before: another
# deploy working on the function for longer is waited out by a re-run, not here.
BUILD_ATTEMPTS = 3


@dataclass(frozen=True)
class Target:
    """A function checked before publishing, with the code it ran then (read from OBS and
    proven by its digest), so that attaching does not read it a second time."""

    urn: str
    digest: str
    code: bytes


def _read_running_code(ctx: Context, name: str, code: FunctionCode) -> bytes:
    """The bytes the function runs now, from OBS, proven to be them by the digest."""
    link = code.code_url if code.code_type == "obs" else code.func_code.link
    where = obs.object_of(link)
    if where is None:
        raise ActionError(
            f"Function '{name}': its code's address is not an OBS object address, so the "
            "code cannot be read back and sent again unchanged; nothing was changed on it. "
            "Attach the version in the console, or redeploy the function's code first."
        )
    bucket = obs.Bucket(
        endpoint=ctx.obs_endpoint,
        name=where[0],
        keys=ctx.obs_keys(),
        timeout=ctx.functiongraph.timeout,
    )

    def attempt() -> bytes:
        sink = io.BytesIO()
        obs.download(ctx.session, bucket, where[1], sink)
        return sink.getvalue()

    data = with_retries(f"Reading the code of '{name}' from OBS", attempt, ctx.retries)
    if hashlib.sha512(data).hexdigest() != code.digest.lower():
        what = "the object at its code_url" if code.code_type == "obs" else "its code in OBS"
        raise ActionError(
            f"Function '{name}': {what} is not the code the function runs (its SHA-512 differs "
            "from the function's digest; for an obs function the object was probably "
            "overwritten after it was deployed). Nothing was changed on it: sending that code "
            "would deploy code nobody deployed. Redeploy the function's code, then run again."
        )
    return data


def _code_body(
    code: FunctionCode, data: bytes, depend_version_list: list[str], kms_key_id: str
) -> bytes:
    body: dict[str, Any] = {"code_type": code.code_type}
    if code.code_filename:
        body["code_filename"] = code.code_filename
    if code.code_type == "obs":
        body["code_url"] = code.code_url
        body["func_code"] = {"link": code.code_url}
    else:
        # Never empty: FunctionGraph would put its default code in place of the user's.
        body["func_code"] = {"file": base64.b64encode(data).decode()}
    body["depend_version_list"] = depend_version_list
    if kms_key_id:
        body["code_encrypt_kms_key_id"] = kms_key_id
    return json.dumps(body).encode()


def _put_code(ctx: Context, urn: str, body: bytes) -> None:
    path = f"{functions_path(ctx.functiongraph, urn)}/code"
    # The same body may be sent twice: a repeated PUT leaves the same state.
    with_retries(
        f"Updating the code of '{name_of(urn)}'",
        lambda: client.exchange(ctx.session, ctx.functiongraph, "PUT", path, body=body).document,
        ctx.retries,
    )


def _check_can_attach(name: str, config: FunctionCode, runtime: str) -> None:
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


def _check_room(name: str, count: int) -> None:
    if count > MAX_DEPENDENCIES:
        raise ActionError(
            f"Function '{name}' would have {count} dependencies; FunctionGraph allows "
            f"{MAX_DEPENDENCIES}. Nothing was changed on it: remove dependencies it no longer "
            "needs in the console, then run again."
        )


def prepare(ctx: Context, entries: tuple[str, ...], runtime: str, name: str) -> list[Target]:
    """The functions to attach to, each checked to be able to take a version of dependency
    `name` for `runtime` (its runtime, its code type, room for one more dependency, its code
    readable through 'obs-endpoint'): done before publishing, so that a function that would
    refuse the version publishes nothing."""
    targets = []
    for urn in resolve(ctx, entries):
        function = name_of(urn)
        config = read_code(ctx, urn, "config")
        _check_can_attach(function, config, runtime)
        known = described(config)
        # Any version of `name` on it is replaced; attach() counts again by version id.
        others = [i for i in config.depend_version_list if i not in known or known[i].name != name]
        _check_room(function, len(others) + 1)
        targets.append(Target(urn, config.digest, _read_running_code(ctx, function, config)))
    return targets


@dataclass(frozen=True)
class _Update:
    """One update of a function, built from one read of it."""

    base: FunctionCode  # the read it was built from
    wanted: list[str]  # the dependency list it sends
    replaced: list[str]  # versions of this dependency it takes off
    body: bytes


def _build(
    ctx: Context,
    name: str,
    base: FunctionCode,
    version: DependencyVersion,
    ours: set[str],
    code: tuple[str, bytes],
    kms_key_id: str,
) -> tuple[_Update | None, tuple[str, bytes]]:
    """The update that puts `version` on the function as `base` shows it (None: it is there
    already), and the code it sends, as (digest, bytes)."""
    _check_can_attach(name, base, version.runtime)
    known = described(base)
    current = list(base.depend_version_list)
    # This dependency's versions are known by the dependency's own version list, which
    # FunctionGraph's description of the function may not cover.
    replaced = [
        i
        for i in current
        if i != version.id and (i in ours or (i in known and known[i].dep_id == version.dep_id))
    ]
    # In their order; an id FunctionGraph did not describe is kept (it is not ours to drop).
    wanted = [*(i for i in current if i != version.id and i not in replaced), version.id]
    if set(wanted) == set(current):
        return None, code
    _check_room(name, len(wanted))
    if code[0] != base.digest.lower():
        code = (base.digest.lower(), _read_running_code(ctx, name, base))
    body = _code_body(base, code[1], wanted, kms_key_id)
    return _Update(base, wanted, replaced, body), code


def attach(ctx: Context, target: Target, version: DependencyVersion, ours: set[str]) -> Attachment:
    """Make `version` the function's version of its dependency, keeping everything else.
    `ours`: the ids of every version of the dependency."""
    urn, name = target.urn, name_of(target.urn)
    # Read again: the function may have changed since prepare() looked.
    config = read_code(ctx, urn, "config")
    _check_can_attach(name, config, version.runtime)
    base = read_code(ctx, urn)
    before = tuple(label(i, described(config, base)) for i in base.depend_version_list)
    code = (target.digest.lower(), target.code)
    changed: list[str] = []
    for _ in range(BUILD_ATTEMPTS):
        update, code = _build(ctx, name, base, version, ours, code, config.code_encrypt_kms_key_id)
        if update is None:
            return Attachment(urn, before, before, changed=False)
        # No precondition header exists: the nearest thing is to look just before sending.
        now = read_code(ctx, urn)
        changed = function_state.changes(base, now)
        if not changed:
            break
        runner.untrusted(
            [
                f"Function '{name}' changed while its update was built ({'; '.join(changed)}): "
                "building it again from its new state"
            ]
        )
        base = now
    else:
        raise ActionError(
            f"Function '{name}' kept changing while its update was built "
            f"({BUILD_ATTEMPTS} times; the last: {'; '.join(changed)}): another deploy is "
            "working on it. Nothing was changed on it by this run. Run the job again when the "
            "other deploy has finished, and give both one 'concurrency:' group."
        )
    # What it had before this run's change: the state the update was built from.
    before = tuple(label(i, described(config, base)) for i in base.depend_version_list)
    try:
        _put_code(ctx, urn, update.body)
    except ActionError as err:
        raise ActionError(
            f"Function '{name}': updating it failed ({err}); the update may or may not have "
            "been applied (its code is the same either way): check its dependencies in the "
            "console, or run the job again, which converges."
        ) from None
    return _verify(ctx, urn, version, ours, update, before, code[1], config)


def _verify(
    ctx: Context,
    urn: str,
    version: DependencyVersion,
    ours: set[str],
    update: _Update,
    before: tuple[str, ...],
    code: bytes,
    config: FunctionCode,
) -> Attachment:
    """Judge the read-back by what this run changed; undo only that, and only when the
    function still holds what this run sent."""
    name = name_of(urn)
    stored = read_code(ctx, urn)
    verdict = function_state.judge(update.base, update.wanted, stored, version.id, ours)
    known = described(update.base, stored)
    known[version.id] = known.get(version.id) or _described_version(version)
    if verdict.success:
        if verdict.added:
            others = ", ".join(label(i, known) for i in verdict.added)
            runner.untrusted(
                [f"Function '{name}': also holds {others}, added by someone else meanwhile; kept"]
            )
        if verdict.missing:
            runner.warning(
                f"Function '{name}' no longer holds "
                f"{', '.join(label(i, known) for i in verdict.missing)}, which this run kept: "
                "someone else removed it meanwhile, or FunctionGraph did not store it. Check "
                "the function's dependencies.",
                ctx.warnings,
            )
        after = tuple(label(i, known) for i in stored.depend_version_list)
        return Attachment(urn, before, after, changed=True)
    problems = []
    if not verdict.has_ours:
        problems.append(f"{version.name} {version.version} is not on it")
    if verdict.old_ours:
        problems.append(f"it still holds {', '.join(label(i, known) for i in verdict.old_ours)}")
    if not verdict.code_kept:
        problems.append("its code is not the code this run sent")
    outcome = _undo(ctx, urn, version, update, stored, code, config)
    raise ActionError(
        f"Function '{name}': the read-back after the update does not hold it "
        f"({'; '.join(problems)}); {outcome}. Run the job again."
    )


def _described_version(version: DependencyVersion) -> AttachedDependency:
    return AttachedDependency(
        id=version.id, dep_id=version.dep_id, name=version.name, version=version.version
    )


def _undo(
    ctx: Context,
    urn: str,
    version: DependencyVersion,
    update: _Update,
    stored: FunctionCode,
    code: bytes,
    config: FunctionCode,
) -> str:
    """Take back this run's change (its version off, the versions it replaced on), keeping
    whatever others did; only when the function holds this run's code and nothing but what
    this run sent. What happened, for the error message."""
    now = stored.depend_version_list
    if not function_state.same_code(update.base, stored) or not set(now) <= set(update.wanted):
        return (
            "it was left as it is, since someone else changed it after this run's update; it "
            f"now has {function_state.state_text(stored, update.base)}"
        )
    restored = [i for i in now if i != version.id] + [i for i in update.replaced if i not in now]
    if set(restored) == set(now):
        return (
            f"nothing of this run's change is on it: it has "
            f"{function_state.state_text(stored, update.base)}"
        )
    try:
        latest = read_code(ctx, urn)
        if function_state.changes(stored, latest):
            return (
                "it was left as it is, since it changed again meanwhile; it now has "
                f"{function_state.state_text(latest, update.base)}"
            )
        _put_code(ctx, urn, _code_body(stored, code, restored, config.code_encrypt_kms_key_id))
        after = read_code(ctx, urn)
    except ActionError as err:
        return f"taking this run's change back failed too ({err}): check the function"
    if set(after.depend_version_list) == set(restored) and function_state.same_code(
        after, update.base
    ):
        return "this run's change was taken back"
    return (
        "taking this run's change back did not hold either; it now has "
        f"{function_state.state_text(after, update.base)}: check the function"
    )


def attach_all(ctx: Context, targets: list[Target], version: DependencyVersion) -> list[Attachment]:
    """Attach to each function in turn, stopping at the first failure."""
    ours = {version.id}
    if targets:
        try:
            listed = with_retries(
                "Listing the dependency's versions",
                lambda: dependencies.list_versions(ctx.session, ctx.functiongraph, version.dep_id),
                ctx.retries,
            )
        except ActionError as err:
            raise AttachError(err, f"{err} No function was changed.", []) from None
        ours |= {v.id for v in listed}
    done: list[Attachment] = []
    for target in targets:
        try:
            done.append(attach(ctx, target, version, ours))
        except ActionError as err:
            changed = [a.urn for a in done if a.changed]
            so_far = (
                f" Changed before it: {', '.join(changed)}."
                if changed
                else " No function before it was changed."
            )
            left = [t.urn for t in targets[len(done) + 1 :]]
            rest = f" Not attempted: {', '.join(left)}." if left else ""
            raise AttachError(err, f"{err}{so_far}{rest}", done) from None
    return done
