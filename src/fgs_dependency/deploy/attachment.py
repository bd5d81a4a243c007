"""What attaching did to one function, and the failures that stop it part way: the data
that attaching (functions), the deploy summary (rollout) and the entry point share. No
requests here, so that a dry run can name these types without loading the HTTP stack."""

from dataclasses import dataclass

from ..errors import ActionError, Cancelled


@dataclass(frozen=True)
class Attachment:
    """One function's outcome, for the outputs and the summary."""

    urn: str
    before: tuple[str, ...]  # labels of the dependency versions, e.g. "numpy 3"
    after: tuple[str, ...]  # as last read (or as the update's reply said, when unreadable)
    changed: bool  # this run's update changed the function
    holds_version: bool = True  # the function ends the run with this run's version on it
    failed: bool = False  # attaching it failed (the run fails on it)

    @property
    def updated(self) -> bool:
        """Whether it belongs in 'updated_functions': changed by this run to this run's
        version, whatever happened after."""
        return self.changed and self.holds_version


class FunctionFailed(ActionError):
    """Attaching to one function failed; `attachment`: what it holds then, when known."""

    def __init__(self, cause: ActionError | str, attachment: Attachment | None = None) -> None:
        code, request_id = (
            (cause.code, cause.request_id) if isinstance(cause, ActionError) else ("", "")
        )
        super().__init__(str(cause), code=code, request_id=request_id)
        self.attachment = attachment


class AttachError(ActionError):
    """Attaching failed on one function; `done` holds (as `Attachment`s) those finished
    before it, and the failed one when what it holds is known."""

    def __init__(self, cause: ActionError, message: str, done: list[Attachment]) -> None:
        super().__init__(message, code=cause.code, request_id=cause.request_id)
        self.cause = cause
        self.done = done


class AfterPublishing(ActionError):
    """A failure after the version was published (its outputs are written): `what` says
    which stage failed, for the title."""

    def __init__(self, cause: ActionError) -> None:
        super().__init__(str(cause), code=cause.code, request_id=cause.request_id)
        cancelled = isinstance(cause, Cancelled) or (
            isinstance(cause, AttachError) and isinstance(cause.cause, Cancelled)
        )
        # For the error's title, and shorter for the summary's headline.
        if cancelled:
            self.what, self.short = "the step was cancelled after publishing", "cancelled"
        elif isinstance(cause, AttachError):
            self.what, self.short = "attaching it to the functions failed", "attaching failed"
        else:
            self.what, self.short = "what followed publishing failed", "then failed"
