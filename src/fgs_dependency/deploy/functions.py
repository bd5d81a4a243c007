"""Switching functions to a dependency version without touching their code.

FunctionGraph has no call that changes a function's dependencies alone: the only one is
`PUT .../code`, which also replaces the code (with a default when `func_code.file` is
empty). So the code that runs now is read back from OBS, checked against the function's
SHA-512 `digest`, sent again unchanged with the whole new dependency list, and the result
is read back; an update FunctionGraph stored differently is put back.
"""

import base64
import hashlib
import io
import json
from typing import Any

from ..errors import ActionError
from ..huaweicloud import client, obs
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
from .attachment import AttachError, Attachment

MAX_DEPENDENCIES = 20
# Code FunctionGraph can take again as it is; a container image has no dependencies.
_RESENDABLE = ("zip", "jar", "inline", "obs")


def _label(entry: str, known: dict[str, AttachedDependency]) -> str:
    found = known.get(entry)
    if found is None or not found.name:
        return entry
    return f"{found.name} {found.version}" if found.version is not None else found.name


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


def _differences(before: FunctionCode, after: FunctionCode, wanted: list[str]) -> list[str]:
    problems = [
        f"{field} changed"
        for field in ("digest", "code_type", "code_url", "code_filename")
        if getattr(before, field) != getattr(after, field)
    ]
    if set(after.depend_version_list) != set(wanted):
        problems.append(
            f"the dependency list is [{', '.join(after.depend_version_list)}] instead of "
            f"[{', '.join(wanted)}]"
        )
    return problems


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
            "runtime. Remove the function from 'functions', or publish for its runtime."
        )


def prepare(ctx: Context, entries: tuple[str, ...], runtime: str) -> list[str]:
    """The URNs to attach to, each checked to be able to take a dependency of `runtime`:
    done before publishing, so that a wrong entry publishes nothing."""
    urns = resolve(ctx, entries)
    for urn in urns:
        _check_can_attach(name_of(urn), read_code(ctx, urn, "config"), runtime)
    return urns


def attach(ctx: Context, urn: str, version: DependencyVersion) -> Attachment:
    """Make `version` the function's version of its dependency, keeping everything else."""
    name = name_of(urn)
    # Read again: the function may have changed since prepare() looked.
    config = read_code(ctx, urn, "config")
    _check_can_attach(name, config, version.runtime)
    code = read_code(ctx, urn)
    _check_can_attach(name, code, version.runtime)
    known = {d.id: d for d in (*config.dependencies, *code.dependencies)}
    current = list(code.depend_version_list)
    # In their order; an id FunctionGraph did not describe is kept (it is not ours to drop).
    others = [
        i
        for i in current
        if i != version.id and not (i in known and known[i].dep_id == version.dep_id)
    ]
    wanted = [*others, version.id]
    before = tuple(_label(i, known) for i in current)
    new_label = f"{version.name} {version.version}"
    after = tuple(new_label if i == version.id else _label(i, known) for i in wanted)
    if set(wanted) == set(current):
        return Attachment(urn, before, before, changed=False)
    if len(wanted) > MAX_DEPENDENCIES:
        raise ActionError(
            f"Function '{name}' would have {len(wanted)} dependencies; FunctionGraph allows "
            f"{MAX_DEPENDENCIES}. Nothing was changed on it: remove dependencies it no longer "
            "needs in the console, then run again."
        )
    data = _read_running_code(ctx, name, code)
    try:
        _put_code(ctx, urn, _code_body(code, data, wanted, config.code_encrypt_kms_key_id))
    except ActionError as err:
        raise ActionError(
            f"Function '{name}': updating it failed ({err}); the update may or may not have "
            "been applied (its code is the same either way): check its dependencies in the "
            "console, or run the job again, which converges."
        ) from None
    stored = read_code(ctx, urn)
    problems = _differences(code, stored, wanted)
    if not problems:
        return Attachment(urn, before, after, changed=True)
    try:
        _put_code(ctx, urn, _code_body(code, data, current, config.code_encrypt_kms_key_id))
        restored = _differences(code, read_code(ctx, urn), current)
    except ActionError as err:
        restored = [str(err)]
    outcome = (
        "its previous code and dependencies were put back"
        if not restored
        else f"putting the previous state back failed too ({'; '.join(restored)}): check the "
        "function in the console"
    )
    raise ActionError(
        f"Function '{name}': FunctionGraph did not store the update as sent "
        f"({'; '.join(problems)}); {outcome}. Run the job again."
    )


def attach_all(ctx: Context, urns: list[str], version: DependencyVersion) -> list[Attachment]:
    """Attach to each function in turn, stopping at the first failure."""
    done: list[Attachment] = []
    for urn in urns:
        try:
            done.append(attach(ctx, urn, version))
        except ActionError as err:
            changed = [a.urn for a in done if a.changed]
            so_far = (
                f" Changed before it: {', '.join(changed)}."
                if changed
                else " No function before it was changed."
            )
            left = urns[len(done) + 1 :]
            rest = f" Not attempted: {', '.join(left)}." if left else ""
            raise AttachError(err, f"{err}{so_far}{rest}", done) from None
    return done
