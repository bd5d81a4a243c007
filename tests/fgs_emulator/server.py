"""HTTP transport and lifecycle of the FunctionGraph dependency API emulator."""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from . import github_oidc, obs
from .api import DependencyApi
from .errors import ApiError, invalid
from .faults import (
    OPERATIONS,
    CommitThenDrop,
    Fault,
    Hostile,
    Reset,
    SlowReply,
    Status,
    operation_of,
)
from .federation import IdentityProvider
from .functions import FunctionStore
from .gateway import Gateway, parse_json
from .github_oidc import GitHubOidc
from .iam import IamService
from .recording import RecordedRequest, summarise_body
from .store import DependencyStore
from .validation import NewVersion

DEFAULT_OWNER = "emulator-owner"
# What the runner would put in ACTIONS_ID_TOKEN_REQUEST_TOKEN (see github_oidc.py).
DEFAULT_OIDC_REQUEST_TOKEN = "emulator-oidc-request-token-0000000001"
HOST = "127.0.0.1"
# How long to wait for the rest of a refused upload before giving up on the client.
_DISCARD_TIMEOUT_SECONDS = 5.0
# stop() waits up to one poll interval; the default 0.5 s would dominate short tests.
_POLL_SECONDS = 0.01
_METHODS_WITH_BODY = ("POST", "PUT", "PATCH")


