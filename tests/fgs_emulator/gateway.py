"""The API gateway in front of the service: authentication and body-size limits."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from .api import ApiRequest, DependencyApi, Reply
from .auth import AkSkAuthorization, is_aksk, parse_authorization, verify_aksk
from .errors import too_large, unauthorized

AKSK_BODY_LIMIT = 12 * 1024 * 1024
# Token requests are not capped by the gateway's signing limit; this leaves room
# for a 40 MB zip as base64 inside JSON.
TOKEN_BODY_LIMIT = 60 * 1024 * 1024


def parse_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


class Gateway:
    def __init__(
        self, credentials: Mapping[str, str], tokens: AbstractSet[str], api: DependencyApi
    ) -> None:
        self._credentials = dict(credentials)
        self._tokens = tokens
        self._api = api

    def _token_accepted(self, token: str) -> bool:
        offered = token.encode("utf-8", "replace")
        # A copy: IAM adds tokens from other request threads, and a set that grows while a
        # generator walks it raises (tuple() copies it in one step under the GIL).
        known_now = tuple(self._tokens)
        return any(hmac.compare_digest(offered, known.encode()) for known in known_now)

    def admit(self, headers: Mapping[str, str], content_length: int) -> AkSkAuthorization | None:
        """Checks that need no body: returns the AK/SK claim to verify, None for a token.

        Runs before the body is read, so an oversized or anonymous upload is refused
        without receiving it.
        """
        token = headers.get("x-auth-token")
        if token is not None:
            if not self._token_accepted(token):
                raise unauthorized("decrypt token fail")
            if content_length > TOKEN_BODY_LIMIT:
                raise too_large(TOKEN_BODY_LIMIT)
            return None
        authorization = headers.get("authorization")
        if authorization is None:
            raise unauthorized("x-auth-token not found")
        if not is_aksk(authorization):
            raise unauthorized("unsupported Authorization scheme, expected SDK-HMAC-SHA256")
        claim = parse_authorization(authorization)
        if content_length > AKSK_BODY_LIMIT:
            raise too_large(AKSK_BODY_LIMIT)
        return claim

    def verify(
        self,
        method: str,
        path: str,
        raw_query: str,
        headers: Mapping[str, str],
        body: bytes,
        claim: AkSkAuthorization | None,
    ) -> None:
        """The signature check, which needs the body (a token was checked in admit)."""
        if claim is not None:
            query = parse_qsl(raw_query, keep_blank_values=True)
            verify_aksk(claim, self._credentials, method, path, query, headers, body, _now())

    def process(
        self,
        method: str,
        path: str,
        raw_query: str,
        headers: Mapping[str, str],
        body: bytes,
        parsed_body: Any,
        claim: AkSkAuthorization | None,
    ) -> Reply:
        self.verify(method, path, raw_query, headers, body, claim)
        request = ApiRequest(
            method=method,
            path=path,
            query=parse_qs(raw_query, keep_blank_values=True),
            headers=headers,
            json=parsed_body,
        )
        return self._api.handle(request)


def _now() -> datetime:
    return datetime.now(UTC)
