"""The rules across inputs, as plain functions of the values: what may go together, and
which one way to sign in the credential inputs give. Each message starts with the input
it names (inputs.read reports it under that name)."""

from collections.abc import Mapping

from ..errors import InputConflict
from .choices import SignInMethod
from .urns import parse_target, region_and_project

# What GitHub puts in the token's `aud` and IAM compares with the provider's client ID. Named
# after the service that consumes the token, as AWS's `sts.amazonaws.com` is.
DEFAULT_OIDC_AUDIENCE = "iam.myhuaweicloud.com"

# The inputs each way to sign in needs, all of them.
_WAYS: dict[SignInMethod, tuple[str, ...]] = {
    "aksk": ("access-key", "secret-key"),
    "token": ("auth-token",),
    "iam": ("iam-user", "iam-password", "iam-domain"),
    # GitHub's OIDC token, exchanged for an IAM token (the audience has a default).
    "keyless": ("identity-provider",),
}
_WAYS_TEXT = (
    "Give one of: 'access-key' + 'secret-key' (or HUAWEI_CLOUD_ACCESS_KEY_ID + "
    "HUAWEI_CLOUD_SECRET_ACCESS_KEY, with 'security-token' for temporary keys); "
    "'auth-token' (an IAM token); or 'iam-user' + 'iam-password' + 'iam-domain'; "
    "or 'identity-provider' (keyless, with GitHub's OIDC token)."
)


def _listing(names: list[str]) -> str:
    return " and ".join(f"'{n}'" for n in names)


def sign_in_method(given: Mapping[str, str]) -> SignInMethod:
    """The one complete way to authenticate; `given` maps each credential input (and
    'security-token') to its value, empty when not given."""
    complete = [way for way, names in _WAYS.items() if all(given.get(n) for n in names)]
    for names in _WAYS.values():
        present = [n for n in names if given.get(n)]
        if present and len(present) < len(names):
            missing = [n for n in names if n not in present]
            raise InputConflict(
                "credentials",
                f"{_listing(present)} given without {_listing(missing)}. " + _WAYS_TEXT,
            )
    if given.get("security-token") and "aksk" not in complete:
        raise InputConflict(
            "credentials",
            "'security-token' goes with a temporary 'access-key' and 'secret-key'. " + _WAYS_TEXT,
        )
    if len(complete) != 1:
        found = "none was given" if not complete else f"{_listing(list(complete))} were all given"
        raise InputConflict(
            "credentials", f"exactly one way to sign in is needed, {found}. " + _WAYS_TEXT
        )
    return complete[0]


def check_deploying(
    *,
    legacy_api: bool,
    functions: tuple[str, ...],
    keep_versions: int | None,
    region: str,
    project_id: str,
) -> None:
    """'functions' and 'keep-versions' need the version API, and functions in this region
    and project."""
    if legacy_api and (functions or keep_versions is not None):
        which = "functions" if functions else "keep-versions"
        raise InputConflict(
            which, "the legacy API has no dependency versions to attach or delete; use api: version"
        )
    for item in functions:
        urn = parse_target(item).urn
        if not urn:
            continue
        urn_region, project = region_and_project(urn)
        if region and urn_region != region:
            raise InputConflict(
                "functions",
                f"{urn!r} is in region {urn_region!r}, not in 'region' "
                f"({region!r}); the action works in one region",
            )
        if project_id and project != project_id:
            raise InputConflict(
                "functions", f"{urn!r} is in project {project!r}, not in 'project-id'"
            )


def check_source(*, path: str, requirements: str, depend_link: str) -> None:
    """Exactly one thing says what to publish: 'path', 'requirements' (with an optional
    'path' beside it) or 'depend-link'. Nothing is packaged by default: a forgotten 'path'
    would publish the whole checkout."""
    if not (path or requirements or depend_link):
        raise InputConflict(
            "path",
            "nothing says what to publish. Give 'path' (a folder or a ready .zip in the "
            "workspace; '.' for the whole workspace), 'requirements' (a requirements file to "
            "install for the runtime), or 'depend-link' (a zip already in OBS)",
        )
    if path and depend_link:
        raise InputConflict(
            "depend-link",
            "publishes the zip already in OBS as it is, so 'path' would not be packaged: "
            "give one of the two",
        )


def check_sending(*, depend_link: str, depend_type: str, obs_bucket: str) -> None:
    """Where the package goes: a zip already in OBS is never sent inline."""
    if depend_link and depend_type == "zip":
        raise InputConflict("depend-type", "'zip' cannot go with 'depend-link', which is in OBS")
    if depend_type == "obs" and not obs_bucket and not depend_link:
        raise InputConflict("obs-bucket", "depend-type 'obs' needs the bucket to upload to")


def check_publishing(
    *, region: str, credentials: Mapping[str, str], oidc_audience: str
) -> SignInMethod:
    """What a run that publishes needs: the region and one way to sign in."""
    if not region:
        raise InputConflict(
            "region",
            "publishing needs the region (or HUAWEI_CLOUD_REGION), e.g. cn-north-4; "
            "or set dry-run: true to only build the package",
        )
    return check_signing_in(credentials=credentials, oidc_audience=oidc_audience)


def check_signing_in(*, credentials: Mapping[str, str], oidc_audience: str) -> SignInMethod:
    """The one way to sign in the credential inputs give (checked in a dry run given any,
    since the route depends on it)."""
    method = sign_in_method(credentials)  # raises when not exactly one way is complete
    if oidc_audience != DEFAULT_OIDC_AUDIENCE and not credentials.get("identity-provider"):
        raise InputConflict(
            "oidc-audience",
            "is used only for keyless sign-in; set 'identity-provider' too, "
            "or leave 'oidc-audience' out",
        )
    return method


def check_requirements(
    *,
    requirements: str,
    runtime: str,
    python_version: str | None,
    depend_link: str,
    requirement_inputs: list[str],
) -> None:
    """'requirements' builds for the runtime's Python; the inputs that tune the build go
    with it only. `requirement_inputs`: the names of those given."""
    if not requirements:
        if requirement_inputs:
            raise InputConflict(
                requirement_inputs[0], "is used only with 'requirements' (a requirements file)"
            )
        return
    if depend_link:
        raise InputConflict(
            "requirements", "cannot go with 'depend-link' (a zip already in OBS is sent as is)"
        )
    if python_version is None:
        raise InputConflict(
            "runtime",
            f"'{runtime}' is not a Python runtime that 'requirements' can be installed for; "
            "use Python3.9 or later (Python3.9, Python3.10, Python3.12), or build the folder "
            "yourself and give it as 'path'",
        )
