"""The FunctionGraph API client: signed requests, and errors a user can act on."""

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from urllib3.exceptions import NewConnectionError

from .body import JsonWithFile
from .errors import ActionError
from .retry import RETRYABLE_STATUSES, TransientError, parse_retry_after
from .signing import EMPTY_BODY_SHA256, canonical_query, sign_request

# Error replies are small; anything larger is not FunctionGraph talking.
_MAX_REPLY = 1024 * 1024
_ID = r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"
# A hostile or broken server must not keep a paging loop going for ever.
_MAX_PAGES = 200
_PAGE_SIZE = 400


@dataclass(frozen=True)
class Connection:
    endpoint: str
    project_id: str
    access_key: str
    secret_key: str
    security_token: str
    timeout: float


class DependencyVersion(BaseModel):
    """The fields of a create-version reply that the action relies on, checked before any
    of them reaches an output."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(pattern=_ID)
    dep_id: str = Field(pattern=_ID)
    version: int = Field(ge=0, strict=True)
    etag: str = Field(pattern=r"^[0-9a-fA-F]{32}$")
    size: int = Field(ge=0, strict=True)
    name: str
    runtime: str
    file_name: str = Field("", pattern=r"^[^\r\n]*$")
    link: str = Field("", pattern=r"^[^\r\n]*$")


class ApiError(ActionError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


_HINTS = {
    401: "The access key and secret key were refused, or this machine's clock is more than "
    "15 minutes off. Check 'access-key' and 'secret-key' (with 'security-token' for "
    "temporary keys) and that they belong to the account of 'project-id'.",
    403: "The credentials are valid but lack permission: give the IAM user a FunctionGraph "
    "policy that allows creating dependencies (for example FunctionGraph FullAccess) in "
    "this region's project.",
    404: "Nothing answers at that address: check 'project-id', 'region' and 'endpoint'.",
    413: "The request is larger than the API gateway accepts.",
    429: "FunctionGraph is throttling requests; run the job again in a minute.",
}
_CODE_HINTS = {
    "FSS.1005": "FunctionGraph does not know the runtime given in 'runtime'.",
    "FSS.1013": "FunctionGraph could not read the package as a zip.",
    "FSS.1023": "The package is over FunctionGraph's size limit.",
    "FSS.1045": "The account has reached its limit of dependencies: delete unused ones.",
}


def _url(connection: Connection, path: str, query: Sequence[tuple[str, str]]) -> str:
    url = connection.endpoint + quote(path)
    return f"{url}?{canonical_query(query)}" if query else url


def _keep_own_headers(request: requests.PreparedRequest) -> requests.PreparedRequest:
    # Passed as `auth` so that requests never swaps our signature for credentials
    # found in ~/.netrc.
    return request


def _verify() -> str | bool:
    # requests reads REQUESTS_CA_BUNDLE itself but ignores SSL_CERT_FILE, which the
    # rest of the Python and OpenSSL world honours for a private CA.
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or True


def call(
    session: requests.Session,
    connection: Connection,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] = (),
    body: JsonWithFile | None = None,
    body_sha256: str | None = None,
) -> Any:
    """Send one signed request; return the decoded JSON reply. Raises TransientError
    for what is worth another try, ApiError or ActionError for what is not."""
    headers = {
        "Content-Type": "application/json",
        "Host": urlsplit(connection.endpoint).netloc,
        "X-Project-Id": connection.project_id,
    }
    if connection.security_token:
        headers["X-Security-Token"] = connection.security_token
    headers = sign_request(
        access_key=connection.access_key,
        secret_key=connection.secret_key,
        method=method,
        path=path,
        query=query,
        headers=headers,
        body_sha256=body_sha256 or (body.sha256() if body else EMPTY_BODY_SHA256),
    )
    try:
        response = session.request(
            method,
            _url(connection, path, query),
            headers=headers,
            data=body.reader() if body else None,
            timeout=connection.timeout,
            allow_redirects=False,
            auth=_keep_own_headers,
            verify=_verify(),
            stream=True,
        )
    except requests.exceptions.SSLError as err:
        raise ActionError(
            f"TLS verification of {urlsplit(connection.endpoint).hostname} failed ({err}). "
            "For a private CA set REQUESTS_CA_BUNDLE or SSL_CERT_FILE to its bundle."
        ) from None
    except requests.exceptions.ConnectTimeout:
        raise TransientError(
            f"could not connect to {connection.endpoint} within {connection.timeout:g} s",
            maybe_committed=False,
        ) from None
    except requests.exceptions.Timeout:
        raise TransientError(
            f"no answer within {connection.timeout:g} s ('timeout')", maybe_committed=True
        ) from None
    except requests.exceptions.ConnectionError as err:
        if _never_connected(err):
            raise TransientError(
                f"could not connect to {connection.endpoint}; check 'endpoint' and 'region', "
                "and that the runner can reach the internet",
                maybe_committed=False,
            ) from None
        raise TransientError(
            "the connection broke before the reply arrived", maybe_committed=True
        ) from None
    with response:
        return _reply(response)


def _never_connected(err: requests.exceptions.ConnectionError) -> bool:
    reason = getattr(err.args[0], "reason", None) if err.args else None
    return isinstance(reason, NewConnectionError)


def _reply(response: requests.Response) -> Any:
    try:
        raw = response.raw.read(_MAX_REPLY + 1, decode_content=True)
    except (OSError, ValueError, requests.exceptions.RequestException) as err:
        raise TransientError(
            f"the reply broke off ({err.__class__.__name__})", maybe_committed=True
        ) from None
    request_id = response.headers.get("X-Request-Id", "")
    if 300 <= response.status_code < 400:
        raise ApiError(
            f"FunctionGraph answered {response.status_code} with a redirect, which is not "
            "followed so that credentials never go elsewhere; check 'endpoint'",
            response.status_code,
        )
    if len(raw) > _MAX_REPLY:
        raise ApiError(
            f"The reply (HTTP {response.status_code}) is larger than 1 MiB; 'endpoint' does "
            "not look like FunctionGraph",
            response.status_code,
        )
    try:
        document = json.loads(raw) if raw else None
    except ValueError:
        document = None
    if response.status_code in RETRYABLE_STATUSES:
        raise TransientError(
            _error_message(response.status_code, document, request_id),
            # A throttled request never reached the service.
            maybe_committed=response.status_code != 429,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if response.status_code >= 400:
        raise ApiError(
            _error_message(response.status_code, document, request_id), response.status_code
        )
    if response.status_code != 204 and not isinstance(document, dict | list):
        raise ApiError(
            f"FunctionGraph answered {response.status_code} without a JSON body; 'endpoint' "
            "does not look like FunctionGraph",
            response.status_code,
        )
    return document


def _error_message(status: int, document: Any, request_id: str) -> str:
    code = message = ""
    if isinstance(document, dict):
        code = str(document.get("error_code", ""))[:64]
        message = str(document.get("error_msg", ""))[:500]
        request_id = request_id or str(document.get("request_id", ""))[:64]
    parts = [f"FunctionGraph refused the request: HTTP {status}"]
    if code:
        parts.append(code)
    text = " ".join(parts) + (f": {message}" if message else "")
    if request_id:
        text += f" (request id {request_id})"
    hint = _CODE_HINTS.get(code) or _HINTS.get(status)
    if hint is None and status == 400:
        hint = "A field of the request was refused: the message above names it."
    if hint is None and status >= 500:
        hint = "FunctionGraph failed on its side; run the job again later."
    return f"{text}. {hint}" if hint else text


def version_body(name: str, runtime: str, description: str, zip_path: Path) -> JsonWithFile:
    fields = {"depend_type": "zip", "runtime": runtime, "name": name}
    if description:
        fields["description"] = description
    return JsonWithFile(fields=fields, file_field="depend_file", file=zip_path)


def create_version(
    session: requests.Session, connection: Connection, body: JsonWithFile, body_sha256: str
) -> DependencyVersion:
    """One create request; retrying it safely is the caller's business."""
    path = f"/v2/{connection.project_id}/fgs/dependencies/version"
    reply = call(session, connection, "POST", path, body=body, body_sha256=body_sha256)
    return _validated(reply, "The create reply")


