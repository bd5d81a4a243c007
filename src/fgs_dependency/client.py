"""JSON APIs (FunctionGraph, IAM): authenticated requests, and errors a user can act on."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .body import JsonWithFile
from .credentials import AkSk, Credentials, Token, authenticate, redact, secrets_of
from .errors import ActionError, ApiError
from .signing import EMPTY_BODY_SHA256, canonical_query
from .transport import Reply, send

_ID = r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"
# A hostile or broken server must not keep a paging loop going for ever.
_MAX_PAGES = 200
_PAGE_SIZE = 400


@dataclass(frozen=True)
class Connection:
    endpoint: str
    credentials: Credentials | None  # None only for signing in
    timeout: float
    project_id: str = ""
    service: str = "FunctionGraph"


class DependencyVersion(BaseModel):
    """The fields of a create-version reply that the action relies on, checked before any
    of them reaches an output."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(pattern=_ID)
    dep_id: str = Field(pattern=_ID)
    version: int | None = Field(ge=0, strict=True)  # None only from the legacy API
    etag: str = Field(pattern=r"^[0-9a-fA-F]{32}$")
    size: int = Field(ge=0, strict=True)
    name: str
    runtime: str
    file_name: str = Field("", pattern=r"^[^\r\n]*$")
    link: str = Field("", pattern=r"^[^\r\n]*$")


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
    "FSS.1005": "FunctionGraph does not know the runtime given in 'runtime'.",
    "FSS.1010": "FunctionGraph could not use the OBS address: check 'depend-link' or "
    "'obs-bucket', and that the bucket is in this region.",
    "FSS.1013": "FunctionGraph could not read the package as a zip.",
    "FSS.1023": "The package is over FunctionGraph's size limit.",
    "FSS.1045": "The account has reached its limit of dependencies: delete unused ones.",
    "FSS.1151": "The OBS bucket is in another region: use a bucket in 'region'.",
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
) -> tuple[Any, Mapping[str, str]]:
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
    return document, reply.headers


def call(
    session: requests.Session,
    connection: Connection,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    body: JsonWithFile | bytes | None = None,
    body_sha256: str | None = None,
) -> Any:
    """`exchange`, for when only the JSON reply matters."""
    document, _ = exchange(
        session, connection, method, path, query=query, body=body, body_sha256=body_sha256
    )
    return document


def _error_message(connection: Connection, reply: Reply, document: Any) -> tuple[str, str, str]:
    """The message for a refusal, with the error code and request id it names. All three
    are starred out before they are cut short: a cut could leave part of a secret whole."""
    secrets = secrets_of(connection.credentials)
    code = message = ""
    request_id = reply.headers.get("X-Request-Id", "")
    if isinstance(document, dict):
        # FunctionGraph: {"error_code", "error_msg"}; IAM: {"error": {"code", "message"}}.
        nested = document.get("error")
        detail: dict[str, Any] = nested if isinstance(nested, dict) else document
        code = redact(str(detail.get("error_code", detail.get("code", ""))), secrets)[:64]
        message = redact(str(detail.get("error_msg", detail.get("message", ""))), secrets)[:500]
        request_id = request_id or str(document.get("request_id", ""))
    request_id = redact(request_id, secrets)[:64]
    status = reply.status
    text = f"{connection.service} refused the request: HTTP {status}"
    if code and code != str(status):
        text += f" {code}"
    if message:
        text += f": {message}"
    if request_id:
        text += f" (request id {request_id})"
    hint = _CODE_HINTS.get(code) or _HINTS.get((connection.service, status))
    if hint is None and status == 401:
        hint = _TOKEN_401 if isinstance(connection.credentials, Token) else _AKSK_401
    if hint is None and status == 400:
        hint = "A field of the request was refused: the message above names it."
    if hint is None and status >= 500:
        hint = f"{connection.service} failed on its side; run the job again later."
    return (f"{text}. {hint}" if hint else text), code, request_id


def _fields(name: str, runtime: str, description: str) -> dict[str, str]:
    fields = {"runtime": runtime, "name": name}
    if description:
        fields["description"] = description
    return fields


