"""Checks `SDK-HMAC-SHA256` signatures the way the API gateway does.

The expected signature is computed by the official SDK signer from a request rebuilt
with only the headers the client says it signed, so the emulator and real clients
cannot drift apart on canonicalisation details.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from .errors import unauthorized

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = timedelta(minutes=15)
_REQUIRED_SIGNED = ("host", "x-sdk-date")
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# The signer (re)writes this header under this exact spelling for non-JSON bodies; a
# lowercase copy beside it would be signed twice.
_SDK_HEADER_NAMES = {"x-sdk-content-sha256": "X-Sdk-Content-Sha256"}
_AUTH_RE = re.compile(
    r"SDK-HMAC-SHA256\s+Access=(?P<access>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-fA-F]+)"
)


@dataclass(frozen=True)
class AkSkAuthorization:
    access: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class _Credentials:
    # The SDK signer only reads `.ak` and `.sk`.
    ak: str
    sk: str


def is_aksk(authorization: str) -> bool:
    return authorization.split(" ", 1)[0] == ALGORITHM


def parse_authorization(value: str) -> AkSkAuthorization:
    match = _AUTH_RE.fullmatch(value.strip())
    if match is None:
        raise unauthorized("malformed SDK-HMAC-SHA256 Authorization header")
    return AkSkAuthorization(
        access=match["access"],
        signed_headers=tuple(match["signed"].split(";")),
        signature=match["signature"].lower(),
    )


def sdk_signature(
    sk: str,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    signed_headers: Mapping[str, str],
    body: bytes,
) -> str:
    """Signature the official SDK produces for exactly these signed headers."""
    request = SdkRequest(
        method=method,
        schema="http",
        host=signed_headers.get("host", ""),
        resource_path=path,
        query_params=list(query),
        header_params=dict(signed_headers),
        body=body,
    )
    # The signer needs an AK only to format the Authorization header it writes.
    Signer(_Credentials(ak="verifier", sk=sk)).sign(request)
    authorization: str = request.header_params["Authorization"]
    return authorization.rsplit("Signature=", 1)[1]


def _original_header_value(value: str) -> str:
    # http.server decodes header bytes as latin-1; clients sign the UTF-8 text.
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _check_clock(sdk_date: str, now: datetime) -> None:
    try:
        signed_at = datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise unauthorized(
            f"X-Sdk-Date must look like 20240101T000000Z, got {sdk_date!r}"
        ) from None
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise unauthorized(
            f"X-Sdk-Date {sdk_date} is more than 15 minutes away from the server clock "
            f"({now.strftime(DATE_FORMAT)}); check the client's clock"
        )


def _check_payload_hash(headers: Mapping[str, str], body: bytes) -> None:
    # The SDK trusts a signed X-Sdk-Content-Sha256 instead of hashing the body, so a
    # value that does not describe the body would let a tampered body through.
    claimed = headers["x-sdk-content-sha256"]
    content_type = headers.get("content-type", "")
    if claimed == _UNSIGNED_PAYLOAD and not content_type.startswith("application/json"):
        return
    actual = hashlib.sha256(body).hexdigest().encode()
    if not hmac.compare_digest(claimed.lower().encode("utf-8", "replace"), actual):
        raise unauthorized("X-Sdk-Content-Sha256 does not match the request body")


def verify_aksk(
    authorization: AkSkAuthorization,
    credentials: Mapping[str, str],
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> None:
    """Raise a 401 ApiError unless the request carries a valid signature.

    `headers` has lowercased names, as received.
    """
    sk = credentials.get(authorization.access)
    if sk is None:
        raise unauthorized(f"Get secretKey failed,ak:{authorization.access},err:ak not exist")
    signed = authorization.signed_headers
    for name in _REQUIRED_SIGNED:
        if name not in signed:
            raise unauthorized(f"SignedHeaders must include {name}")
    if "x-project-id" in headers and "x-project-id" not in signed:
        raise unauthorized("X-Project-Id is sent but not signed")
    missing = [name for name in signed if name not in headers]
    if missing:
        raise unauthorized(f"signed headers missing from the request: {', '.join(missing)}")
    _check_clock(headers["x-sdk-date"], now)
    if "x-sdk-content-sha256" in signed and body:
        _check_payload_hash(headers, body)
    rebuilt = {
        _SDK_HEADER_NAMES.get(name, name): _original_header_value(headers[name]) for name in signed
    }
    expected = sdk_signature(sk, method, path, query, rebuilt, body)
    if not hmac.compare_digest(expected, authorization.signature):
        raise unauthorized("verify aksk signature fail")
