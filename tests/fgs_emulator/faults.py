"""Faults a test can schedule for the next calls of one operation.

Each mirrors a way the real network or service fails, and where it strikes decides
whether the operation took effect: a Status or a Reset happens before anything is
committed; CommitThenDrop and SlowReply commit and then lose or delay the reply, which
is what makes a retried create dangerous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Operations by method and path, as the tests name them.
_OPERATIONS = (
    ("POST", re.compile(r"/v2/[^/]+/fgs/dependencies/version"), "create"),
    ("GET", re.compile(r"/v2/[^/]+/fgs/dependencies"), "list_dependencies"),
    ("GET", re.compile(r"/v2/[^/]+/fgs/dependencies/[^/]+/version"), "list_versions"),
    ("GET", re.compile(r"/v2/[^/]+/fgs/dependencies/[^/]+/version/[^/]+"), "show"),
    ("DELETE", re.compile(r"/v2/[^/]+/fgs/dependencies/[^/]+/version/[^/]+"), "delete"),
    ("POST", re.compile(r"/v3.0/OS-AUTH/id-token/tokens"), "keyless_sign_in"),
    ("GET", re.compile(r"/v2/[^/]+/fgs/functions"), "list_functions"),
    ("GET", re.compile(r"/v2/[^/]+/fgs/functions/[^/]+/config"), "show_config"),
    ("GET", re.compile(r"/v2/[^/]+/fgs/functions/[^/]+/code"), "show_code"),
    ("PUT", re.compile(r"/v2/[^/]+/fgs/functions/[^/]+/code"), "update_code"),
    ("GET", re.compile(r"/v2/[^/]+/fgs/functions/[^/]+/versions"), "list_function_versions"),
)
OPERATIONS = (*(name for _, _, name in _OPERATIONS), "obs_put")

# What the gateway or the service says with each status.
_STATUS_ERRORS = {
    429: ("APIGW.0308", "The throttling threshold has been reached"),
    500: ("FSS.0500", "Internal error"),
    502: ("APIGW.0502", "Bad gateway: the backend failed to answer"),
    503: ("FSS.0503", "Service unavailable"),
    504: ("APIGW.0504", "Backend timeout"),
}


def operation_of(method: str, path: str) -> str | None:
    for verb, pattern, name in _OPERATIONS:
        if method == verb and pattern.fullmatch(path):
            return name
    return None


@dataclass(frozen=True)
class Status:
    """Answer with this error status (and Retry-After, when given) without acting."""

    status: int
    retry_after: int | None = None

    def error(self) -> tuple[str, str]:
        return _STATUS_ERRORS.get(self.status, ("FSS.0500", "Injected failure"))


@dataclass(frozen=True)
class Reset:
    """Reset the connection before reading the body: nothing is committed."""


@dataclass(frozen=True)
class CommitThenDrop:
    """Act on the request, then close the connection without replying."""


@dataclass(frozen=True)
class SlowReply:
    """Act on the request, then wait `seconds` before replying (past the client's timeout)."""

    seconds: float


HOSTILE_KINDS = (
    "non_json",  # 200 with a plain-text body
    "html",  # 403 with a proxy's HTML error page
    "huge",  # 200 with a 300 MB body
    "missing_fields",  # acts, then leaves dep_id and version out of the reply
    "mistyped",  # acts, then sends version and size as strings
    "newline_etag",  # acts, then puts a newline in etag and dep_id
    "forged_output",  # acts, then puts a `name<<delimiter` output line in dep_id
    "redirect",  # 302 to another host (`location`)
    "echo_auth",  # 401 whose message repeats the request's credential headers
    "echo_auth_encoding",  # 200 whose Content-Encoding repeats them, over a body it is not
)
# Replies of another shape than documented, for the one operation each is about.
SHAPE_KINDS = ("token_not_object",)  # IAM's sign-in: acts, then sends `token` as a string
# Text that would act as workflow commands or markup if it reached the log or summary.
INJECTION_KINDS = (
    "command_in_name",  # acts, then names the version "<name>\n::error title=X::injected"
    "other_runtime",  # acts, then gives another runtime than the one asked for
    "command_in_description",  # acts, then puts commands after a newline in description
    "command_in_ids",  # acts, then puts a command in dep_id and id
    "command_in_file_fields",  # acts, then file_name and link start with commands, with HTML
    "command_in_error",  # 400 whose code, message and request_id carry commands
    "command_in_request_id",  # 403 whose X-Request-Id header is a command
)
# The marker every injected command carries, for the tests to look for.
INJECTED = "injected"


@dataclass(frozen=True)
class Hostile:
    """Answer as a broken or malicious server would (one of HOSTILE_KINDS)."""

    kind: str
    # Where "redirect" sends the client: a test that must see whether it was followed
    # points it at a server of its own.
    location: str = "https://collector.invalid/steal"

    def __post_init__(self) -> None:
        if self.kind not in (*HOSTILE_KINDS, *INJECTION_KINDS, *SHAPE_KINDS):
            raise ValueError(f"unknown hostile kind {self.kind!r}")


Fault = Status | Reset | CommitThenDrop | SlowReply | Hostile
