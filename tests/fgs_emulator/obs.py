"""OBS objects: PUT, GET, HEAD and DELETE in path style, each checked with the signature
the official esdk-obs-python computes (OBS V1, or the AWS V2 scheme OBS also accepts), and
kept on disk for depend_link and function code links to read.

Like OBS, the anonymous `HEAD /{bucket}?apiversion` answers `x-obs-api: 3.0`: that is how
the SDK's default client decides to sign with the OBS scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from obs.auth import Authentication
from obs.convertor import Adapter

MAX_CLOCK_SKEW = timedelta(minutes=15)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ObsReply:
    status: int
    headers: dict[str, str]
    body: bytes


class ObsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    def reply(self, request_id: str) -> ObsReply:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<Error><Code>{self.code}</Code><Message>{self.message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        return ObsReply(self.status, {"Content-Type": "application/xml"}, body)


def sdk_signature(
    sk: str, method: str, bucket: str, key: str, headers: Mapping[str, str], scheme: str = "OBS"
) -> str:
    """The V1 (or, for scheme AWS, V2) signature, computed by the official SDK's own code."""
    signer = Authentication("", sk, True, Adapter("obs" if scheme == "OBS" else "v2"), "", False)
    return str(signer.getSignature(method, bucket, key, {}, dict(headers))["Signature"])


class ObsStore:
    """Buckets of objects on disk. `keys` maps AK -> (SK, required security token or '')."""

    def __init__(self, buckets: set[str], keys: dict[str, tuple[str, str]]) -> None:
        self._buckets = buckets
        self._keys = keys
        self._dir = Path(tempfile.mkdtemp(prefix="fgs-emulator-obs-"))
        self._objects: dict[tuple[str, str], Path] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def objects(self) -> dict[tuple[str, str], bytes]:
        with self._lock:
            return {k: p.read_bytes() for k, p in self._objects.items()}

    def path_of(self, link: str, endpoint_host: str) -> Path | None:
        """The stored object a depend_link names: path style on this server, or the
        virtual-host form https://{bucket}.obs.{region}.myhuaweicloud.com/{key}."""
        parts = urlsplit(link)
        host = parts.netloc
        if host == endpoint_host:
            bucket, _, key = parts.path.lstrip("/").partition("/")
        elif ".obs." in host:
            bucket, key = host.split(".obs.", 1)[0], parts.path.lstrip("/")
        else:
            return None
        with self._lock:
            return self._objects.get((bucket, unquote(key)))

    def _authorize(self, method: str, bucket: str, key: str, headers: Mapping[str, str]) -> None:
        authorization = headers.get("authorization", "")
        scheme, _, credential = authorization.partition(" ")
        access, _, signature = credential.partition(":")
        if scheme not in ("OBS", "AWS") or not access or not signature:
            raise ObsError(403, "AccessDenied", "Anonymous access or a malformed Authorization")
        if access not in self._keys:
            raise ObsError(403, "InvalidAccessKeyId", "The access key does not exist")
        secret, token = self._keys[access]
        prefix = "x-obs-" if scheme == "OBS" else "x-amz-"
        if token and not hmac.compare_digest(
            headers.get(f"{prefix}security-token", "").encode(), token.encode()
        ):
            raise ObsError(403, "InvalidSecurityToken", "The security token is missing or wrong")
        date = headers.get(f"{prefix}date") or headers.get("date", "")
        try:
            moment = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise ObsError(403, "AccessDenied", "Date or x-obs-date is missing") from None
        if abs(datetime.now(UTC) - moment) > MAX_CLOCK_SKEW:
            raise ObsError(403, "RequestTimeTooSkewed", "The request time is too far off")
        expected = sdk_signature(secret, method, bucket, key, headers, scheme)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise ObsError(403, "SignatureDoesNotMatch", "The signature does not match")

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: BinaryIO, length: int
    ) -> ObsReply:
        request_id = uuid.uuid4().hex.upper()[:16]
        try:
            reply = self._handle(method, path, headers, body, length)
        except ObsError as error:
            reply = error.reply(request_id)
        reply.headers["x-obs-request-id"] = request_id
        return reply

    def add_bucket(self, bucket: str) -> None:
        with self._lock:
            self._buckets.add(bucket)

    def put_object(self, bucket: str, key: str, data: bytes) -> None:
        """Store an object directly (FunctionGraph keeping code, or a test's setup)."""
        target = self._dir / uuid.uuid4().hex
        target.write_bytes(data)
        with self._lock:
            self._buckets.add(bucket)
            self._objects[(bucket, key)] = target

    def _handle(
        self, method: str, path: str, headers: Mapping[str, str], body: BinaryIO, length: int
    ) -> ObsReply:
        bucket, _, quoted_key = path.lstrip("/").partition("/")
        key = unquote(quoted_key)
        if method == "HEAD" and bucket and not key:
            # The SDK's protocol probe, sent unsigned: OBS answers with its API version.
            if bucket not in self._buckets:
                raise ObsError(404, "NoSuchBucket", "The specified bucket does not exist")
            return ObsReply(200, {"x-obs-api": "3.0"}, b"")
        if not bucket or not key:
            raise ObsError(405, "MethodNotAllowed", "Only object operations are emulated")
        self._authorize(method, bucket, key, headers)
        if bucket not in self._buckets:
            raise ObsError(404, "NoSuchBucket", "The specified bucket does not exist")
        if method == "PUT":
            return self._put(bucket, key, headers, body, length)
        with self._lock:
            stored = self._objects.get((bucket, key))
            if method == "DELETE":
                self._objects.pop((bucket, key), None)
                return ObsReply(204, {}, b"")
        if method in ("GET", "HEAD"):
            if stored is None:
                raise ObsError(404, "NoSuchKey", "The specified key does not exist")
            data = stored.read_bytes()
            headers = {
                "Content-Type": "application/zip",
                "ETag": f'"{hashlib.md5(data).hexdigest()}"',
                "Last-Modified": formatdate(stored.stat().st_mtime, usegmt=True),
            }
            if method == "HEAD":
                # No body, but the length of the one a GET would send.
                headers["Content-Length"] = str(len(data))
                return ObsReply(200, headers, b"")
            return ObsReply(200, headers, data)
        raise ObsError(405, "MethodNotAllowed", f"{method} is not emulated")

    def _put(
        self, bucket: str, key: str, headers: Mapping[str, str], body: BinaryIO, length: int
    ) -> ObsReply:
        target = self._dir / uuid.uuid4().hex
        md5 = hashlib.md5()
        remaining = length
        with target.open("wb") as out:
            while remaining > 0:
                chunk = body.read(min(remaining, _CHUNK))
                if not chunk:
                    break
                md5.update(chunk)
                out.write(chunk)
                remaining -= len(chunk)
        claimed = headers.get("content-md5")
        if remaining or (claimed and claimed != base64.b64encode(md5.digest()).decode()):
            target.unlink()
            raise ObsError(400, "BadDigest", "The Content-MD5 does not match what was received")
        with self._lock:
            self._objects[(bucket, key)] = target
        return ObsReply(200, {"ETag": f'"{md5.hexdigest()}"'}, b"")
