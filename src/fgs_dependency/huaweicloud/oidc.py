"""Asking the GitHub runner for an OpenID Connect ID token (a JWT) for keyless sign-in.

Not actions-toolkit's `get_id_token`: it sends the request with no timeout, follows
redirects (taking the bearer token along), ignores SSL_CERT_FILE, masks neither token before
its own error could print them, and puts the reply's text in its exception. Here the request
goes through `transport.send`, as every other request does.
"""

import os
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import requests

from ..errors import ActionError, TransientError
from ..github import runner
from ..github.runner import redact
from .transport import send

URL_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_URL"
TOKEN_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
_SERVICE = "GitHub's OIDC token service"
_NO_PERMISSION = (
    "Keyless sign-in ('identity-provider') needs an OpenID Connect token from GitHub, but the "
    "runner gave this step none ({missing} not set). Add `permissions: id-token: write` to the "
    "job (or the workflow). Pull requests from forks never get a token: for those, skip the "
    "publish step (if: github.event.pull_request.head.repo.full_name == github.repository) "
    "or use dry-run: true."
)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        # The bearer token must not cross the network in clear text.
        raise ActionError(
            f"{URL_VARIABLE} is not an https:// address; the runner sets it itself, so "
            "check whether the workflow overrides it in `env:`"
        )


def request_id_token(
    session: requests.Session,
    audience: str,
    *,
    timeout: float,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """The runner's ID token for `audience`, masked before anything can print it."""
    url = environ.get(URL_VARIABLE, "").strip()
    bearer = environ.get(TOKEN_VARIABLE, "").strip()
    missing = [name for name, value in ((URL_VARIABLE, url), (TOKEN_VARIABLE, bearer)) if not value]
    if missing:
        raise ActionError(_NO_PERMISSION.format(missing=" and ".join(missing)))
    runner.mask(bearer)
    _check_url(url)
    # The runner's URL already has a query (api-version=2.0).
    separator = "&" if urlsplit(url).query else "?"
    reply = send(
        session,
        "GET",
        f"{url}{separator}audience={quote(audience, safe='')}",
        headers={"Authorization": f"bearer {bearer}", "Accept": "application/json"},
        data=None,
        timeout=timeout,
        service=_SERVICE,
    )
    document = reply.document()
    value = document.get("value") if isinstance(document, dict) else None
    if isinstance(value, str) and value:
        runner.mask(value)
    if reply.retryable:
        raise TransientError(f"{_SERVICE} answered HTTP {reply.status}", maybe_committed=False)
    if reply.status != 200:
        detail = ""
        if isinstance(document, dict) and isinstance(document.get("message"), str):
            detail = ": " + redact(document["message"], [bearer, str(value or "")])[:300]
        raise ActionError(
            f"{_SERVICE} refused the token request: HTTP {reply.status}{detail}. The request "
            "token lasts as long as the job: re-run the job; if it persists, check that "
            f"`permissions: id-token: write` is set and nothing overrides {URL_VARIABLE}."
        )
    if not isinstance(value, str) or value.count(".") != 2:
        raise ActionError(f"{_SERVICE} answered without a token ('value') in its reply")
    return value
