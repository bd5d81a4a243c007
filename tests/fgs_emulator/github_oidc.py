"""A stand-in for the GitHub runner's ID token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL).

`GET /_github/idtoken?api-version=2.0&audience=AUD` with `Authorization: bearer <request
token>` answers `{"count": N, "value": "<JWT>"}`: an RS256 JWT with GitHub's issuer and claims,
signed with a key published at `/_github/.well-known/jwks` (as GitHub publishes its keys at
https://token.actions.githubusercontent.com/.well-known/jwks). Tests change `sub`, the
lifetime, or have the token signed with a key the JWKS does not hold (a forgery).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://token.actions.githubusercontent.com"
PREFIX = "/_github/"
TOKEN_PATH = "/_github/idtoken"
JWKS_PATH = "/_github/.well-known/jwks"
DEFAULT_REPOSITORY = "octo-org/octo-deps"
DEFAULT_REF = "refs/tags/v1.0.0"
# GitHub's ID tokens are valid for a few minutes.
DEFAULT_LIFETIME = timedelta(minutes=5)

Reply = tuple[int, dict[str, Any], dict[str, str]]


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class GitHubOidc:
    def __init__(self, request_token: str) -> None:
        self.request_token = request_token
        self.repository = DEFAULT_REPOSITORY
        self.ref = DEFAULT_REF
        self.sub = f"repo:{DEFAULT_REPOSITORY}:ref:{DEFAULT_REF}"
        self.lifetime = DEFAULT_LIFETIME
        self.forge = False  # sign with a key that the JWKS does not hold
        self._kid = uuid.uuid4().hex
        self._issued: list[str] = []
        self._lock = threading.Lock()
        self._keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey] | None = None

    def _signing_keys(self) -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
        """(GitHub's key, a forger's key), made on first use: most tests never ask for a
        token, and a key takes a while to make."""
        with self._lock:
            if self._keys is None:
                self._keys = (_new_key(), _new_key())
            return self._keys

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._signing_keys()[0].public_key()))
        return {"keys": [{**public, "kid": self._kid, "use": "sig", "alg": "RS256"}]}

    def issued(self) -> list[str]:
        with self._lock:
            return [*self._issued]

    def mint(self, audience: str) -> str:
        """A token as GitHub issues one for a job of `self.repository` at `self.ref`."""
        now = datetime.now(UTC)
        owner = self.repository.split("/")[0]
        claims = {
            "jti": str(uuid.uuid4()),
            "sub": self.sub,
            "aud": audience,
            "ref": self.ref,
            "ref_type": "tag" if self.ref.startswith("refs/tags/") else "branch",
            "repository": self.repository,
            "repository_owner": owner,
            "run_id": "4242",
            "event_name": "push",
            "job_workflow_ref": f"{self.repository}/.github/workflows/release.yml@{self.ref}",
            "iss": ISSUER,
            "nbf": int((now - timedelta(seconds=5)).timestamp()),
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
        }
        genuine, forger = self._signing_keys()
        key = forger if self.forge else genuine
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": self._kid})
        with self._lock:
            self._issued.append(token)
        return token

    def handle(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str]
    ) -> Reply:
        if method == "GET" and path == JWKS_PATH:
            return 200, self.jwks(), {}
        if method != "GET" or path != TOKEN_PATH:
            return 404, {"message": "Not Found"}, {}
        scheme, _, offered = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            offered.encode(), self.request_token.encode()
        ):
            return 401, {"message": "Bad credentials"}, {}
        if query.get("api-version") != ["2.0"]:
            return 400, {"message": "api-version=2.0 is required"}, {}
        audiences = query.get("audience", [])
        if len(audiences) > 1:
            return 400, {"message": "audience may be given once"}, {}
        owner = self.repository.split("/")[0]
        audience = audiences[0] if audiences else f"https://github.com/{owner}"
        return 200, {"count": secrets.randbelow(1000) + 1, "value": self.mint(audience)}, {}
