"""IAM: signing in with a password, finding a region's project, temporary access keys."""

import json

import requests

from ..errors import ActionError
from ..github import runner
from ..inputs.urns import PROJECT_ID
from .client import Connection, exchange
from .credentials import AkSk, Token


def sign_in(
    session: requests.Session,
    connection: Connection,
    *,
    user: str,
    password: str,
    domain: str,
    project_id: str,
    region: str,
) -> Token:
    """A token scoped to the project (by id when known, else by the region's name)."""
    project = {"id": project_id} if project_id else {"name": region}
    document = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": domain}}
                },
            },
            "scope": {"project": project},
        }
    }
    headers = exchange(
        session,
        connection,
        "POST",
        "/v3/auth/tokens",
        query=[("nocatalog", "true")],
        body=json.dumps(document).encode(),
    ).headers
    token = headers.get("X-Subject-Token", "")
    if not token:
        raise ActionError("IAM accepted the sign-in but sent no X-Subject-Token")
    runner.mask(token)  # at once: nothing may print it before the runner knows it
    return Token(token)


def project_for_region(session: requests.Session, connection: Connection, region: str) -> str:
    """The id of the project named after `region`: exactly one must exist. Looked up among
    the projects the caller can reach (KeystoneListAuthProjects), which needs no permission,
    where the project list (`GET /v3/projects`) needs `iam:projects:listProjects`; that API
    takes no filter, so the region's project is picked here."""
    reply = exchange(session, connection, "GET", "/v3/auth/projects").document
    projects = reply.get("projects") if isinstance(reply, dict) else None
    if not isinstance(projects, list):
        raise ActionError("IAM's project list has no 'projects'")
    ids = [p.get("id") for p in projects if isinstance(p, dict) and p.get("name") == region]
    if len(ids) != 1 or not isinstance(ids[0], str) or not PROJECT_ID.fullmatch(ids[0]):
        found = "no project" if not ids else f"{len(ids)} projects"
        raise ActionError(
            f"IAM lists {found} named '{region}' for these credentials; set 'project-id' "
            "(console: My Credentials > API Credentials)"
        )
    return ids[0]


def temporary_keys(session: requests.Session, connection: Connection) -> AkSk:
    """Temporary AK/SK for OBS, from a token (OBS does not take IAM tokens)."""
    document = {
        "auth": {
            "identity": {"methods": ["token"], "token": {"duration_seconds": 3600}},
        }
    }
    reply = exchange(
        session,
        connection,
        "POST",
        "/v3.0/OS-CREDENTIAL/securitytokens",
        body=json.dumps(document).encode(),
    ).document
    credential = reply.get("credential") if isinstance(reply, dict) else None
    if not isinstance(credential, dict):
        raise ActionError("IAM's temporary credentials reply has no 'credential'")
    keys = [credential.get(k) for k in ("access", "secret", "securitytoken")]
    if not all(isinstance(k, str) and k for k in keys):
        raise ActionError("IAM's temporary credentials lack access, secret or securitytoken")
    access, secret, token = (str(k) for k in keys)
    for value in (access, secret, token):
        runner.mask(value)
    return AkSk(access, secret, token)
