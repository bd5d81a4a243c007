"""IAM: password and OpenID Connect sign-in (tokens), project lookup by name, temporary
access keys.

Tokens and temporary keys it issues are accepted by the FunctionGraph gateway and OBS of
the same emulator, as the real services accept IAM's.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import ApiError, invalid
from .federation import IdentityProvider, verify_id_token

Reply = tuple[int, dict[str, Any] | None, dict[str, str]]


def _iam_error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, code, message)


def _expiry(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


class IamService:
    def __init__(
        self,
        users: Mapping[tuple[str, str], str],
        project_id: str,
        region: str,
        tokens: set[str],
        obs_keys: dict[str, tuple[str, str]],
        identity_providers: Mapping[str, IdentityProvider] | None = None,
        default_jwks: Callable[[], str] = lambda: '{"keys": []}',
    ) -> None:
        self._users = dict(users)  # (domain, user) -> password
        self._project_id = project_id
        self._region = region
        self._tokens = tokens
        self._obs_keys = obs_keys
        self._issued: list[str] = []
        self._providers = dict(identity_providers or {})
        self._default_jwks = default_jwks

    def issued(self) -> list[str]:
        return [*self._issued]

    def sign_in(self, query: Mapping[str, list[str]], body: Any) -> Reply:
        """POST /v3/auth/tokens with the password method; 201 with X-Subject-Token."""
        try:
            identity = body["auth"]["identity"]
            user = identity["password"]["user"]
            name, password = user["name"], user["password"]
            domain = user["domain"]["name"]
            project = body["auth"]["scope"]["project"]
        except (KeyError, TypeError):
            raise invalid(
                "the body must be auth.identity.password.user with a project scope"
            ) from None
        if identity.get("methods") != ["password"]:
            raise invalid("identity.methods must be ['password']")
        known = self._users.get((domain, name))
        if known is None or not secrets.compare_digest(known, str(password)):
            raise _iam_error(401, "IAM.0001", "The username or password is wrong.")
        if (
            project.get("id", self._project_id) != self._project_id
            or project.get("name", self._region) != self._region
        ):
            raise _iam_error(400, "IAM.0011", "The project scope is not one of this account's")
        token = "MII" + "".join(secrets.choice(string.ascii_letters) for _ in range(60))
        self._tokens.add(token)
        self._issued.append(token)
        payload = {
            "token": {
                "expires_at": _expiry(24),
                "methods": ["password"],
                "project": {"id": self._project_id, "name": self._region},
                "user": {"name": name, "domain": {"name": domain}},
            }
        }
        return 201, payload, {"X-Subject-Token": token}

    def _check_scope(self, project: Any) -> None:
        if not isinstance(project, dict) or not ({"id", "name"} & set(project)):
            raise invalid("scope.project needs an id or a name")
        if (
            project.get("id", self._project_id) != self._project_id
            or project.get("name", self._region) != self._region
        ):
            raise _iam_error(400, "IAM.0011", "The project scope is not one of this account's")

    def _issue(self, payload: dict[str, Any]) -> Reply:
        token = "MII" + "".join(secrets.choice(string.ascii_letters) for _ in range(60))
        self._tokens.add(token)
        self._issued.append(token)
        return 201, payload, {"X-Subject-Token": token}

    def id_token_sign_in(self, headers: Mapping[str, str], body: Any) -> Reply:
        """POST /v3.0/OS-AUTH/id-token/tokens: an OpenID Connect ID token for an IAM token."""
        idp_id = headers.get("x-idp-id", "")
        if not idp_id:
            raise _iam_error(400, "IAM.0007", "Request parameter X-Idp-Id is invalid.")
        try:
            id_token = body["auth"]["id_token"]["id"]
            project = body["auth"]["scope"]["project"]
        except (KeyError, TypeError):
            raise _iam_error(
                400, "IAM.0007", "Request parameter auth.id_token.id is invalid."
            ) from None
        user, _ = verify_id_token(self._providers, self._default_jwks, idp_id, id_token)
        self._check_scope(project)
        return self._issue(
            {
                "token": {
                    "expires_at": _expiry(24),
                    "methods": ["mapped"],
                    "project": {"id": self._project_id, "name": self._region},
                    "user": {
                        "name": user,
                        "OS-FEDERATION": {
                            "identity_provider": {"id": idp_id},
                            "protocol": {"id": "oidc"},
                            "groups": [],
                        },
                    },
                }
            }
        )

    def _auth_projects(self) -> dict[str, Any]:
        """The reply of GET /v3/auth/projects, with the fields of the SDK's AuthProjectResult
        (huaweicloudsdkiam v3 KeystoneListAuthProjectsResponse)."""
        domain_id = "d" * 32
        base = "https://iam.myhuaweicloud.com/v3"
        projects = [
            (self._project_id, self._region),
            ("5" * 32, "MOS"),  # the system project every account lists
            ("7" * 32, "cn-east-3" if self._region != "cn-east-3" else "cn-south-1"),
        ]
        return {
            "projects": [
                {
                    "is_domain": False,
                    "description": "",
                    "links": {"self": f"{base}/projects/{pid}"},
                    "enabled": True,
                    "id": pid,
                    "parent_id": domain_id,
                    "domain_id": domain_id,
                    "name": name,
                }
                for pid, name in projects
            ],
            "links": {"self": f"{base}/auth/projects", "previous": None, "next": None},
        }

    def handle(self, method: str, path: str, query: Mapping[str, list[str]], token: bool) -> Reply:
        """Authenticated IAM calls (the gateway has already checked the credentials)."""
        if method == "GET" and path == "/v3/auth/projects":
            # KeystoneListAuthProjects: every project the caller may reach, no filter (it
            # takes no query parameters) and no permission needed. A real account lists one
            # project per region and the system project MOS: the caller picks by name.
            return 200, self._auth_projects(), {}
        if method == "GET" and path == "/v3/projects":
            names = query.get("name", [])
            projects = (
                [{"id": self._project_id, "name": self._region, "enabled": True}]
                if not names or names[0] == self._region
                else []
            )
            return 200, {"projects": projects, "links": {}}, {}
        if method == "POST" and path == "/v3.0/OS-CREDENTIAL/securitytokens":
            if not token:
                raise _iam_error(400, "IAM.0106", "Temporary keys are issued for a token only")
            access = "".join(
                secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20)
            )
            secret = secrets.token_urlsafe(30)
            security_token = secrets.token_urlsafe(120)
            self._obs_keys[access] = (secret, security_token)
            self._issued += [access, secret, security_token]
            credential = {
                "access": access,
                "secret": secret,
                "securitytoken": security_token,
                "expires_at": _expiry(1),
            }
            return 201, {"credential": credential}, {}
        raise ApiError(404, "IAM.0404", f"no IAM API for {method} {path}")
