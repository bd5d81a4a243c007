"""The rules of attaching in one place: from the states read, what to do next.

FunctionGraph's update has no precondition, so each rule looks at a fresh read:
- before a PUT is sent again (its reply was lost, or it was throttled): if the function
  holds exactly what this run sent, it was applied, stop; if it is still the state the
  update was built from, send it again; otherwise build the update again from the new state;
- after a PUT replied: if nobody touched the function since (the read-back equals the reply)
  and it holds what was sent, done; if nobody touched it but FunctionGraph stored something
  else, put back what it had before this run; if someone changed it since, never undo their
  change: done when this run's version is on it, else leave it and fail.
"""

from collections.abc import Set
from dataclasses import dataclass
from typing import Literal

from ..huaweicloud.function_api import FunctionCode
from .function_state import changes, holds, untouched

Action = Literal["applied", "send again", "rebuild", "done", "restore", "leave"]


@dataclass(frozen=True)
class Decision:
    action: Action
    why: str


def before_resend(base: FunctionCode, wanted: list[str], now: FunctionCode) -> Decision:
    """`base`: the state the update was built from; `wanted`: the list it sends; `now`: the
    function, read after a try whose outcome is unknown."""
    if holds(now, base, wanted) and now.last_modified != base.last_modified:
        return Decision("applied", "it holds exactly what this run sent: the update was applied")
    found = changes(base, now)
    if not found:
        return Decision("send again", "it is as the update was built from")
    return Decision("rebuild", "; ".join(found))


def after_update(
    base: FunctionCode,
    wanted: list[str],
    reply: FunctionCode,
    now: FunctionCode,
    version_id: str,
    ours: Set[str],
) -> Decision:
    """`reply`: what the PUT said it produced; `now`: the read-back."""
    others_of_ours = [i for i in now.depend_version_list if i in ours and i != version_id]
    on_it = version_id in now.depend_version_list and not others_of_ours
    if untouched(reply, now):
        if holds(now, base, wanted):
            return Decision("done", "it holds what this run sent")
        return Decision(
            "restore",
            "FunctionGraph stored something other than this run sent, and nothing has "
            "changed the function since",
        )
    if on_it:
        return Decision("done", "it holds this run's version; others changed it after")
    return Decision(
        "leave", "someone else changed it after this run's update, so it is not this run's to undo"
    )
