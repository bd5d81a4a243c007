"""IAM's OpenID Connect federation: identity providers and the ID token checks that
`POST /v3.0/OS-AUTH/id-token/tokens` makes before it issues a token (doc iam_13_0605).

A provider is stored as IAM stores one (doc iam_13_0207): the issuer (`idp_url`), the client
ID that tokens' `aud` must equal, the signing key as a JWKS JSON string, and identity
conversion rules in IAM's mapping format:

    [{"local": [{"user": {"name": "gh-{0}"}}, {"group": {"name": "deployers"}}],
      "remote": [{"type": "sub"},
                 {"type": "sub", "any_one_of": ["repo:o/r:ref:refs/tags/.*"], "regex": true}]}]

A remote entry with only `type` supplies `{0}`, `{1}`, ... to the local names; one with
`any_one_of` or `not_any_of` is a condition (`regex` makes its values regular expressions
matched against the whole claim). The first rule whose conditions all hold names the user.

IAM documents this API's statuses (400, 401, 403, 404) but not its error codes: the codes
here (IAM.1101-IAM.1106) are assumed, in IAM's `{"error_code", "error_msg"}` form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from .errors import ApiError
from .github_oidc import ISSUER

DEFAULT_CLIENT_ID = "iam.myhuaweicloud.com"


@dataclass(frozen=True)
class IdentityProvider:
    client_id: str = DEFAULT_CLIENT_ID
    rules: Sequence[Mapping[str, Any]] = ()
    """Identity conversion rules; none admits nobody."""
    signing_key: str | None = None
    """The JWKS as a JSON string; None: the emulator's GitHub stand-in's keys."""
    issuer: str = ISSUER


def rules_for_sub(*patterns: str) -> tuple[dict[str, Any], ...]:
    """The README's rule: tokens whose `sub` fully matches one of `patterns` sign in as one
    user of the publishers' group."""
    return (
        {
            "local": [
                {"user": {"name": "github-fgs-publisher"}},
                {"group": {"name": "fgs-dependency-publishers"}},
            ],
            "remote": [{"type": "sub", "any_one_of": list(patterns), "regex": True}],
        },
    )


def _error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message)


def _claim_values(claims: Mapping[str, Any], name: str) -> list[str] | None:
    value = claims.get(name)
    if value is None:
        return None
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _condition_holds(entry: Mapping[str, Any], values: list[str]) -> bool:
    def matches(pattern: str, value: str) -> bool:
        if entry.get("regex"):
            return re.fullmatch(pattern, value) is not None
        return pattern == value

    if "any_one_of" in entry:
        return any(matches(p, v) for p in entry["any_one_of"] for v in values)
    if "not_any_of" in entry:
        return not any(matches(p, v) for p in entry["not_any_of"] for v in values)
    return True


def map_user(rules: Sequence[Mapping[str, Any]], claims: Mapping[str, Any]) -> str | None:
    """The federated user's name under the first rule that admits `claims`, else None."""
    for rule in rules:
        substitutions: list[str] = []
        admitted = True
        for entry in rule.get("remote", []):
            values = _claim_values(claims, str(entry.get("type", "")))
            if values is None or not _condition_holds(entry, values):
                admitted = False
                break
            if not {"any_one_of", "not_any_of"} & set(entry):
                substitutions.append(values[0])
        if admitted:
            for local in rule.get("local", []):
                if "user" in local:
                    return str(local["user"]["name"]).format(*substitutions)
    return None


def verify_id_token(
    providers: Mapping[str, IdentityProvider],
    default_jwks: Callable[[], str],
    idp_id: str,
    id_token: Any,
) -> tuple[str, Mapping[str, Any]]:
    """(user name, claims) of a token the provider accepts; raises ApiError otherwise."""
    provider = providers.get(idp_id)
    if provider is None:
        raise _error(404, "IAM.1101", f"The identity provider {idp_id} does not exist.")
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        raise _error(400, "IAM.0007", "Request parameter auth.id_token.id is invalid.")
    keys = json.loads(provider.signing_key or default_jwks()).get("keys", [])
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
        [jwk] = [k for k in keys if k.get("kid") == kid] or [None]
        if jwk is None:
            raise _error(401, "IAM.1102", "Verify id_token signature failed: unknown kid.")
        key = jwt.PyJWK(jwk).key
        # Signature first, then each claim on its own so that the reply names what failed.
        unchecked = {f"verify_{claim}": False for claim in ("aud", "iss", "exp", "nbf")}
        claims = jwt.decode(id_token, key, algorithms=["RS256"], options=unchecked)
    except jwt.InvalidSignatureError:
        raise _error(401, "IAM.1102", "Verify id_token signature failed.") from None
    except jwt.PyJWTError as err:
        raise _error(400, "IAM.0007", f"The id_token is malformed: {err}") from None
    if claims.get("iss") != provider.issuer:
        raise _error(401, "IAM.1103", "The iss of id_token does not match the idp_url.")
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    if provider.client_id not in audiences:
        raise _error(401, "IAM.1104", "The aud of id_token does not match the client_id.")
    try:
        jwt.decode(id_token, key, algorithms=["RS256"], options={"verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise _error(401, "IAM.1105", "The id_token has expired.") from None
    except jwt.ImmatureSignatureError:
        raise _error(401, "IAM.1105", "The id_token is not valid yet (nbf).") from None
    user = map_user(provider.rules, claims)
    if user is None:
        raise _error(
            403,
            "IAM.1106",
            "The federated user is not allowed: no identity conversion rule matches.",
        )
    return user, claims
