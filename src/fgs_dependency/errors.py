"""The two kinds of failure the action reports: a bad input, and anything else it can explain."""


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
