"""Turning the credential inputs into what requests carry: keys, a token, a project id."""

from dataclasses import replace

import requests

from ..github import runner
from ..inputs.settings import Inputs
from . import iam, keyless, oidc
from .client import Connection
from .credentials import AkSk, Credentials, Token
from .retry import Retries, with_retries


def iam_connection(inputs: Inputs, credentials: Credentials | None) -> Connection:
    return Connection(
        endpoint=inputs.iam_api_endpoint,
        credentials=credentials,
        timeout=inputs.timeout,
        service="IAM",
    )


def sign_in(session: requests.Session, inputs: Inputs, retries: Retries) -> tuple[Credentials, str]:
    """The credentials to use, and the project id (looked up from the region when absent)."""
    method = inputs.sign_in
    if method == "keyless":
        return _keyless(session, inputs, retries)
    credentials: Credentials
    if method == "aksk":
        credentials = AkSk(
            inputs.access_key.get_secret_value(),
            inputs.secret_key.get_secret_value(),
            inputs.security_token.get_secret_value(),
        )
    elif method == "token":
        credentials = Token(inputs.auth_token.get_secret_value())
    else:
        password = inputs.iam_password.get_secret_value()
        credentials = with_retries(
            "Signing in to IAM",
            lambda: iam.sign_in(
                session,
                iam_connection(inputs, None),
                user=inputs.iam_user,
                password=password,
                domain=inputs.iam_domain,
                project_id=inputs.project_id,
                region=inputs.region,
            ),
            retries,
        )
    project_id = inputs.project_id or with_retries(
        "Looking up the project of the region",
        lambda: iam.project_for_region(session, iam_connection(inputs, credentials), inputs.region),
        retries,
    )
    return credentials, project_id


def _keyless(
    session: requests.Session, inputs: Inputs, retries: Retries
) -> tuple[Credentials, str]:
    """GitHub's ID token for IAM, then IAM's token; the project comes with it."""
    id_token = with_retries(
        "Getting GitHub's OIDC token",
        lambda: oidc.request_id_token(session, inputs.oidc_audience, timeout=inputs.timeout),
        retries,
    )
    signed_in = with_retries(
        "Signing in to IAM with GitHub's OIDC token",
        lambda: keyless.exchange(
            session,
            iam_endpoint=inputs.iam_api_endpoint,
            identity_provider=inputs.identity_provider,
            id_token=id_token,
            audience=inputs.oidc_audience,
            project_id=inputs.project_id,
            region=inputs.region,
            timeout=inputs.timeout,
        ),
        retries,
    )
    runner.info(
        f"Signed in to IAM with GitHub's OIDC token through identity provider "
        f"'{inputs.identity_provider}' (project {signed_in.project_id})"
    )
    return signed_in.token, signed_in.project_id


def obs_keys(
    session: requests.Session, inputs: Inputs, credentials: Credentials, retries: Retries
) -> AkSk:
    """OBS takes access keys only: with a token, IAM lends temporary ones."""
    if isinstance(credentials, AkSk):
        return credentials
    connection = replace(iam_connection(inputs, credentials))
    return with_retries(
        "Getting temporary keys for OBS",
        lambda: iam.temporary_keys(session, connection),
        retries,
    )
