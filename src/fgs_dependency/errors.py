"""Every failure the action reports: each says what went wrong for the person reading the
CI log; the kind decides how it is reported and whether another try may help."""


class ActionError(Exception):
    """A failure with a message written for the person reading the CI log. A service's
    error code and request id, when it gave them, go to the job summary too: they are what
    its support asks for."""

    def __init__(self, message: str, *, code: str = "", request_id: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id


class InputError(ActionError):
    """An input (or the environment variable it falls back to) holds a value we cannot use."""

    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(f"Input '{input_name}': {message}")


class InputErrors(ActionError):
    """Every bad input at once, so a user fixes them in one round."""

    def __init__(self, problems: list[ActionError]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class TransientError(ActionError):
    """A failure worth another try. `maybe_committed`: the server may have acted on it."""

    def __init__(
        self,
        message: str,
        *,
        maybe_committed: bool,
        retry_after: float | None = None,
        code: str = "",
        request_id: str = "",
    ):
        super().__init__(message, code=code, request_id=request_id)
        self.maybe_committed = maybe_committed
        self.retry_after = retry_after


class ApiError(ActionError):
    """A refusal for good: a status that another try would not change."""

    def __init__(self, message: str, status: int, *, code: str = "", request_id: str = ""):
        super().__init__(message, code=code, request_id=request_id)
        self.status = status


class Cancelled(ActionError):
    """The runner stopped the step (a cancelled job sends SIGTERM to the container)."""


class InputConflict(ValueError):
    """A rule across inputs (or of an address input) broken. A ValueError, as pydantic
    wants from a validator, carrying the name of the input the message is about
    ('credentials' for the sign-in inputs together), so that nothing parses it back."""

    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(f"{input_name}: {message}")
        self.input_name = input_name
        self.message = message