def _validated(reply: Any, what: str) -> DependencyVersion:
    try:
        return DependencyVersion.model_validate(reply)
    except ValidationError as err:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in err.errors() if e["loc"]}))
        raise ActionError(
            f"{what} from FunctionGraph lacks or mangles: {fields or 'its body'}; "
            "nothing was written to the outputs"
        ) from None


def _pages(
    session: requests.Session, connection: Connection, path: str, query: list[tuple[str, str]]
) -> list[Any]:
    """Every item of a paged list (`marker` is an offset; the end is an empty page, or a
    `next_marker` of 0 or one seen before)."""
    items: list[Any] = []
    marker, seen = 0, set()
    for _ in range(_MAX_PAGES):
        page_query = [*query, ("marker", str(marker)), ("maxitems", str(_PAGE_SIZE))]
        reply = call(session, connection, "GET", path, query=page_query)
        page = reply.get("dependencies") if isinstance(reply, dict) else None
        if not isinstance(page, list):
            raise ActionError(f"FunctionGraph's list reply for {path} has no 'dependencies' list")
        items += page
        seen.add(marker)
        next_marker = reply.get("next_marker")
        if not page or not isinstance(next_marker, int) or next_marker <= 0 or next_marker in seen:
            return items
        marker = next_marker
    raise ActionError(f"FunctionGraph's list for {path} did not end after {_MAX_PAGES} pages")


def find_dependency(session: requests.Session, connection: Connection, name: str) -> str | None:
    """The id of the caller's dependency called exactly `name`, if there is one."""
    path = f"/v2/{connection.project_id}/fgs/dependencies"
    query = [("name", name), ("dependency_type", "private")]
    for item in _pages(session, connection, path, query):
        if isinstance(item, dict) and item.get("name") == name:
            dep_id = item.get("dep_id") or item.get("id")
            if isinstance(dep_id, str) and re.fullmatch(_ID, dep_id):
                return dep_id
    return None


def list_versions(
    session: requests.Session, connection: Connection, dep_id: str
) -> list[DependencyVersion]:
    path = f"/v2/{connection.project_id}/fgs/dependencies/{dep_id}/version"
    versions = [
        _validated(item, "A version listed") for item in _pages(session, connection, path, [])
    ]
    return sorted(versions, key=lambda v: v.version)
