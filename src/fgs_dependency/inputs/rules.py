"""The rules for single inputs, as plain functions: each takes the value as read (or as the
previous rule left it) and returns it checked and normalised, or raises ValueError saying
what is accepted (the message follows the input's name)."""

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from ..errors import InputConflict
from .urns import PROJECT_ID, parse_target

_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9])?")
_REGION = re.compile(r"[a-z]{2,}(?:-[a-z0-9]+){1,4}")
_ACCESS_KEY = re.compile(r"[A-Za-z0-9]{1,128}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# An IAM identity provider's name: 1-64 of these characters (the console's rule, as assumed here).
_IDENTITY_PROVIDER = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_PREFIX_SEGMENT = re.compile(r"[^\x00-\x1f\\/]+")
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


def trim(value: Any) -> Any:
    # @actions/core trims inputs; users' YAML often leaves a trailing newline.
    return value.strip() if isinstance(value, str) else value


def _matching(pattern: re.Pattern[str], message: str) -> Callable[[str], str]:
    """The rule for an optional input that, when given, must match `pattern` whole."""

    def check(value: str) -> str:
        if value and not pattern.fullmatch(value):
            raise ValueError(message)
        return value

    return check


region = _matching(_REGION, "must be a Huawei Cloud region id such as 'cn-north-4'")
project_id = _matching(
    PROJECT_ID,
    "must be a project id of 32 letters and digits (console: My Credentials > API Credentials)",
)
identity_provider = _matching(
    _IDENTITY_PROVIDER,
    "must be the name of an IAM identity provider: 1-64 letters, digits, '-', '_' "
    "and '.' (console: IAM > Identity Providers)",
)
bucket = _matching(
    _BUCKET, "must be an OBS bucket name: 3-63 lower-case letters, digits, '-' and '.'"
)


def name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            "must be 1-96 characters of letters, digits, '_', '.' and '-', "
            "starting with a letter and ending with a letter or digit "
            "(for example 'pandas-2.2' or 'shared_node_modules')"
        )
    return value


def description(value: str) -> str:
    if len(value) > 512:
        raise ValueError(f"is {len(value)} characters long; FunctionGraph accepts at most 512")
    return value


def access_key(value: SecretStr) -> SecretStr:
    if value.get_secret_value() and not _ACCESS_KEY.fullmatch(value.get_secret_value()):
        raise ValueError("must be an access key id: letters and digits only")
    return value


def header_secret(value: SecretStr) -> SecretStr:
    # Sent in HTTP headers, which carry ASCII only: keys and tokens never hold more.
    text = value.get_secret_value()
    if any(c.isspace() or not c.isprintable() or not c.isascii() for c in text):
        raise ValueError(
            "contains spaces or control characters, or characters outside ASCII; "
            "paste the value again"
        )
    return value


def password(value: SecretStr) -> SecretStr:
    if any(not c.isprintable() for c in value.get_secret_value()):
        raise ValueError("contains control characters; paste the value again")
    return value


def iam_name(value: str) -> str:
    if len(value) > 64 or any(not c.isprintable() for c in value):
        raise ValueError("must be an IAM user or account name (at most 64 characters)")
    return value


def audience(value: str) -> str:
    if len(value) > 256 or any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError(
            "must be the identity provider's client ID (at most 256 characters, no spaces)"
        )
    return value


def _choice(value: Any, choices: tuple[str, ...], meaning: str) -> Any:
    choice = value.strip().lower() if isinstance(value, str) else value
    if choice not in choices:
        raise ValueError(f"must be {meaning}")
    return choice


def depend_type(value: Any) -> Any:
    return _choice(value, ("auto", "zip", "obs"), "auto (inline when it fits, else OBS), "
                   "zip (always inline) or obs (always through 'obs-bucket')")  # fmt: skip


