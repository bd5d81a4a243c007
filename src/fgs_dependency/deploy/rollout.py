"""After publishing: attach the version to the functions ('functions'), then retire old
versions ('keep-versions'), and say what was done."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ActionError
from ..github import runner
from .attachment import AttachError

if TYPE_CHECKING:
    from ..huaweicloud.dependencies import DependencyVersion
    from ..huaweicloud.function_api import Context
    from .attachment import Attachment
    from .functions import Target
    from .retention import Retired


@dataclass(frozen=True)
class Deployed:
    """What attaching and retiring did, for the outputs and the summary."""

    attachments: tuple["Attachment", ...] = ()
    retired: tuple["Retired", ...] = ()
    failure: ActionError | None = None


def deploy(
    context: "Context",
    targets: list["Target"],
    version: "DependencyVersion",
    keep_versions: int | None,
) -> Deployed:
    """Attach the version to the functions, then retire old versions ('keep-versions')."""
    # Imported here: they need requests, which a dry run never loads.
    from . import functions, retention

    attachments: list[Attachment] = []
    if targets:
        try:
            attachments = functions.attach_all(context, targets, version)
        except AttachError as err:
            return Deployed(tuple(err.done), failure=err)
        for done in attachments:
            state = "attached" if done.changed else "already attached"
            runner.untrusted([f"{done.urn}: {state} ({', '.join(done.after)})"])
    retired: list[Retired] = []
    if keep_versions is not None:
        retired = retention.retire(context, version, keep_versions)
        # The reasons may name a runtime the service sent: shown inert.
        runner.untrusted(
            f"Version {item.number}: {item.fate}" + (f" ({item.reason})" if item.reason else "")
            for item in retired
        )
    return Deployed(tuple(attachments), tuple(retired))
