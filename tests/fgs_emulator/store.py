"""In-memory dependencies and their versions for one project."""

from __future__ import annotations

import copy
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, dependency_not_found
from .validation import NewVersion

Version = dict[str, Any]
# Fields of a list-dependencies item, taken from the dependency's newest version.
_DEPENDENCY_FIELDS = (
    "name",
    "runtime",
    "etag",
    "size",
    "owner",
    "link",
    "file_name",
    "description",
    "version",
    "last_modified",
)


@dataclass
class _Dependency:
    dep_id: str
    name: str
    versions: list[Version] = field(default_factory=list)
    # Deleted version numbers are never reused, as in the service.
    last_number: int = 0


class DependencyStore:
    def __init__(self, owner: str, region: str, lock: threading.RLock | None = None) -> None:
        self._owner = owner
        self._region = region
        # Shared with the functions: delete() asks them whether a version is in use while
        # they ask this store about versions, so two locks would deadlock (a matrix's
        # retention beside another job's attach).
        self._lock = lock or threading.RLock()
        self._by_name: dict[str, _Dependency] = {}

    def _link(self, version_id: str) -> str:
        region = self._region
        return (
            f"https://functiongraph-{region}.obs.{region}.myhuaweicloud.com"
            f"/depends/{self._owner}/{version_id}.zip"
        )

    def create(self, new: NewVersion, separate: bool = False, age: int = 0) -> Version:
        """A new version of the dependency `new.name`; with `separate`, a new dependency
        of that name instead (as the legacy create API made); `age`: created that many
        seconds ago."""
        with self._lock:
            key = f"{new.name}\x00{uuid.uuid4()}" if separate else new.name
            dependency = self._by_name.get(key)
            if dependency is None:
                dependency = _Dependency(dep_id=str(uuid.uuid4()), name=new.name)
                self._by_name[key] = dependency
            dependency.last_number += 1
            version_id = str(uuid.uuid4())
            version: Version = {
                "id": version_id,
                "owner": self._owner,
                "link": self._link(version_id),
                "runtime": new.runtime,
                "etag": new.etag,
                "size": new.size,
                "name": new.name,
                "description": new.description,
                "file_name": f"{new.name}.zip",
                "version": dependency.last_number,
                "dep_id": dependency.dep_id,
                "last_modified": int(time.time()) - age,
            }
            dependency.versions.append(version)
            return copy.deepcopy(version)

    def list_dependencies(self, name: str | None, runtime: str | None) -> list[Version]:
        """Newest version of each matching dependency, oldest dependency first.

        `name` matches as a substring, so clients must pick the exact name themselves.
        """
        with self._lock:
            items = []
            for dependency in self._by_name.values():
                if not dependency.versions:
                    continue
                newest = dependency.versions[-1]
                if name is not None and name not in dependency.name:
                    continue
                if runtime is not None and newest["runtime"] != runtime:
                    continue
                item = {"id": dependency.dep_id}
                item.update({key: newest[key] for key in _DEPENDENCY_FIELDS})
                items.append(item)
            return items

    def _find(self, dep_id: str) -> _Dependency:
        for dependency in self._by_name.values():
            if dependency.dep_id == dep_id and dependency.versions:
                return dependency
        raise dependency_not_found(f"dependency {dep_id} does not exist")

    def list_versions(self, dep_id: str) -> list[Version]:
        with self._lock:
            return copy.deepcopy(self._find(dep_id).versions)

    def _index(self, dependency: _Dependency, number: int) -> int:
        for index, version in enumerate(dependency.versions):
            if version["version"] == number:
                return index
        raise dependency_not_found(f"version {number} of dependency {dependency.dep_id} not found")

    def show(self, dep_id: str, number: int) -> Version:
        with self._lock:
            dependency = self._find(dep_id)
            version = copy.deepcopy(dependency.versions[self._index(dependency, number)])
        # Stands in for an OBS presigned URL: secret-like, different on every call.
        version["download_link"] = (
            f"{version['link']}?AccessKeyId={secrets.token_hex(10).upper()}"
            f"&Expires={int(time.time()) + 600}&Signature={secrets.token_urlsafe(21)}"
        )
        return version

    def delete(self, dep_id: str, number: int, in_use: Callable[[str], bool]) -> None:
        """Refuse a version a function uses; the last version takes the dependency with it."""
        with self._lock:
            dependency = self._find(dep_id)
            index = self._index(dependency, number)
            if in_use(dependency.versions[index]["id"]):
                raise ApiError(412, "FSS.1033", "The dependency is currently in use.")
            del dependency.versions[index]
            if not dependency.versions:
                self._by_name = {k: d for k, d in self._by_name.items() if d is not dependency}

    def by_version_id(self, version_id: str) -> Version | None:
        with self._lock:
            for dependency in self._by_name.values():
                for version in dependency.versions:
                    if version["id"] == version_id:
                        return copy.deepcopy(version)
            return None

    def backdate(self, name: str, seconds: int) -> None:
        with self._lock:
            for version in self._by_name[name].versions:
                version["last_modified"] -= seconds

    def versions(self, name: str) -> list[Version]:
        with self._lock:
            dependency = self._by_name.get(name)
            return copy.deepcopy(dependency.versions) if dependency else []
