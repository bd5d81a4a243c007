"""One HTTP exchange, with the rules every service call follows: TLS verified (a private
CA from the standard variables), redirects never followed, replies read with a cap, and
failures sorted into worth-retrying or not."""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from ..errors import ActionError, TransientError
from .retry import RETRYABLE_STATUSES, parse_retry_after

# Replies the action reads are small; anything larger is not the service talking.
MAX_REPLY = 1024 * 1024
_SINK_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUSES

    def document(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def transient(
        self, message: str, *, maybe_committed: bool, code: str = "", request_id: str = ""
    ) -> TransientError:
        """The error for a reply worth another try, waiting as its Retry-After asks."""
        return TransientError(
            message,
            maybe_committed=maybe_committed,
            retry_after=parse_retry_after(self.headers.get("Retry-After")),
            code=code,
            request_id=request_id,
        )


def _keep_own_headers(request: requests.PreparedRequest) -> requests.PreparedRequest:
    # Passed as `auth` so that requests never swaps our signature for credentials
    # found in ~/.netrc.
    return request


def _verify() -> str | bool:
    # requests reads REQUESTS_CA_BUNDLE itself but ignores SSL_CERT_FILE, which the
    # rest of the Python and OpenSSL world honours for a private CA.
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or True


def _never_connected(err: requests.exceptions.ConnectionError) -> bool:
    reason = getattr(err.args[0], "reason", None) if err.args else None
    return isinstance(reason, NewConnectionError)


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    data: Any,
    timeout: float,
    service: str,
    sink: IO[bytes] | None = None,
) -> Reply:
    """Send one request. Raises TransientError when another try may succeed (its
    `maybe_committed` says whether this one may have taken effect), ActionError when not.
    With `sink`, a 2xx reply's body is written there whatever its size (an object being
    downloaded), and the Reply's body is empty."""
    host = urlsplit(url).hostname
    try:
        response = session.request(
            method,
            url,
            headers=dict(headers),
            data=data,
            timeout=timeout,
            allow_redirects=False,
            auth=_keep_own_headers,
            verify=_verify(),
            stream=True,
        )
    except requests.exceptions.SSLError as err:
        raise ActionError(
            f"TLS verification of {host} failed ({err.__class__.__name__}). For a private CA "
            "set REQUESTS_CA_BUNDLE or SSL_CERT_FILE to its bundle."
        ) from None
    except requests.exceptions.ConnectTimeout:
        raise TransientError(
            f"could not connect to {service} at {host} within {timeout:g} s",
            maybe_committed=False,
        ) from None
    except requests.exceptions.Timeout:
        raise TransientError(
            f"{service} gave no answer within {timeout:g} s ('timeout')", maybe_committed=True
        ) from None
    except requests.exceptions.ConnectionError as err:
        if _never_connected(err):
            raise TransientError(
                f"could not connect to {service} at {host}; check the endpoint inputs and "
                "'region', and that the runner can reach the internet",
                maybe_committed=False,
            ) from None
        raise TransientError(
            f"the connection to {service} broke before the reply arrived", maybe_committed=True
        ) from None
    with response:
        try:
            if sink is not None and 200 <= response.status_code < 300:
                while chunk := response.raw.read(_SINK_CHUNK, decode_content=True):
                    sink.write(chunk)
                return Reply(response.status_code, response.headers, b"")
            body = response.raw.read(MAX_REPLY + 1, decode_content=True)
        except (OSError, ValueError, requests.exceptions.RequestException) as err:
            raise TransientError(
                f"the reply from {service} broke off ({err.__class__.__name__})",
                maybe_committed=True,
            ) from None
    if 300 <= response.status_code < 400:
        raise ActionError(
            f"{service} answered {response.status_code} with a redirect, which is not followed "
            "so that credentials never go elsewhere; check the endpoint inputs"
        )
    if len(body) > MAX_REPLY:
        raise ActionError(
            f"The reply from {host} (HTTP {response.status_code}) is larger than 1 MiB; it "
            f"does not look like {service}: check the endpoint inputs"
        )
    return Reply(response.status_code, response.headers, body)
