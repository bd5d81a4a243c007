"""Huawei Cloud's JSON APIs (FunctionGraph, IAM): authenticated requests, and refusals
explained so that a user can act on them."""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from ..errors import ApiError
from ..github.runner import redact
from ..inputs import runtimes
from .body import JsonWithFile
from .credentials import AkSk, Credentials, Token, authenticate, secrets_of
from .signing import EMPTY_BODY_SHA256, canonical_query
from .transport import Reply, send


@dataclass(frozen=True)
class Connection:
    endpoint: str
    credentials: Credentials | None  # None only for signing in
    timeout: float
    project_id: str = ""
    service: str = "FunctionGraph"


@dataclass(frozen=True)
class JsonReply:
    document: Any  # a dict or list; None only for 204
    headers: Mapping[str, str]


_AKSK_401 = (
    "The access key and secret key were refused, or this machine's clock is more than "
    "15 minutes off. Check 'access-key' and 'secret-key' (with 'security-token' for "
    "temporary keys) and that they belong to the account of 'project-id'."
)
_TOKEN_401 = (
    "The IAM token was refused: it may have expired (tokens last 24 hours) or belong to "
    "another region's project. Get a new one for 'auth-token', or sign in with 'iam-user'."
)
_HINTS = {
    ("IAM", 401): "IAM refused the sign-in: check 'iam-user', 'iam-password' and 'iam-domain' "
    "(the account name), and that the user may use the API (programmatic access).",
    ("IAM", 403): "The user may not do this in IAM: it needs the permission to list projects "
    "or to create temporary credentials; or give 'project-id' and 'access-key'/'secret-key'.",
    ("FunctionGraph", 403): "The credentials are valid but lack permission: give the IAM user "
    "a FunctionGraph policy that allows creating dependencies (for example FunctionGraph "
    "FullAccess) in this region's project.",
    ("FunctionGraph", 404): "Nothing answers at that address: check 'project-id', 'region' "
    "and 'endpoint'.",
    ("FunctionGraph", 413): "The request is larger than the API gateway accepts.",
    ("FunctionGraph", 429): "FunctionGraph is throttling requests; run the job again later.",
}
_CODE_HINTS = {
    "FSS.1005": "FunctionGraph does not know the runtime given in 'runtime'. The runtimes "
    f"this action knows: {runtimes.known_listing()}.",
    "FSS.1010": "FunctionGraph could not use the OBS address: check 'depend-link' or "
    "'obs-bucket', and that the bucket is in this region.",
    "FSS.1013": "FunctionGraph could not read the package as a zip.",
    "FSS.1023": "The package is over FunctionGraph's size limit.",
    "FSS.1045": "The account has reached its limit of dependencies: delete unused ones.",
    "FSS.1151": "The OBS bucket is in another region: use a bucket in 'region'.",
    # Not the address: the dependency or version was there when listed and is gone now.
    "FSS.1056": "The dependency version does not exist (any more): another run's "
    "'keep-versions', or a person, deleted it after this run listed it. Run the job again: "
    "it publishes the package again if no version holds it. To keep runs of one dependency "
    "and runtime from deleting each other's versions, put them in one 'concurrency:' group.",
}


def _url(connection: Connection, path: str, query: Sequence[tuple[str, str]]) -> str:
    url = connection.endpoint + quote(path)
    return f"{url}?{canonical_query(query)}" if query else url


def exchange(
    session: requests.Session,
    connection: Connection,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    body: JsonWithFile | bytes | None = None,
    body_sha256: str | None = None,
) -> JsonReply:
    """Send one authenticated request; return the decoded JSON reply and its headers.
    Raises TransientError for what is worth another try, ApiError or ActionError else."""
    headers = {"Content-Type": "application/json", "Host": urlsplit(connection.endpoint).netloc}
    if connection.project_id:
        headers["X-Project-Id"] = connection.project_id
    if not isinstance(connection.credentials, AkSk):
        body_sha256 = None  # a token request is not signed: no need to read the body twice
    elif body_sha256 is None:
        if isinstance(body, JsonWithFile):
            body_sha256 = body.sha256()
        else:
            body_sha256 = hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256
    if connection.credentials is not None:
        headers = authenticate(
            connection.credentials,
            method=method,
            path=path,
            query=query,
            headers=headers,
            body_sha256=body_sha256,
        )
    reply = send(
        session,
        method,
        _url(connection, path, query),
        headers=headers,
        data=body.reader() if isinstance(body, JsonWithFile) else body,
        timeout=connection.timeout,
        service=connection.service,
    )
    document = reply.document()
    if reply.retryable:
        message, code, request_id = _error_message(connection, reply, document)
        # A throttled request never reached the service.
        raise reply.transient(
            message, maybe_committed=reply.status != 429, code=code, request_id=request_id
        )
    if reply.status >= 400:
        message, code, request_id = _error_message(connection, reply, document)
        raise ApiError(message, reply.status, code=code, request_id=request_id)
    if reply.status != 204 and not isinstance(document, dict | list):
        raise ApiError(
            f"{connection.service} answered {reply.status} without a JSON body; the endpoint "
            "does not look like it",
            reply.status,
        )
    return JsonReply(document, reply.headers)


def _error_message(connection: Connection, reply: Reply, document: Any) -> tuple[str, str, str]:
    """The message for a refusal, with the error code and request id it names. All three
    are starred out before they are cut short: a cut could leave part of a secret whole."""
    code, message, request_id = refusal_parts(
        document, reply.headers.get("X-Request-Id", ""), secrets_of(connection.credentials)
    )
    status = reply.status
    text = refusal_text(
        f"{connection.service} refused the request", status, code, message, request_id
    )
    hint = _CODE_HINTS.get(code) or _HINTS.get((connection.service, status))
    if hint is None and status == 401:
        hint = _TOKEN_401 if isinstance(connection.credentials, Token) else _AKSK_401
    if hint is None and status == 400:
        hint = "A field of the request was refused: the message above names it."
    if hint is None and status >= 500:
        hint = f"{connection.service} failed on its side; run the job again later."
    return (f"{text}. {hint}" if hint else text), code, request_id


def refusal_parts(document: Any, request_id: str, secrets: list[str]) -> tuple[str, str, str]:
    """The error code, message and request id of a refusal (`request_id` from the reply's
    header, if any). Starred out before they are cut short: a cut could leave part of a
    secret unmatched."""
    code = message = ""
    if isinstance(document, dict):
        # FunctionGraph: {"error_code", "error_msg"}; IAM: {"error": {"code", "message"}}.
        nested = document.get("error")
        detail: dict[str, Any] = nested if isinstance(nested, dict) else document
        code = redact(str(detail.get("error_code", detail.get("code", ""))), secrets)[:64]
        message = redact(str(detail.get("error_msg", detail.get("message", ""))), secrets)[:500]
        request_id = request_id or str(document.get("request_id", ""))
    return code, message, redact(request_id, secrets)[:64]


def refusal_text(lead: str, status: int, code: str, message: str, request_id: str) -> str:
    """`lead: HTTP status code: message (request id ...)`, leaving out what is missing."""
    text = f"{lead}: HTTP {status}"
    if code and code != str(status):
        text += f" {code}"
    if message:
        text += f": {message}"
    if request_id:
        text += f" (request id {request_id})"
    return text