def api(value: Any) -> Any:
    return _choice(value, ("version", "legacy"), "version (create dependency version, "
                   "the default) or legacy (the older create-dependency API)")  # fmt: skip


def if_unchanged(value: Any) -> Any:
    return _choice(value, ("skip", "publish"), "'skip' (reuse the newest version when it "
                   "holds the same package) or 'publish' (always create a version)")  # fmt: skip


def object_key(value: str) -> str:
    if value and (value.startswith("/") or len(value.encode()) > 1024 or not value.isprintable()):
        raise ValueError("must be an object key of at most 1024 bytes, not starting with '/'")
    return value


def lines(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(line.strip() for line in value.splitlines() if line.strip())
    return value


def exclude(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:  # the usual case: spare the import
        return value
    import pathspec  # only with 'exclude': a run without it starts 20 ms sooner

    for line in value:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, TypeError) as err:
            raise ValueError(f"line {line!r} is not a gitignore-style pattern") from err
    return value


def prefix(value: str) -> str:
    parts = [part for part in value.strip("/").split("/") if part]
    if any(p in (".", "..") or not _PREFIX_SEGMENT.fullmatch(p) for p in parts):
        raise ValueError(
            "must be a relative folder inside the zip such as 'python' or 'node_modules' "
            "(no '..', '.', backslashes or control characters)"
        )
    return "/".join(parts)


def boolean(value: Any) -> Any:
    # The YAML 1.2 core schema, as @actions/core's getBooleanInput reads it.
    if isinstance(value, str):
        value = value.strip()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


def dry_run(value: Any) -> Any:
    """'plan' or a boolean: what publishes nothing, and how much of a run it goes through."""
    if isinstance(value, str) and value.strip().lower() == "plan":
        return "plan"
    try:
        return "true" if boolean(value) else "false"
    except ValueError:
        raise ValueError(
            "must be true (build and check the package, offline), false (publish), or plan "
            "(sign in and show what a run would do, writing nothing)"
        ) from None


def timeout(value: Any) -> Any:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not 1 <= seconds <= 3600:
        raise ValueError("must be a number of seconds from 1 to 3600")
    return seconds


def _whole(value: Any, low: int, high: int, meaning: str) -> int:
    text = value.strip() if isinstance(value, str) else str(value)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"must be a whole number from {low} to {high}{meaning}")
    return int(text)


def retries(value: Any) -> Any:
    return _whole(value, 0, 10, "")


def keep_versions(value: Any) -> Any:
    if value is None:  # not given: delete nothing
        return None
    return _whole(value, 1, 1000, ": how many of the newest versions to keep (leave it "
                  "empty to delete none)")  # fmt: skip


def items(value: Any) -> Any:
    """A list given one a line or separated by commas, without blanks and repeats."""
    if isinstance(value, str):
        found = (item.strip() for line in value.splitlines() for item in line.split(","))
        return tuple(dict.fromkeys(item for item in found if item))
    return value


def functions(value: tuple[str, ...]) -> tuple[str, ...]:
    for item in value:
        parse_target(item)  # its ValueError says what is accepted
    return value


def epoch(value: Any) -> Any:
    if isinstance(value, str) and not value.strip().isdigit():
        raise ValueError("must be a whole number of seconds since 1970 (reproducible-builds.org)")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url(name: str, value: str) -> None:
    """An endpoint (a bare host) or, for 'depend-link', an object's address."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises on a malformed port
    except ValueError as err:
        raise InputConflict(name, f"{value!r} is not a URL") from err
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise InputConflict(name, "must be an https:// URL (with no user name or password)")
    if name != "depend-link" and (parts.query or parts.fragment or parts.path.strip("/")):
        raise InputConflict(name, "must be a bare https://host, with no path or query")
    if parts.scheme == "http" and not _is_loopback(host):
        raise InputConflict(
            name,
            "plain http:// is accepted only for a loopback host (127.0.0.1, ::1, "
            "localhost); use https://",
        )
