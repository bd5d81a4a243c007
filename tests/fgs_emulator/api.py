"""Routes authenticated requests to the dependency operations; knows nothing of HTTP I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .errors import forbidden_project, invalid, not_found
from .functions import FunctionStore
from .store import DependencyStore
from .validation import validate_create

DEFAULT_PAGE_SIZE = 400
MAX_PAGE_SIZE = 400
_PROJECT_RE = re.compile(r"/v2/(?P<project>[^/]+)/.*")
_BASE = r"/v2/[^/]+/fgs/dependencies"
_LIST_DEPENDENCIES = re.compile(_BASE)
_CREATE_VERSION = re.compile(_BASE + r"/version")
_LIST_VERSIONS = re.compile(_BASE + r"/(?P<dep_id>[^/]+)/version")
_ONE_VERSION = re.compile(_BASE + r"/(?P<dep_id>[^/]+)/version/(?P<version>[^/]+)")
_DEPENDENCY_TYPES = ("public", "private", "all")
_FUNCTIONS = re.compile(r"/v2/[^/]+/fgs/functions")
_FUNCTION = re.compile(r"/v2/[^/]+/fgs/functions/(?P<urn>[^/]+)/(?P<what>code|config|versions)")
_LEGACY_FIELDS = (
    "owner", "link", "runtime", "etag", "size", "name", "description", "file_name",
)  # fmt: skip


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    json: Any
    """Parsed body, or None when it is empty or not JSON."""


Reply = tuple[int, dict[str, Any] | None]


def _first(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _int_param(query: Mapping[str, list[str]], name: str) -> int | None:
    raw = _first(query, name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise invalid(f"{name} must be a non-negative integer, got {raw!r}")
    return int(raw)


def _page(items: list[dict[str, Any]], query: Mapping[str, list[str]], key: str) -> Reply:
    """Offset paging: `marker` is an offset, `maxitems` (or `limit`) the page size."""
    offset = _int_param(query, "marker") or 0
    size = _int_param(query, "maxitems")
    if size is None:
        size = _int_param(query, "limit")
    if size is None:
        size = DEFAULT_PAGE_SIZE
    if size == 0:
        raise invalid("maxitems must be at least 1")
    # Clamped rather than refused, so a client that assumes one page holds everything fails.
    size = min(size, MAX_PAGE_SIZE)
    page = items[offset : offset + size]
    end = offset + len(page)
    next_marker = end if end < len(items) else 0
    return 200, {key: page, "next_marker": next_marker, "count": len(items)}


def _version_number(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
        raise invalid(f"version must be a positive integer, got {raw!r}")
    return int(raw)


class DependencyApi:
    def __init__(
        self,
        store: DependencyStore,
        project_id: str,
        resolve_link: Callable[[str], Path | None],
        functions: FunctionStore,
    ) -> None:
        self._store = store
        self._functions = functions
        self._project_id = project_id
        self._resolve_link = resolve_link

    def _check_project(self, request: ApiRequest) -> None:
        match = _PROJECT_RE.fullmatch(request.path)
        if match and match["project"] != self._project_id:
            raise forbidden_project(
                f"project {match['project']} in the URI is not the credentials' project"
            )
        header_project = request.headers.get("x-project-id")
        if header_project is not None and header_project != self._project_id:
            raise forbidden_project(f"X-Project-Id {header_project} is not the URI's project")

    def handle(self, request: ApiRequest) -> Reply:
        self._check_project(request)
        method, path, query = request.method, request.path, request.query
        if method == "POST" and _CREATE_VERSION.fullmatch(path):
            return self._create(request)
        if method == "POST" and _LIST_DEPENDENCIES.fullmatch(path):
            return self._create(request, legacy=True)
        if method == "GET" and _LIST_DEPENDENCIES.fullmatch(path):
            return self._list_dependencies(query)
        if method == "GET" and (match := _LIST_VERSIONS.fullmatch(path)):
            return _page(self._store.list_versions(match["dep_id"]), query, "dependencies")
        if match := _ONE_VERSION.fullmatch(path):
            number = _version_number(match["version"])
            if method == "GET":
                return 200, self._store.show(match["dep_id"], number)
            if method == "DELETE":
                self._store.delete(match["dep_id"], number, self._functions.uses)
                return 204, None
        if method == "GET" and _FUNCTIONS.fullmatch(path):
            return _page(self._functions.list_items(), query, "functions")
        if match := _FUNCTION.fullmatch(path):
            return self._function(request, unquote(match["urn"]), match["what"])
        raise not_found(f"no API for {method} {path}")

    def _function(self, request: ApiRequest, urn: str, what: str) -> Reply:
        if request.method == "GET" and what == "versions":
            return _page(self._functions.versions(urn), request.query, "versions")
        if request.method == "GET":
            return 200, self._functions.show(urn, what)
        if request.method == "PUT" and what == "code":
            if request.json is None:
                raise invalid("request body must be a JSON object")
            return 200, self._functions.update_code(urn, request.json)
        raise not_found(f"no API for {request.method} {request.path}")

    def _create(self, request: ApiRequest, legacy: bool = False) -> Reply:
        content_type = request.headers.get("content-type", "")
        if content_type.split(";", 1)[0].strip().lower() != "application/json":
            raise invalid("Content-Type must be application/json")
        if request.json is None:
            raise invalid("request body must be a JSON object")
        new = validate_create(request.json, self._resolve_link)
        if not legacy:
            return 200, self._store.create(new)
        # The older API made a separate dependency per package, named by its `id`, and
        # answered without version numbers.
        created = self._store.create(new, separate=True)
        return 200, {"id": created["dep_id"], **{k: created[k] for k in _LEGACY_FIELDS}}

    def _list_dependencies(self, query: Mapping[str, list[str]]) -> Reply:
        dependency_type = _first(query, "dependency_type")
        if dependency_type is not None and dependency_type not in _DEPENDENCY_TYPES:
            raise invalid(f"dependency_type must be one of {', '.join(_DEPENDENCY_TYPES)}")
        # The emulator holds only the caller's own (private) dependencies.
        if dependency_type == "public":
            return _page([], query, "dependencies")
        items = self._store.list_dependencies(_first(query, "name"), _first(query, "runtime"))
        return _page(items, query, "dependencies")
