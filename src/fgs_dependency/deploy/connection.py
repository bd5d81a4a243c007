"""Signing in, and the connections every later request goes through: to FunctionGraph, and
to OBS with keys fetched only when a request needs them. Shared by the run that publishes
and by `dry-run: plan`."""

import functools

import requests

from ..huaweicloud import client, function_api, signin
from ..huaweicloud.retry import Retries
from ..inputs.settings import Inputs
from .publish import Destination


def connect(
    session: requests.Session, inputs: Inputs, retries: Retries
) -> tuple[Destination, function_api.Context]:
    """Sign in (one request or a few, none that writes), and the two views of the result:
    where to publish, and what the calls about functions need."""
    credentials, project_id = signin.sign_in(session, inputs, retries)
    destination = Destination(
        functiongraph=client.Connection(
            endpoint=inputs.api_endpoint,
            credentials=credentials,
            timeout=inputs.timeout,
            project_id=project_id,
        ),
        obs_endpoint=inputs.obs_api_endpoint,
        obs_keys=lambda: signin.obs_keys(session, inputs, credentials, retries),
    )
    context = function_api.Context(
        session=session,
        functiongraph=destination.functiongraph,
        obs_endpoint=destination.obs_endpoint,
        # Once per run: with a token, each call would ask IAM for new temporary keys.
        obs_keys=functools.cache(destination.obs_keys),
        retries=retries,
    )
    return destination, context
