"""A read-back after this run's update, in words: what others changed after it (kept as
they left it), and how the function differs from what this run sent."""

from ..github import runner
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.function_api import AttachedDependency, FunctionCode
from .function_state import label, same_code
from .update import Update


def tell_others(
    name: str,
    update: Update,
    now: FunctionCode,
    ours: set[str],
    known: dict[str, AttachedDependency],
    warnings: list[str],
) -> None:
    """What others changed after this run's update, which stays as they left it."""
    added = [i for i in now.depend_version_list if i not in update.wanted and i not in ours]
    removed = [i for i in update.wanted if i not in now.depend_version_list]
    lines = []
    if added:
        what = ", ".join(label(i, known) for i in added)
        lines.append(f"Function '{name}': also holds {what}, added by someone else meanwhile; kept")
    if removed:
        what = ", ".join(label(i, known) for i in removed)
        lines.append(
            f"Function '{name}': {what}, which this run kept, was removed by someone else "
            "after this run's update; left so"
        )
    if not same_code(now, update.base):
        lines.append(
            f"Function '{name}': its code was replaced by someone else after this run's "
            "update; kept"
        )
    for line in lines:  # someone else's change, kept: a warning the summary lists too
        runner.warning(line, warnings)


def problems(
    now: FunctionCode,
    update: Update,
    version: DependencyVersion,
    ours: set[str],
    known: dict[str, AttachedDependency],
) -> list[str]:
    held = now.depend_version_list
    found = []
    if version.id not in held:
        found.append(f"{version.name} {version.version} is not on it")
    old = [i for i in held if i in ours and i != version.id]
    if old:
        found.append(f"it still holds {', '.join(label(i, known) for i in old)}")
    lost = [i for i in update.wanted if i != version.id and i not in held]
    if lost:
        found.append(f"it lacks {', '.join(label(i, known) for i in lost)}, which this run kept")
    if not same_code(now, update.base):
        found.append("its code is not the code this run sent")
    return found
