"""Functions, as far as dependencies touch them: list, config, code, update code, and
published versions (snapshots that cannot change).

Each function's code is kept as an object in the emulator's OBS, where `func_code.link`
(or `code_url`, for obs functions) points, and `digest` is the SHA-512 of that code.
`PUT .../code` takes the worst reading of what the docs leave open: an empty or missing
`func_code.file` puts the default code in place, and a missing `depend_version_list`
clears the list.
"""

from __future__ import annotations

import binascii
import copy
import hashlib
import io
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, invalid
from .validation import strict_b64decode

MAX_DEPENDENCIES = 20
CODE_TYPES = ("inline", "zip", "jar", "obs", "Custom-Image-Swr")
DEFAULT_INLINE = b"# -*- coding:utf-8 -*-\ndef handler(event, context):\n    return 'hello'\n"


def _default_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", DEFAULT_INLINE)
    return buffer.getvalue()


DEFAULT_ZIP = _default_zip()


def function_not_found(urn: str) -> ApiError:
    return ApiError(404, "FSS.1051", f"function {urn} not found")


@dataclass
class _Function:
    urn: str  # without a version
    name: str
    package: str
    runtime: str
    code_type: str
    code_filename: str
    code_url: str
    code: bytes
    link: str
    depend_version_list: list[str]
    kms_key_id: str
    last_modified: int
    user_data: str = ""
    # By version name: digits by default, any name its publisher gave ("prod-1").
    published: dict[str, dict[str, Any]] = field(default_factory=dict)


