"""Reading the inputs: one message per bad input, each named as the workflow names it
(`with:` key, or the environment variable it falls back to), all of them at once."""

from pydantic import ValidationError
from pydantic_settings import SettingsError

from ..errors import ActionError, InputConflict, InputError, InputErrors
from .settings import ENV_FALLBACKS, Inputs


def _input_name(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return ""
    alias = str(loc[0])
    if alias.startswith("INPUT_"):
        return alias.removeprefix("INPUT_").lower().replace("_", "-")
    for name, variable in ENV_FALLBACKS.items():
        if alias == variable:
            return name
    return alias


def read_inputs() -> Inputs:
    """Read the inputs, or raise ActionError whose message lists every bad input."""
    try:
        return Inputs()
    except SettingsError as err:
        raise ActionError(f"Could not read the inputs: {err.__class__.__name__}") from None
    except ValidationError as err:
        problems = []
        for item in err.errors(include_input=False, include_url=False):
            message = item["msg"].removeprefix("Value error, ")
            name = _input_name(item["loc"])
            if item["type"] == "missing":
                message = "is required"
            conflict = item.get("ctx", {}).get("error")
            if isinstance(conflict, InputConflict):
                name, message = conflict.input_name, conflict.message
            if name == "credentials":  # the message names the inputs itself
                name, message = "", f"Credentials: {message}"
            problems.append(InputError(name, message) if name else ActionError(message))
        raise InputErrors(problems) from None
