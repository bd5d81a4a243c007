"""The two forms credentials take on the wire, and how each authenticates a request."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .signing import sign_request


@dataclass(frozen=True)
class AkSk:
    """Access keys, permanent or temporary (with a security token)."""

    access_key: str
    secret_key: str
    security_token: str = ""


@dataclass(frozen=True)
class Token:
    """An IAM token, sent as X-Auth-Token."""

    value: str


Credentials = AkSk | Token


def secrets_of(credentials: Credentials | None) -> list[str]:
    if isinstance(credentials, Token):
        return [credentials.value]
    if isinstance(credentials, AkSk):
        return [credentials.access_key, credentials.secret_key, credentials.security_token]
    return []


def authenticate(
    credentials: Credentials,
    *,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body_sha256: str | None,
) -> dict[str, str]:
    """`headers` plus what proves who is asking. `body_sha256` is needed only for AK/SK."""
    if isinstance(credentials, Token):
        return {**headers, "X-Auth-Token": credentials.value}
    signed = dict(headers)
    if credentials.security_token:
        signed["X-Security-Token"] = credentials.security_token
    if body_sha256 is None:
        raise ValueError("an AK/SK-signed request needs its body's SHA-256")
    return sign_request(
        access_key=credentials.access_key,
        secret_key=credentials.secret_key,
        method=method,
        path=path,
        query=query,
        headers=signed,
        body_sha256=body_sha256,
    )