def _lowercase_headers(message: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _content_length(method: str, headers: Mapping[str, str]) -> int:
    if "transfer-encoding" in headers:
        raise ApiError(411, "FSS.0411", "Transfer-Encoding is not supported; send Content-Length")
    raw = headers.get("content-length")
    if raw is None:
        if method in _METHODS_WITH_BODY:
            raise ApiError(411, "FSS.0411", "Content-Length is required")
        return 0
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        raise invalid(f"invalid Content-Length {raw!r}")
    return int(raw)


class _Dropped(Exception):
    """The injected fault ends the request without a reply."""


class _Replied(Exception):
    """The reply is ready; skip the rest of the handling."""


class _CountingReader:
    """The request body stream, counting what the handler read."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.count = 0

    def read(self, size: int) -> bytes:
        data: bytes = self._stream.read(size)
        self.count += len(data)
        return data


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__((HOST, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # Tests assert on Emulator.requests; per-request stderr lines are noise.
        pass

    def _handle(self) -> None:
        emulator = self.server.emulator
        request_id = uuid.uuid4().hex
        path, _, raw_query = self.path.partition("?")
        headers = _lowercase_headers(self.headers)
        if path.startswith(github_oidc.PREFIX):
            self._handle_github(path, raw_query, headers)
            return
        if not path.startswith(("/v2/", "/v3/", "/v3.0/")):
            self._handle_obs(path, raw_query, headers)
            return
        fault = emulator._take_fault(operation_of(self.command, path))
        declared: int | None = None
        body, parsed = b"", None
        extra_headers: dict[str, str] = {}
        try:
            declared = _content_length(self.command, headers)
            if isinstance(fault, Reset):
                raise _Dropped
            if isinstance(fault, Status):
                body = self.rfile.read(declared)
                code, message = fault.error()
                if fault.retry_after is not None:
                    extra_headers["Retry-After"] = str(fault.retry_after)
                raise ApiError(fault.status, code, message)
            if path == "/v3/auth/tokens" and self.command == "POST":
                body = self.rfile.read(declared)  # signing in needs no credentials
                parsed = parse_json(body)
                query = parse_qs(raw_query, keep_blank_values=True)
                status, payload, extra_headers = emulator._iam.sign_in(query, parsed)
                raise _Replied
            if path == "/v3.0/OS-AUTH/id-token/tokens" and self.command == "POST":
                body = self.rfile.read(declared)  # the ID token is the credential
                parsed = parse_json(body)
                status, payload, extra_headers = emulator._iam.id_token_sign_in(headers, parsed)
                raise _Replied
            claim = emulator._gateway.admit(headers, declared)
            body = self.rfile.read(declared)
            if len(body) != declared:
                raise invalid("the request body is shorter than Content-Length")
            parsed = parse_json(body)
            if path.startswith("/v3"):
                emulator._gateway.verify(self.command, path, raw_query, headers, body, claim)
                query = parse_qs(raw_query, keep_blank_values=True)
                status, payload, extra_headers = emulator._iam.handle(
                    self.command, path, query, token=claim is None
                )
            else:
                status, payload = emulator._gateway.process(
                    self.command, path, raw_query, headers, body, parsed, claim
                )
        except _Replied:
            pass
        except _Dropped:
            status, payload = 0, None
        except ApiError as error:
            status, payload = error.status, error.body(request_id)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            status = 500
            payload = {"error_code": "FSS.0500", "error_msg": "internal error in the emulator"}
        emulator._run_after(operation_of(self.command, path), ok=200 <= status < 300)
        emulator._record(
            RecordedRequest(
                method=self.command,
                path=path,
                query=parse_qs(raw_query, keep_blank_values=True),
                headers=headers,
                body_size=len(body),
                json=summarise_body(parsed),
                status=status,
            )
        )
        if isinstance(fault, Reset | CommitThenDrop):
            self._drop()
            return
        if isinstance(fault, Hostile):
            self._hostile(fault, status, payload, headers, extra_headers)
            return
        if isinstance(fault, SlowReply):
            time.sleep(fault.seconds)
        # Without a usable Content-Length the request's end is unknown: close after replying.
        unread = -1 if declared is None else declared - len(body)
        try:
            self._reply(status, payload, request_id, close=unread != 0, extra=extra_headers)
            if unread > 0:
                self._discard(unread)
        except OSError:
            self.close_connection = True

    def _handle_github(self, path: str, raw_query: str, headers: dict[str, str]) -> None:
        """The stand-in for the runner's ID token endpoint (not a Huawei Cloud service)."""
        emulator = self.server.emulator
        query = parse_qs(raw_query, keep_blank_values=True)
        status, payload, extra = emulator.github.handle(self.command, path, query, headers)
        emulator._record(
            RecordedRequest(
                method=self.command,
                path=path,
                query=query,
                headers=headers,
                body_size=0,
                json=None,
                status=status,
            )
        )
        try:
            self._reply(status, payload, uuid.uuid4().hex, close=True, extra=extra)
        except OSError:
            self.close_connection = True

    def _handle_obs(self, path: str, raw_query: str, headers: dict[str, str]) -> None:
        emulator = self.server.emulator
        try:
            declared = _content_length(self.command, headers)
        except ApiError:
            declared = None
        fault = emulator._take_fault("obs_put" if self.command == "PUT" else None)
        counting = _CountingReader(self.rfile)
        if isinstance(fault, Reset):
            reply = obs.ObsReply(0, {}, b"")
        elif isinstance(fault, Status):
            code, message = fault.error()
            counting.read(declared or 0)
            reply = obs.ObsError(fault.status, code, message).reply(uuid.uuid4().hex)
            if fault.retry_after is not None:
                reply.headers["Retry-After"] = str(fault.retry_after)
        elif declared is None:
            reply = obs.ObsError(411, "MissingContentLength", "Send Content-Length").reply("")
        else:
            reply = emulator._obs.handle(self.command, path, headers, counting, declared)
        emulator._record(
            RecordedRequest(
                method=self.command,
                path=path,
                query=parse_qs(raw_query, keep_blank_values=True),
                headers=headers,
                body_size=counting.count,
                json=None,
                status=reply.status,
            )
        )
        if isinstance(fault, Reset | CommitThenDrop):
            self._drop()
            return
        if isinstance(fault, SlowReply):
            time.sleep(fault.seconds)
        unread = -1 if declared is None else declared - counting.count
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status != 204 and "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            if unread:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
            if unread > 0:
                self._discard(unread)
        except OSError:
            self.close_connection = True

    def _hostile(
        self,
        fault: Hostile,
        status: int,
        payload: dict[str, Any] | None,
        headers: dict[str, str],
        reply_headers: Mapping[str, str],
    ) -> None:
        """Reply as a broken or malicious server would, after the request was handled."""
        kind = fault.kind
        self.close_connection = True
        body: bytes
        content_type = "application/json"
        extra: dict[str, str] = {}  # more headers
        if kind == "non_json":
            status, body, content_type = 200, b"OK", "text/plain"
        elif kind == "html":
            status, content_type = 403, "text/html"
            body = b"<html><body><h1>403 Forbidden</h1><p>::error::by proxy</p></body></html>"
        elif kind == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(300 * 1024 * 1024))
            self.end_headers()
            try:
                for _ in range(300):
                    self.wfile.write(b" " * (1024 * 1024))
            except OSError:
                pass
            return
        elif kind == "redirect":
            self.send_response(302)
            self.send_header("Location", fault.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif kind == "echo_auth":
            echoed = " ".join(
                f"{name}={headers.get(name, '')}"
                for name in ("authorization", "x-auth-token", "x-security-token")
            )
            status = 401
            body = json.dumps(
                {"error_code": "APIGW.0301", "error_msg": f"rejected {echoed}"}
            ).encode()
        elif kind == "command_in_error":
            status = 400
            injected = "::error title=X::injected\r\n  ::warning::injected ##[error]injected"
            body = json.dumps(
                {
                    "error_code": "FSS.0400\n::error title=X::injected",
                    "error_msg": f"bad field\n{injected}",
                    "request_id": "req-1\n::error title=X::injected",
                }
            ).encode()
        elif kind == "command_in_request_id":
            status = 403
            extra["X-Request-Id"] = "::error title=X::injected"
            body = json.dumps({"error_code": "FSS.1046", "error_msg": "no access"}).encode()
        elif kind == "echo_auth_encoding":
            # A broken proxy that copies the credential headers into Content-Encoding: the
            # client finds "gzip" among them and tries to decode a body that is no gzip.
            echoed = ", ".join(
                headers[name]
                for name in ("authorization", "x-auth-token", "x-security-token")
                if name in headers
            )
            status = 200
            extra["Content-Encoding"] = f"gzip, {echoed}"
            body = json.dumps(payload or {}).encode()
        else:
            # The body is mangled; the headers (IAM's X-Subject-Token) stay as they were.
            extra.update(reply_headers)
            document = dict(payload or {})
            if kind == "token_not_object":
                document["token"] = "not-an-object"
            elif kind == "missing_fields":
                document.pop("dep_id", None)
                document.pop("version", None)
            elif kind == "mistyped":
                document["version"] = str(document.get("version"))
                document["size"] = str(document.get("size"))
            elif kind == "newline_etag":
                document["etag"] = f"{document.get('etag')}\n"
                document["dep_id"] = f"{document.get('dep_id')}\nversion=999"
            elif kind == "forged_output":
                document["dep_id"] = "x\nversion<<ghadelimiter_forged\n999\nghadelimiter_forged"
            elif kind == "command_in_name":
                document["name"] = f"{document.get('name')}\n::error title=X::injected"
            elif kind == "other_runtime":
                document["runtime"] = "Node.js20.15"
            elif kind == "command_in_description":
                document["description"] = "ok\n::warning title=X::injected ##[error]injected"
            elif kind == "command_in_ids":
                document["dep_id"] = "::error title=X::injected"
                document["id"] = "::warning::injected"
            elif kind == "command_in_file_fields":
                document["file_name"] = "::error title=X::injected <img src=x onerror=alert(1)>"
                document["link"] = "::warning title=X::injected [click](https://evil.invalid)"
            body = json.dumps(document).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    def _drop(self) -> None:
        """Close the connection with a reset, as a crashed backend or a network fault would."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    def _reply(
        self,
        status: int,
        payload: dict[str, Any] | None,
        request_id: str,
        close: bool,
        extra: Mapping[str, str],
    ) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-Id", request_id)
        for name, value in extra.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(data)))
        if close:
            # The unread body would otherwise be parsed as the next request.
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _discard(self, remaining: int) -> None:
        """Drain a refused body without keeping it.

        Closing with unread bytes pending makes the kernel send a reset, which can
        destroy the reply before a client that is still uploading reads it.
        """
        self.connection.shutdown(socket.SHUT_WR)
        self.connection.settimeout(_DISCARD_TIMEOUT_SECONDS)
        while remaining > 0:
            chunk = self.rfile.read1(min(remaining, 1 << 16))
            if not chunk:
                return
            remaining -= len(chunk)


class Emulator:
    """FunctionGraph's dependency API on 127.0.0.1, for tests and demos.

    All state (dependencies, recorded requests) lives in the instance.
    """

    def __init__(
        self,
        credentials: Mapping[str, str],
        tokens: Iterable[str],
        project_id: str,
        region: str,
        port: int = 0,
        *,
        owner: str = DEFAULT_OWNER,
        users: Mapping[tuple[str, str], str] | None = None,
        buckets: Iterable[str] = (),
        identity_providers: Mapping[str, IdentityProvider] | None = None,
        oidc_request_token: str = DEFAULT_OIDC_REQUEST_TOKEN,
    ) -> None:
        """`users` maps (domain, user name) to the password IAM accepts; `buckets` are the
        OBS buckets that exist (AK/SK in `credentials` may use them); `identity_providers`
        are IAM's OpenID Connect providers by name, which trust the GitHub stand-in
        (`self.github`, serving ID tokens to `oidc_request_token`) unless given a key."""
        self.project_id = project_id
        self.region = region
        self.owner = owner
        self._requested_port = port
        # One lock for dependencies and functions: each asks the other while it holds it.
        state = threading.RLock()
        self._store = DependencyStore(owner=owner, region=region, lock=state)
        # Shared with IAM, which issues more tokens and temporary keys as it runs.
        self._tokens = set(tokens)
        obs_keys = {access: (secret, "") for access, secret in credentials.items()}
        self._obs = obs.ObsStore(set(buckets), obs_keys)
        self.github = GitHubOidc(oidc_request_token)
        self._iam = IamService(
            users or {},
            project_id,
            region,
            self._tokens,
            obs_keys,
            identity_providers,
            default_jwks=lambda: json.dumps(self.github.jwks()),
        )
        self.code_bucket = f"fgs-code-{region}"
        self._obs.add_bucket(self.code_bucket)
        self._functions = FunctionStore(
            project_id, region, self._put_code, self._read_link, self._store.by_version_id, state
        )
        api = DependencyApi(self._store, project_id, self._link_to_object, self._functions)
        self._gateway = Gateway(credentials, self._tokens, api)
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._faults: dict[str, deque[Fault]] = {}
        self._after: dict[str, deque[tuple[Callable[[], None] | None, bool]]] = {}

    def _make_server(self) -> _Server:
        """The listening server; a subclass may serve it differently (over TLS, say)."""
        return _Server(self._requested_port, self)

    def start(self) -> Emulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name="fgs-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def _link_to_object(self, link: str) -> Path | None:
        return self._obs.path_of(link, urlsplit(self.url).netloc)

    def _put_code(self, key: str, data: bytes) -> str:
        self._obs.put_object(self.code_bucket, key, data)
        return self.object_link(self.code_bucket, key)

    def _read_link(self, link: str) -> bytes | None:
        path = self._link_to_object(link)
        return path.read_bytes() if path is not None else None

    def object_link(self, bucket: str, key: str) -> str:
        """An object's address as FunctionGraph and OBS write it (virtual-host style)."""
        return f"https://{bucket}.obs.{self.region}.myhuaweicloud.com/{quote(key, safe='/~')}"

    def put_object(self, bucket: str, key: str, data: bytes) -> str:
        """Store (or overwrite) an object; its address."""
        self._obs.put_object(bucket, key, data)
        return self.object_link(bucket, key)

    def add_version(
        self,
        name: str,
        runtime: str,
        data: bytes = b"PK\x05\x06" + bytes(18),
        *,
        age: int = 3600,
        separate: bool = False,
    ) -> dict[str, Any]:
        """A version of dependency `name` made as a create request would (test set-up),
        `age` seconds ago: by default an hour, as set-up made before the run. `separate`:
        a new dependency of that name instead, as the legacy create API made."""
        new = NewVersion(name, runtime, "", "zip", hashlib.md5(data).hexdigest(), len(data))
        return self._store.create(new, separate=separate, age=age)

    def backdate(self, name: str, seconds: int) -> None:
        """Make every version of dependency `name` `seconds` older (time passing)."""
        self._store.backdate(name, seconds)

    def delete_version(self, name: str, number: int) -> None:
        """Delete a version as another run's retention (or a person) would."""
        [dep_id] = {v["dep_id"] for v in self._store.versions(name)}
        self._store.delete(dep_id, number, self._functions.uses)

    @property
    def functions(self) -> FunctionStore:
        """Functions: add them, publish versions, read their state (see functions.py)."""
        return self._functions

    def issued_secrets(self) -> list[str]:
        """Every token and temporary key IAM has handed out, and GitHub's ID tokens and
        request token (for secret-leak checks)."""
        return [*self._iam.issued(), *self.github.issued(), self.github.request_token]

    def objects(self) -> dict[tuple[str, str], bytes]:
        """OBS objects now stored, by (bucket, key)."""
        return self._obs.objects()

    def dependencies(self, name: str) -> list[dict[str, Any]]:
        """List items (newest version of each dependency) called exactly `name`."""
        return [d for d in self._store.list_dependencies(name, None) if d["name"] == name]

    def stop(self) -> None:
        self._obs.close()
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order (the live list)."""
        return self._requests

    def versions(self, name: str) -> list[dict[str, Any]]:
        """Stored versions of dependency `name`, oldest first (copies)."""
        return self._store.versions(name)

    def inject(self, operation: str, fault: Fault, times: int = 1) -> None:
        """Make the next `times` calls of `operation` (see faults.OPERATIONS) fail so."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {OPERATIONS}")
        with self._requests_lock:
            self._faults.setdefault(operation, deque()).extend([fault] * times)

    def after(
        self,
        operation: str,
        change: Callable[[], None],
        *,
        times: int = 1,
        skip: int = 0,
        failed_too: bool = False,
    ) -> None:
        """Run `change` (another client's action) right after each of the next `times`
        successful calls of `operation` (after `skip` of them), before its reply is sent:
        the caller's reply shows the state before the change. `failed_too`: after calls
        that failed (an injected 429, say) as well."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {OPERATIONS}")
        with self._requests_lock:
            pending = self._after.setdefault(operation, deque())
            pending.extend([(None, failed_too)] * skip + [(change, failed_too)] * times)

    def _run_after(self, operation: str | None, ok: bool) -> None:
        with self._requests_lock:
            pending = self._after.get(operation or "")
            if not pending or not (ok or pending[0][1]):
                return
            change, _ = pending.popleft()
        if change is not None:
            change()

    def _take_fault(self, operation: str | None) -> Fault | None:
        with self._requests_lock:
            pending = self._faults.get(operation or "")
            return pending.popleft() if pending else None

    def _record(self, request: RecordedRequest) -> None:
        with self._requests_lock:
            self._requests.append(request)
