"""Building one update of a function: the dependency list it sends, and its code, read back
from OBS and proven by the function's digest.

FunctionGraph has no call that changes a function's dependencies alone: the only one is
`PUT .../code`, which also replaces the code (with a default when `func_code.file` is
empty). So the code that runs now is sent again unchanged with the whole new list.
"""

import base64
import hashlib
import io
import json
from collections.abc import Set
from dataclasses import dataclass
from typing import Any

from ..errors import ActionError
from ..huaweicloud import dependencies, obs
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.function_api import AttachedDependency, Context, FunctionCode, FunctionConfig
from ..huaweicloud.retry import with_retries
from .function_state import described

MAX_DEPENDENCIES = 20


def split(
    current: tuple[str, ...],
    known: dict[str, AttachedDependency],
    ours: Set[str],
    dep_id: str,
    new_id: str,
) -> tuple[list[str], list[str]]:
    """(the list an update sends, the versions it takes off): every version of dependency
    `dep_id` (by the dependency's own version list `ours`, or by FunctionGraph's description)
    is replaced by `new_id`; everything else is kept in its order, an id nobody described
    included (it is not ours to drop). The pre-check before publishing counts with this too."""
    replaced = [
        i
        for i in current
        if i != new_id and (i in ours or (i in known and known[i].dep_id == dep_id))
    ]
    kept = [i for i in current if i != new_id and i not in replaced]
    return [*kept, new_id], replaced


def version_ids(ctx: Context, dep_id: str) -> set[str]:
    """The ids of every version dependency `dep_id` has now."""
    listed = with_retries(
        "Listing the dependency's versions",
        lambda: dependencies.list_versions(ctx.session, ctx.functiongraph, dep_id),
        ctx.retries,
    )
    return {v.id for v in listed}


def check_room(name: str, wanted: list[str], why: str = "") -> None:
    if len(wanted) > MAX_DEPENDENCIES:
        raise ActionError(
            f"Function '{name}' would have {len(wanted)} dependencies{why}; FunctionGraph "
            f"allows {MAX_DEPENDENCIES}. Nothing was changed on it: remove dependencies it no "
            "longer needs in the console, then run again."
        )


@dataclass(frozen=True)
class Update:
    """One update of a function, built from one read of it (`base`)."""

    base: FunctionCode
    wanted: list[str]  # the dependency list it sends
    replaced: list[str]  # versions of this dependency it takes off
    body: bytes


@dataclass(frozen=True)
class Code:
    """The bytes a function runs, and the digest they were proven against."""

    digest: str
    data: bytes


def read_running_code(ctx: Context, name: str, code: FunctionCode) -> Code:
    """The bytes the function runs now, from OBS, proven to be them by the digest. For an
    `obs` function the object at `code_url` is what a PUT deploys (it sends just the link),
    so it is read again before every PUT and must still be the code the function runs."""
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
            "overwritten after it was deployed). Nothing was changed on it by this run: "
            "sending that code would deploy code nobody deployed. Redeploy the function's "
            "code, then run again."
        )
    return Code(code.digest.lower(), data)


def code_for(ctx: Context, name: str, base: FunctionCode, known: Code) -> Code:
    """The code to send with an update built from `base`: `known` when it is still that
    code, else read again. An obs function's object is always read again."""
    if base.code_type != "obs" and known.digest == base.digest.lower():
        return known
    return read_running_code(ctx, name, base)


def body(base: FunctionCode, code: Code, wanted: list[str], kms_key_id: str) -> bytes:
    """The PUT's body: `base`'s code, sent again unchanged, with the dependency list."""
    sent: dict[str, Any] = {"code_type": base.code_type}
    if base.code_filename:
        sent["code_filename"] = base.code_filename
    if base.code_type == "obs":
        sent["code_url"] = base.code_url
        sent["func_code"] = {"link": base.code_url}
    else:
        # Never empty: FunctionGraph would put its default code in place of the user's.
        sent["func_code"] = {"file": base64.b64encode(code.data).decode()}
    sent["depend_version_list"] = wanted
    if kms_key_id:
        sent["code_encrypt_kms_key_id"] = kms_key_id
    return json.dumps(sent).encode()


def build(
    ctx: Context,
    name: str,
    base: FunctionCode,
    config: FunctionConfig,
    version: DependencyVersion,
    ours: Set[str],
    known_code: Code,
) -> tuple[Update | None, Code]:
    """The update that puts `version` on the function as `base` shows
    it (None: it is there already, and nothing of ours beside it), and the code it sends."""
    known = described(config, base)
    wanted, replaced = split(base.depend_version_list, known, ours, version.dep_id, version.id)
    if set(wanted) == set(base.depend_version_list):
        return None, known_code
    check_room(name, wanted)
    code = code_for(ctx, name, base, known_code)
    sent = body(base, code, wanted, config.code_encrypt_kms_key_id)
    return Update(base, wanted, replaced, sent), code