class FunctionStore:
    """`put_code(key, bytes) -> link` stores code in OBS; `read_link(link) -> bytes | None`
    reads an object; `dependency(version_id)` describes a dependency version or None."""

    def __init__(
        self,
        project_id: str,
        region: str,
        put_code: Callable[[str, bytes], str],
        read_link: Callable[[str], bytes | None],
        dependency: Callable[[str], dict[str, Any] | None],
        lock: threading.RLock | None = None,
    ) -> None:
        self._project_id = project_id
        self._region = region
        self._put_code = put_code
        self._read_link = read_link
        self._dependency = dependency
        self._functions: dict[str, _Function] = {}
        # The emulator's one state lock (see DependencyStore): several actions at once.
        self._lock = lock or threading.RLock()
        self.wrong_lists = 0  # how many coming updates store a list other than sent
        self.dropped_firsts = 0  # how many coming updates lose the first id sent
        self.unlisted: set[str] = set()  # URNs the function list leaves out (a race)
        # URNs whose code and config replies describe no `dependencies[]` (the ids only).
        self.undescribed: set[str] = set()

    # --- set-up by tests -------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        runtime: str,
        code_type: str,
        code: bytes = b"",
        code_filename: str = "",
        code_url: str = "",
        package: str = "default",
        depend_version_list: tuple[str, ...] = (),
        kms_key_id: str = "",
        user_data: str = "",
    ) -> str:
        urn = f"urn:fss:{self._region}:{self._project_id}:function:{package}:{name}"
        with self._lock:
            if urn in self._functions:
                raise ValueError(f"{urn} exists")
            function = _Function(
                urn, name, package, runtime, code_type, code_filename, code_url, b"", "",
                list(depend_version_list), kms_key_id, 0, user_data,
            )  # fmt: skip
            if code_type == "obs":
                stored = self._read_link(code_url)
                if stored is None:
                    raise ValueError(f"no object at {code_url}")
                code = stored
            self._store_code(function, code)
            self._functions[urn] = function
        return urn

    def publish(self, urn: str, name: str = "") -> str:
        """Publish the function's latest state as a version (a snapshot) called `name`
        (FunctionGraph's `version` field; by default the next number); its name."""
        with self._lock:
            function = self._get(urn)
            name = name or str(len(function.published) + 1)
            if name == "latest" or name in function.published:
                raise ValueError(f"{urn} has a version {name} already")
            snapshot = self._config(function)
            snapshot["func_urn"] = f"{urn}:{name}"
            snapshot["version"] = name
            function.published[name] = snapshot
            return name

    def uses(self, version_id: str) -> bool:
        """Whether any function, latest or published, has this dependency version."""
        with self._lock:
            for function in self._functions.values():
                if version_id in function.depend_version_list:
                    return True
                for snapshot in function.published.values():
                    if version_id in snapshot["depend_version_list"]:
                        return True
            return False

    def release(self, urn: str, code: bytes) -> None:
        """Another deploy replaces the function's code (its dependencies stay), as a release
        landing while the action works would."""
        with self._lock:
            self._store_code(self._get(urn), code)

    def attach_other(self, urn: str, version_id: str) -> None:
        """Another workflow adds a dependency version to the function (its code stays)."""
        with self._lock:
            function = self._get(urn)
            function.depend_version_list.append(version_id)
            function.last_modified += 1  # an update, even within the same second

    def detach_other(self, urn: str, version_id: str) -> None:
        """Another workflow removes a dependency version from the function (its code stays)."""
        with self._lock:
            function = self._get(urn)
            function.depend_version_list.remove(version_id)
            function.last_modified += 1

    def config(self, urn: str) -> dict[str, Any]:
        with self._lock:
            return self._config(self._get(urn))

    def code_of(self, urn: str) -> bytes:
        with self._lock:
            return self._get(urn).code

    # --- the API ---------------------------------------------------------------------

    def list_items(self) -> list[dict[str, Any]]:
        with self._lock:
            items = []
            for function in self._functions.values():
                if function.urn in self.unlisted:
                    continue
                item = self._code(function)
                for key in ("depend_version_list", "dependencies", "func_code"):
                    item.pop(key)
                item["func_urn"] = f"{function.urn}:latest"
                item["package"] = function.package
                item["user_data"] = function.user_data
                items.append(item)
            return items

    def show(self, raw_urn: str, what: str) -> dict[str, Any]:
        urn, version = self._split(raw_urn)
        with self._lock:
            function = self._get(urn)
            if version is None:
                return self._config(function) if what == "config" else self._code(function)
            snapshot = function.published.get(version)
            if snapshot is None:
                raise function_not_found(raw_urn)
            return copy.deepcopy(snapshot)

    def versions(self, raw_urn: str) -> list[dict[str, Any]]:
        urn, _ = self._split(raw_urn)
        with self._lock:
            function = self._get(urn)
            latest = {"func_urn": f"{urn}:latest", "func_name": function.name, "version": "latest"}
            return [latest] + [
                {"func_urn": s["func_urn"], "func_name": function.name, "version": s["version"]}
                for s in function.published.values()
            ]

    def update_code(self, raw_urn: str, body: Any) -> dict[str, Any]:
        urn, version = self._split(raw_urn)
        if version is not None:
            raise invalid(f"{raw_urn}: a published version cannot be modified")
        if not isinstance(body, dict):
            raise invalid("request body must be a JSON object")
        code_type = body.get("code_type")
        if code_type not in CODE_TYPES:
            raise invalid(f"code_type must be one of {', '.join(CODE_TYPES)}")
        func_code = body.get("func_code")
        if not isinstance(func_code, dict):
            raise invalid("func_code is required")
        listed = body.get("depend_version_list", [])  # absent: cleared (undocumented)
        if not isinstance(listed, list) or not all(isinstance(i, str) for i in listed):
            raise invalid("depend_version_list must be a list of version ids")
        if len(set(listed)) > MAX_DEPENDENCIES:
            raise invalid(f"a function can have at most {MAX_DEPENDENCIES} dependencies")
        with self._lock:
            function = self._get(urn)
            for version_id in listed:
                dependency = self._dependency(version_id)
                if dependency is None:
                    raise ApiError(404, "FSS.1056", f"dependency version {version_id} not found")
                if dependency["runtime"] != function.runtime:
                    raise invalid(
                        f"dependency version {version_id} is for {dependency['runtime']}, "
                        f"the function runs {function.runtime}"
                    )
            code = self._new_code(code_type, body, func_code)
            function.code_type = code_type
            function.code_filename = str(body.get("code_filename") or "")
            function.code_url = str(body.get("code_url") or "") if code_type == "obs" else ""
            if body.get("code_encrypt_kms_key_id"):
                function.kms_key_id = str(body["code_encrypt_kms_key_id"])
            stored = list(dict.fromkeys(listed))
            if self.wrong_lists > 0:
                self.wrong_lists -= 1
                stored = stored[:-1]  # a fault: the last id sent is lost
            elif self.dropped_firsts > 0:
                self.dropped_firsts -= 1
                stored = stored[1:]  # a fault: the first id sent (another's) is lost
            function.depend_version_list = stored
            self._store_code(function, code)
            return self._code(function)

    # --- internals -------------------------------------------------------------------

    def _new_code(self, code_type: str, body: dict[str, Any], func_code: dict[str, Any]) -> bytes:
        if code_type == "obs":
            url = body.get("code_url")
            data = self._read_link(url) if isinstance(url, str) else None
            if data is None:
                raise ApiError(
                    400, "FSS.1010", "code_url is not an OBS object the service can read"
                )
            return data
        if code_type in ("zip", "jar") and not body.get("code_filename"):
            raise invalid("code_filename is required for zip and jar code")
        encoded = func_code.get("file")
        if not encoded:
            # As documented: no file means the default code.
            return DEFAULT_INLINE if code_type == "inline" else DEFAULT_ZIP
        if not isinstance(encoded, str):
            raise invalid("func_code.file must be base64")
        try:
            data = strict_b64decode(encoded)
        except (ValueError, binascii.Error):
            raise invalid("func_code.file is not valid base64") from None
        if code_type in ("zip", "jar"):
            try:
                zipfile.ZipFile(io.BytesIO(data)).testzip()
            except zipfile.BadZipFile:
                raise ApiError(400, "FSS.1011", "zip: not a valid zip file") from None
        return data

    def _store_code(self, function: _Function, code: bytes) -> None:
        function.code = code
        key = f"{self._project_id}/{function.package}/{function.name}/{uuid.uuid4().hex}.code"
        function.link = self._put_code(key, code)
        # Always later than before: two updates within a second are told apart.
        function.last_modified = max(int(time.time()), function.last_modified + 1)

    def _split(self, raw_urn: str) -> tuple[str, str | None]:
        parts = raw_urn.split(":")
        if len(parts) == 7:
            return raw_urn, None
        if len(parts) == 8 and parts[7] == "latest":
            return ":".join(parts[:7]), None
        if len(parts) == 8 and parts[7]:
            return ":".join(parts[:7]), parts[7]
        raise invalid(f"{raw_urn} is not a function URN")

    def _get(self, urn: str) -> _Function:
        function = self._functions.get(urn)
        if function is None:
            raise function_not_found(urn)
        return function

    def _code(self, function: _Function) -> dict[str, Any]:
        dependencies = [d for d in map(self._dependency, function.depend_version_list) if d]
        if function.urn in self.undescribed:
            dependencies = []
        return {
            "func_urn": function.urn,
            "func_name": function.name,
            "runtime": function.runtime,
            "code_type": function.code_type,
            "code_url": function.code_url,
            "code_filename": function.code_filename,
            "code_size": len(function.code),
            "digest": hashlib.sha512(function.code).hexdigest(),
            "last_modified": function.last_modified,
            # `file` is deprecated and empty; the code is at `link`.
            "func_code": {"file": "", "link": function.link},
            "depend_version_list": list(function.depend_version_list),
            "dependencies": dependencies,
        }

    def _config(self, function: _Function) -> dict[str, Any]:
        config = self._code(function)
        # The config reply has no `func_code` (ShowFunctionConfigResponse lacks it): the
        # code's address is only in the code reply.
        del config["func_code"]
        config.update(
            {
                "func_urn": f"{function.urn}:latest",
                "namespace": self._project_id,
                "package": function.package,
                "handler": "index.handler",
                "memory_size": 128,
                "timeout": 30,
                "version": "latest",
            }
        )
        if function.kms_key_id:
            config["code_encrypt_kms_key_id"] = function.kms_key_id
        return config