def inline_body(*, name: str, runtime: str, description: str, zip_path: Path) -> JsonWithFile:
    """A create request carrying the zip itself, base64-encoded."""
    fields = {"depend_type": "zip", **_fields(name, runtime, description)}
    return JsonWithFile(fields=fields, file_field="depend_file", file=zip_path)


def link_body(*, name: str, runtime: str, description: str, link: str) -> bytes:
    """A create request naming a zip in OBS."""
    fields = {"depend_type": "obs", "depend_link": link, **_fields(name, runtime, description)}
    return json.dumps(fields).encode()


def create_version(
    session: requests.Session,
    connection: Connection,
    body: JsonWithFile | bytes,
    body_sha256: str | None,
    *,
    legacy: bool = False,
) -> DependencyVersion:
    """One create request; retrying it safely is the caller's business. `legacy` uses the
    older create-dependency API, whose reply has no version and calls the dependency `id`."""
    suffix = "" if legacy else "/version"
    path = f"/v2/{connection.project_id}/fgs/dependencies{suffix}"
    reply = call(session, connection, "POST", path, body=body, body_sha256=body_sha256)
    if legacy and isinstance(reply, dict):
        reply = {**reply, "dep_id": reply.get("id"), "version": None}
    version = _validated(reply, "The create reply")
    if not legacy and version.version is None:
        raise ActionError("The create reply from FunctionGraph lacks: version")
    return version


def _validated(reply: Any, what: str) -> DependencyVersion:
    try:
        return DependencyVersion.model_validate(reply)
    except ValidationError as err:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]}))
        raise ActionError(
            f"{what} from FunctionGraph lacks or mangles: {fields or 'its body'}; "
            "nothing was written to the outputs"
        ) from None


def pages(
    session: requests.Session,
    connection: Connection,
    path: str,
    query: list[tuple[str, str]],
    key: str = "dependencies",
) -> list[Any]:
    """Every item of a paged list under `key` (`marker` is an offset; the end is an empty
    page, or a `next_marker` of 0 or one seen before)."""
    items: list[Any] = []
    marker, seen = 0, set()
    for _ in range(_MAX_PAGES):
        page_query = [*query, ("marker", str(marker)), ("maxitems", str(_PAGE_SIZE))]
        reply = call(session, connection, "GET", path, query=page_query)
        page = reply.get(key) if isinstance(reply, dict) else None
        if not isinstance(page, list):
            raise ActionError(f"FunctionGraph's list reply for {path} has no '{key}' list")
        items += page
        seen.add(marker)
        next_marker = reply.get("next_marker")
        if not page or not isinstance(next_marker, int) or next_marker <= 0 or next_marker in seen:
            return items
        marker = next_marker
    raise ActionError(f"FunctionGraph's list for {path} did not end after {_MAX_PAGES} pages")


def list_named(
    session: requests.Session, connection: Connection, name: str
) -> list[DependencyVersion]:
    """The caller's dependencies called exactly `name`, as the list shows them (for the
    legacy API: one per created package; `id` is the dependency's id)."""
    path = f"/v2/{connection.project_id}/fgs/dependencies"
    query = [("name", name), ("dependency_type", "private")]
    found = []
    for item in pages(session, connection, path, query):
        # The name filter matches substrings: keep the exact name only.
        if isinstance(item, dict) and item.get("name") == name:
            item = {**item, "dep_id": item.get("dep_id") or item.get("id")}
            found.append(_validated(item, "A dependency listed"))
    return found


def find_dependency(session: requests.Session, connection: Connection, name: str) -> str | None:
    """The id of the caller's dependency called exactly `name`, if there is one."""
    found = list_named(session, connection, name)
    return found[0].dep_id if found else None


def list_versions(
    session: requests.Session, connection: Connection, dep_id: str
) -> list[DependencyVersion]:
    path = f"/v2/{connection.project_id}/fgs/dependencies/{dep_id}/version"
    versions = [
        _validated(item, "A version listed") for item in pages(session, connection, path, [])
    ]
    return sorted(versions, key=lambda v: v.version or 0)
