"""After publishing: attach the version to the functions ('functions'), then retire old
versions ('keep-versions'), and say what was done, also when it stops part way."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ActionError, Cancelled
from ..github import runner
from .attachment import AttachError

if TYPE_CHECKING:
    from ..huaweicloud.dependencies import DependencyVersion
    from ..huaweicloud.function_api import Context
    from .attachment import Attachment
    from .precheck import Target
    from .retention import Retired


@dataclass(frozen=True)
class Deployed:
    """What attaching and retiring did, for the outputs and the summary."""

    attachments: tuple["Attachment", ...] = ()
    retired: tuple["Retired", ...] = ()
    failure: ActionError | None = None
    # Why 'keep-versions' was not applied, when it was asked for and was not.
    retention_skipped: str = ""


RETENTION_SKIPPED = (
    "'keep-versions' was not applied: attaching failed, and a version this run would delete "
    "may be the one a function still needs. Old versions are retired by the next run that "
    "attaches."
)


def deploy(
    context: "Context",
    targets: list["Target"],
    version: "DependencyVersion",
    keep_versions: int | None,
) -> Deployed:
    """Attach the version to the functions, then retire old versions ('keep-versions').
    A failure, a cancel included, is returned with what was done before it."""
    # Imported here: they need requests, which a dry run never loads.
    from . import functions, retention

    attachments: list[Attachment] = []
    try:
        attachments = functions.attach_all(context, targets, version)
    except AttachError as err:
        skipped = RETENTION_SKIPPED if keep_versions is not None else ""
        if skipped:
            runner.warning(skipped, context.warnings)
        return Deployed(tuple(err.done), failure=err, retention_skipped=skipped)
    for done in attachments:
        state = "attached" if done.changed else "already attached"
        runner.untrusted([f"{done.urn}: {state} ({', '.join(done.after)})"])
    retired: list[Retired] = []
    if keep_versions is None:
        return Deployed(tuple(attachments))
    try:
        for item in retention.retire(context, version, keep_versions):
            retired.append(item)
            # The reasons may name a runtime the service sent: shown inert.
            reason = f" ({item.reason})" if item.reason else ""
            runner.untrusted([f"Version {item.number}: {item.fate}{reason}"])
    except Cancelled as err:
        deleted = [str(r.number) for r in retired if r.fate == "deleted"]
        done_text = f"deleted versions {', '.join(deleted)}" if deleted else "deleted no version"
        failure = Cancelled(f"{err} It was retiring old versions and had {done_text}.")
        return Deployed(tuple(attachments), _sorted(retired), failure=failure)
    return Deployed(tuple(attachments), _sorted(retired))


def _sorted(retired: list["Retired"]) -> tuple["Retired", ...]:
    return tuple(sorted(retired, key=lambda r: r.number))
