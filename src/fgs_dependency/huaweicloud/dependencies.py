"""FunctionGraph's dependency API: create a version, find a dependency, list its versions."""

from email.utils import parsedate_to_datetime
from typing import Annotated, Any

import requests
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import ActionError
from . import paging

# The bodies live in body.py, which a dry run imports without requests.
from .body import JsonWithFile
from .body import inline_body as inline_body
from .body import link_body as link_body
from .client import Connection, exchange

_ID = r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$"


def _epoch_seconds(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


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
    description: str | None = None  # shown in the summary; the service may send null
    file_name: str = Field("", pattern=r"^[^\r\n]*$")
    link: str = Field("", pattern=r"^[^\r\n]*$")
    # Epoch seconds. Only retention's age rule reads it: a value of another form counts as
    # unknown (the version is kept) rather than refusing the whole list.
    last_modified: Annotated[int | None, BeforeValidator(_epoch_seconds)] = None


def newest_of(versions: list["DependencyVersion"], runtime: str) -> "DependencyVersion | None":
    """The newest version for `runtime`: a matrix gives one dependency versions of several
    runtimes, and after `api: legacy` one name has several dependencies, whose version
    numbers cannot be compared (creation times can)."""
    mine = [v for v in versions if v.runtime == runtime]
    # On a tie the later one listed (reversed: max keeps the first of equals).
    return max(reversed(mine), key=lambda v: (v.last_modified or 0, v.version or 0), default=None)


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
    reply = exchange(session, connection, "POST", path, body=body, body_sha256=body_sha256).document
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


def list_named(
    session: requests.Session, connection: Connection, name: str
) -> list[DependencyVersion]:
    """The caller's dependencies called exactly `name`, as the list shows them (for the
    legacy API: one per created package; `id` is the dependency's id)."""
    path = f"/v2/{connection.project_id}/fgs/dependencies"
    query = [("name", name), ("dependency_type", "private")]
    found = []
    for item in paging.pages(session, connection, path, query):
        # The name filter matches substrings: keep the exact name only.
        if isinstance(item, dict) and item.get("name") == name:
            item = {**item, "dep_id": item.get("dep_id") or item.get("id")}
            found.append(_validated(item, "A dependency listed"))
    return found


def list_versions(
    session: requests.Session, connection: Connection, dep_id: str
) -> list[DependencyVersion]:
    return versions_and_clock(session, connection, dep_id)[0]


def versions_and_clock(
    session: requests.Session, connection: Connection, dep_id: str
) -> tuple[list[DependencyVersion], float | None]:
    """The dependency's versions, oldest first, and the service's time (epoch seconds, from
    the reply's Date header; None when it sent none): what a version's age is measured by,
    since this machine's clock may be off."""
    path = f"/v2/{connection.project_id}/fgs/dependencies/{dep_id}/version"
    listed = paging.listing(session, connection, path, [])
    versions = [_validated(item, "A version listed") for item in listed.items]
    try:
        clock: float | None = parsedate_to_datetime(listed.date).timestamp()
    except (TypeError, ValueError):
        clock = None
    return sorted(versions, key=lambda v: v.version or 0), clock


def versions_named(
    session: requests.Session, connection: Connection, name: str
) -> list[DependencyVersion]:
    """Every version of every dependency called exactly `name`: one after `api: legacy`
    made a dependency per publish, and any of them may hold the package."""
    found: list[DependencyVersion] = []
    for dep_id in dict.fromkeys(d.dep_id for d in list_named(session, connection, name)):
        found += list_versions(session, connection, dep_id)
    return found
