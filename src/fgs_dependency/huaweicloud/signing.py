"""AK/SK request signing: Huawei Cloud's SDK-HMAC-SHA256 scheme.

Matches `huaweicloudsdkcore.signer.Signer` (tests compare both on the same requests),
but takes the body's SHA-256 from the caller so that a large body is hashed by
streaming, never held in memory.
"""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def _encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(params: Sequence[tuple[str, str]]) -> str:
    """The query string, sorted and encoded; the request must send exactly this."""
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params))


def sign_request(
    *,
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body_sha256: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """Return `headers` plus X-Sdk-Date and Authorization.

    `headers` must already hold every header to be signed (Host included); names
    with `_` are left unsigned, as the SDK does.
    """
    stamp = (now or datetime.now(UTC)).strftime(DATE_FORMAT)
    signed = {k: v for k, v in headers.items() if k.lower() != "x-sdk-date"}
    signed["X-Sdk-Date"] = stamp
    canonical_headers = {k.lower(): str(v).strip() for k, v in signed.items() if "_" not in k}
    names = sorted(canonical_headers)
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            canonical_query(query),
            "".join(f"{name}:{canonical_headers[name]}\n" for name in names),
            ";".join(names),
            body_sha256,
        ]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    signature = hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    signed["Authorization"] = (
        f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return signed
