"""Keyless sign-in: GitHub's OIDC token exchanged for an IAM token (doc iam_13_0605).

IAM checks the token against the identity provider named in `X-Idp-Id`: its signature with
the signing key (JWKS) stored there, `iss` against the provider's URL, `aud` against its
client ID, `exp`, and then the identity conversion rules against the claims (`sub`). Each
refusal is explained with the setting that most likely causes it.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..errors import ActionError
from ..github import runner
from ..github.runner import redact
from ..inputs.urns import PROJECT_ID
from .client import refusal_parts, refusal_text
from .credentials import Token
from .transport import send

PATH = "/v3.0/OS-AUTH/id-token/tokens"
_PROVIDER = "IAM > Identity Providers > '{idp}'"

# IAM's documentation lists the statuses of this API (400, 401, 403, 404) but not its error
# codes, so the codes below are assumed (the emulator answers with them); a refusal with
# another code is explained from its status and the words of its message instead.
_BY_CODE = {
    "IAM.1101": "provider",
    "IAM.1102": "signature",
    "IAM.1103": "issuer",
    "IAM.1104": "audience",
    "IAM.1105": "expired",
    "IAM.1106": "rules",
}
_BY_WORDS = (
    ("audience", re.compile(r"\baud(ience)?\b|client[ _]?id", re.I)),
    ("issuer", re.compile(r"\biss(uer)?\b|idp_url", re.I)),
    ("expired", re.compile(r"expir|\bexp\b", re.I)),
    ("signature", re.compile(r"signature|signing[ _]key|\bjwks?\b|\bkid\b", re.I)),
    ("rules", re.compile(r"mapping|conversion|rule", re.I)),
)
_HINTS = {
    "provider": "IAM knows no identity provider called '{idp}' in this account: check "
    "'identity-provider' (the provider's name, not its URL) and that 'iam-endpoint' or "
    "'region' points at the account's IAM.",
    "signature": "The token's signature does not verify with the signing key stored in the "
    "identity provider ({provider} > OpenID Connect configuration). GitHub rotates its keys: "
    "copy https://token.actions.githubusercontent.com/.well-known/jwks into 'Signing Key' "
    "again.",
    "issuer": "The identity provider's Identity Provider URL ({provider}) must be exactly "
    "https://token.actions.githubusercontent.com (no trailing slash); for GitHub Enterprise "
    "Server, your server's issuer.",
    "audience": "The token's audience is '{audience}' ('oidc-audience'); the identity "
    "provider's Client ID ({provider}) must be the same string. Change one of them.",
    "expired": "GitHub's token had expired when IAM checked it: this machine's clock or "
    "IAM's may be off, or the step waited too long between getting and using it. Re-run the "
    "job.",
    "rules": "The identity provider's identity conversion rules ({provider} > Modify) admit no "
    "user for this run's token. The rules match 'sub', which for this run is like "
    "'repo:OWNER/REPO:ref:refs/tags/v1.0' (a tag), 'repo:OWNER/REPO:ref:refs/heads/main' (a "
    "branch), 'repo:OWNER/REPO:environment:NAME' (a job with an environment) or "
    "'repo:OWNER/REPO:pull_request'. Run from a ref the rules allow, or widen the rules.",
}


@dataclass(frozen=True)
class SignedIn:
    token: Token
    project_id: str


def exchange(
    session: requests.Session,
    *,
    iam_endpoint: str,
    identity_provider: str,
    id_token: str,
    audience: str,
    project_id: str,
    region: str,
    timeout: float,
) -> SignedIn:
    """An IAM token scoped to the project (by id when known, else by the region's name)."""
    project = {"id": project_id} if project_id else {"name": region}
    document = {"auth": {"id_token": {"id": id_token}, "scope": {"project": project}}}
    reply = send(
        session,
        "POST",
        iam_endpoint + PATH,
        headers={
            "Content-Type": "application/json;charset=utf8",
            "Host": urlsplit(iam_endpoint).netloc,
            "X-Idp-Id": identity_provider,
        },
        data=json.dumps(document).encode(),
        timeout=timeout,
        service="IAM",
    )
    body = reply.document()
    token = reply.headers.get("X-Subject-Token", "")
    if token:
        runner.mask(token)  # at once: nothing may print it before the runner knows it
    if reply.retryable:
        # Signing in changes nothing: another try is always safe.
        raise reply.transient(
            f"IAM answered HTTP {reply.status} to the keyless sign-in", maybe_committed=False
        )
    if reply.status >= 400 or reply.status < 200:
        raise ActionError(
            _refusal(
                reply.status,
                body,
                reply.headers.get("X-Request-Id", ""),
                identity_provider=identity_provider,
                audience=audience,
                secrets=[id_token, token],
            )
        )
    if not token:
        raise ActionError("IAM accepted the keyless sign-in but sent no X-Subject-Token")
    # Each level checked: a reply of another shape is a clear error, not an AttributeError.
    token_part = body.get("token") if isinstance(body, dict) else None
    scoped = token_part.get("project") if isinstance(token_part, dict) else None
    found = scoped.get("id") if isinstance(scoped, dict) else None
    if not isinstance(found, str) or not PROJECT_ID.fullmatch(found):
        raise ActionError(
            "IAM's keyless sign-in reply names no project (token.project.id); set 'project-id'"
        )
    if project_id and found != project_id:
        raise ActionError(
            f"IAM scoped the token to project {found}, not to 'project-id' {project_id}"
        )
    return SignedIn(Token(token), found)


def _refusal(
    status: int,
    body: object,
    request_id: str,
    *,
    identity_provider: str,
    audience: str,
    secrets: list[str],
) -> str:
    code, message, request_id = refusal_parts(body, request_id, secrets)
    text = refusal_text("IAM refused the keyless sign-in", status, code, message, request_id)
    text = redact(text, secrets)  # a secret may also span the parts
    cause = _BY_CODE.get(code) or _cause_from_words(message)
    if cause is None:
        cause = {404: "provider", 403: "rules"}.get(status)
    provider = _PROVIDER.format(idp=identity_provider)
    if cause is None:
        hint = (
            "Check the identity provider ({provider}): its URL "
            "https://token.actions.githubusercontent.com, its Client ID (= 'oidc-audience', "
            "now '{audience}'), its signing key (GitHub's JWKS) and its conversion rules."
        )
    else:
        hint = _HINTS[cause]
    return f"{text}. " + hint.format(idp=identity_provider, provider=provider, audience=audience)


def _cause_from_words(message: str) -> str | None:
    for cause, words in _BY_WORDS:
        if words.search(message):
            return cause
    return None
