"""OBS, for packages too large to send inline: upload a zip, and remove it afterwards.

Requests carry the OBS signature (V1, HMAC-SHA1), which matches the official
esdk-obs-python (the tests compare both). Uploads stream from disk with Content-MD5, so
OBS itself refuses an object that arrived altered.
"""

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import IO
from urllib.parse import quote, unquote, urlsplit

import requests

from ..errors import ActionError
from ..github import runner
from ..github.report import human_size
from ..github.runner import redact
from .body import BodyReader, file_chunks
from .credentials import AkSk, secrets_of
from .transport import send


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str
    keys: AkSk
    timeout: float

    @property
    def path_style(self) -> bool:
        """Virtual-host addressing needs DNS for bucket.host: IPs and localhost use paths."""
        host = urlsplit(self.endpoint).hostname or ""
        if host == "localhost":
            return True
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True

    def url(self, key: str) -> str:
        parts = urlsplit(self.endpoint)
        quoted = quote(key, safe="/~")
        if self.path_style:
            return f"{self.endpoint}/{self.name}/{quoted}"
        return f"{parts.scheme}://{self.name}.{parts.netloc}/{quoted}"


def sign(
    keys: AkSk, method: str, bucket: str, key: str, headers: Mapping[str, str], date: str
) -> dict[str, str]:
    """`headers` plus Date and the OBS V1 Authorization."""
    signed = {**headers, "Date": date}
    if keys.security_token:
        signed["x-obs-security-token"] = keys.security_token
    lowered = {k.lower(): str(v) for k, v in signed.items()}
    obs_headers = "".join(f"{k}:{lowered[k]}\n" for k in sorted(lowered) if k.startswith("x-obs-"))
    string_to_sign = (
        f"{method}\n{lowered.get('content-md5', '')}\n{lowered.get('content-type', '')}\n"
        f"{'' if 'x-obs-date' in lowered else date}\n{obs_headers}"
        f"/{bucket}/{quote(key, safe='/~')}"
    )
    digest = hmac.new(keys.secret_key.encode(), string_to_sign.encode(), hashlib.sha1).digest()
    signed["Authorization"] = f"OBS {keys.access_key}:{base64.b64encode(digest).decode()}"
    return signed


def _log_progress(sent: int, total: int) -> None:
    runner.info(f"  uploaded {human_size(sent)} of {human_size(total)} ({100 * sent // total}%)")


def _request(
    session: requests.Session,
    bucket: Bucket,
    method: str,
    key: str,
    *,
    headers: Mapping[str, str],
    data: BodyReader | None = None,
    sink: IO[bytes] | None = None,
) -> None:
    signed = sign(bucket.keys, method, bucket.name, key, headers, formatdate(usegmt=True))
    reply = send(
        session,
        method,
        bucket.url(key),
        headers=signed,
        data=data,
        timeout=bucket.timeout,
        service="OBS",
        sink=sink,
    )
    if reply.status < 300:
        return
    code = _xml_field(reply.body, "Code")
    message = f"OBS refused {method} of '{key}' in bucket '{bucket.name}': HTTP {reply.status}"
    if code:
        message += f" {code}: {_xml_field(reply.body, 'Message')}"
    request_id = reply.headers.get("x-obs-request-id") or _xml_field(reply.body, "RequestId")
    if request_id:
        message += f" (request id {request_id})"
    message = redact(message, secrets_of(bucket.keys))
    if reply.retryable:
        # A PUT or DELETE of the same key may be repeated: nothing to look up first.
        raise reply.transient(message, maybe_committed=False)
    hints = {
        403: "Check that the credentials may write to 'obs-bucket' (an OBS policy) and that "
        "this machine's clock is right.",
        404: "Check 'obs-bucket' and 'obs-endpoint' (the bucket must be in 'region').",
    }
    if method == "GET":
        hints = {
            403: "Check that the credentials may read this object (OBS GetObject on the "
            "bucket) and that this machine's clock is right.",
            404: "The object is gone: check 'obs-endpoint' (it must be in 'region').",
        }
    raise ActionError(f"{message}. {hints.get(reply.status, '')}".rstrip(". ") + ".")


def _xml_field(body: bytes, tag: str) -> str:
    # OBS errors are small XML documents; a regex avoids an XML parser's attack surface.
    match = re.search(rf"<{tag}>([^<]{{0,300}})</{tag}>".encode(), body)
    return match.group(1).decode("utf-8", "replace") if match else ""


def upload(session: requests.Session, bucket: Bucket, key: str, path: Path, md5: str) -> str:
    """PUT the zip at `key`; return the object's address for FunctionGraph."""
    size = path.stat().st_size
    headers = {
        "Content-Type": "application/zip",
        "Content-MD5": base64.b64encode(bytes.fromhex(md5)).decode(),
    }
    runner.info(f"Uploading {human_size(size)} to OBS bucket '{bucket.name}' as '{key}'")
    body = BodyReader(file_chunks(path), size, _log_progress)
    _request(session, bucket, "PUT", key, headers=headers, data=body)
    return bucket.url(key)


def delete(session: requests.Session, bucket: Bucket, key: str) -> None:
    _request(session, bucket, "DELETE", key, headers={})


# https://{bucket}.obs.{region}.myhuaweicloud.com/{key}: how FunctionGraph names code in OBS.
_OBJECT_HOST = re.compile(r"(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.obs\.[a-z0-9-]+\..+")


def object_of(link: str) -> tuple[str, str] | None:
    """(bucket, key) of an OBS object address, or None when `link` is not one. Only these
    two parts are used: the request goes to 'obs-endpoint', never to the link's host."""
    parts = urlsplit(link)
    match = _OBJECT_HOST.fullmatch(parts.hostname or "")
    key = unquote(parts.path.lstrip("/"))
    if parts.scheme != "https" or not match or not key:
        return None
    return match["bucket"], key


def download(session: requests.Session, bucket: Bucket, key: str, sink: IO[bytes]) -> None:
    """GET the object into `sink` (the caller checks what arrived)."""
    _request(session, bucket, "GET", key, headers={}, sink=sink)
