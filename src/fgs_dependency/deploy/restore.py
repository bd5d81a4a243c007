"""Putting back what a function had before this run's update: only when FunctionGraph
stored something other than this run sent and nothing has touched the function since, and
never onto a dependency version that no longer exists."""

from ..errors import ActionError, ApiError, Cancelled
from ..huaweicloud.function_api import Context, FunctionCode, read_code, update_code
from ..inputs.urns import name_of
from .function_state import described, holds, label, state_text, untouched
from .update import Code, body, code_for, version_ids


def _gone(ctx: Context, base: FunctionCode) -> list[str]:
    """The versions on `base` that no longer exist, by their dependencies' version lists.
    An id FunctionGraph did not describe cannot be looked up: FunctionGraph itself refuses
    an update naming a version that does not exist."""
    known = described(base)
    by_dependency: dict[str, list[str]] = {}
    for entry in base.depend_version_list:
        if entry in known and known[entry].dep_id:
            by_dependency.setdefault(known[entry].dep_id, []).append(entry)
    gone = []
    for dep_id, entries in by_dependency.items():
        exists = _version_ids(ctx, dep_id)
        gone += [e for e in entries if e not in exists]
    return gone


def _version_ids(ctx: Context, dep_id: str) -> set[str]:
    try:
        return version_ids(ctx, dep_id)
    except ApiError as err:
        if err.status != 404:
            raise
        return set()  # the dependency itself is gone


def restore(
    ctx: Context, urn: str, base: FunctionCode, reply: FunctionCode, code: Code, kms_key_id: str
) -> tuple[str, FunctionCode]:
    """Put `base`'s dependency list back, with its code, if the function still is exactly
    what the update that replied `reply` produced. What happened (for the message), and the
    last state read."""
    name = name_of(urn)
    latest = reply
    try:
        gone = _gone(ctx, base)
        wanted = [i for i in base.depend_version_list if i not in gone]
        latest = read_code(ctx, urn)
        if not untouched(reply, latest):
            return (
                "it was left as it is, since someone else changed it meanwhile; it now has "
                f"{state_text(latest, base)}"
            ), latest
        code = code_for(ctx, name, base, code)
        update_code(ctx, urn, body(base, code, wanted, kms_key_id))
        latest = read_code(ctx, urn)
    except Cancelled:
        raise
    except ActionError as err:
        return f"putting back what it had before failed too ({err}): check the function", latest
    skipped = ""
    if gone:
        known = described(base)
        skipped = (
            f" ({', '.join(label(i, known) for i in gone)} no longer exists, so it was not "
            "put back)"
        )
    if holds(latest, base, wanted):
        return f"what it had before this run was put back{skipped}", latest
    return (
        f"putting back what it had before did not hold either{skipped}; it now has "
        f"{state_text(latest, base)}: check the function"
    ), latest
