"""What attaching did to one function, and the failure that stops it part way: the data
that attaching (functions), the deploy summary (rollout) and the entry point share. No
requests here, so that a dry run can name these types without loading the HTTP stack."""

from dataclasses import dataclass

from ..errors import ActionError


@dataclass(frozen=True)
class Attachment:
    """One function's outcome, for the outputs and the summary."""

    urn: str
    before: tuple[str, ...]  # labels of the dependency versions, e.g. "numpy 3"
    after: tuple[str, ...]
    changed: bool


class AttachError(ActionError):
    """Attaching failed on one function; `done` holds (as `Attachment`s) those finished
    before it."""

    def __init__(self, cause: ActionError, message: str, done: list[Attachment]) -> None:
        super().__init__(message, code=cause.code, request_id=cause.request_id)
        self.done = done
