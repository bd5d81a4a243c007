"""The two kinds of failure the action reports: a bad input, and anything else it can explain."""


class ActionError(Exception):
    """A failure with a message written for the person reading the CI log."""


class InputError(ActionError):
    """An input (or the environment variable it falls back to) holds a value we cannot use."""

    def __init__(self, input_name: str, message: str) -> None:
        super().__init__(f"Input '{input_name}': {message}")
        self.input_name = input_name
