"""How the package reaches FunctionGraph: inline, through OBS, or a zip already in OBS; and
refusing, before anything is sent, what no route can carry. No requests here: a dry run
chooses the route too, and fails where the real run would."""

from ..errors import ActionError
from ..github import runner
from ..huaweicloud.body import JsonWithFile
from ..huaweicloud.body import inline_body as make_inline_body
from ..inputs.choices import Route
from ..inputs.settings import Inputs
from ..packaging.package import INLINE_LIMIT, OBS_LIMIT, SIGNED_BODY_LIMIT, Package

# Each route as the log and the summary name it.
ROUTES: dict[Route, str] = {
    "zip": "inline (base64 in the request)",
    "obs": "through OBS",
    "link": "depend-link",
}


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


def choose_route(
    request: Inputs, package: Package | None, signed: bool, *, quiet: bool = False
) -> Route:
    """'link', 'zip' or 'obs'; refuses, before anything is sent, what no route can carry.
    `quiet`: say nothing (a dry run weighing sign-in kinds it will not use)."""
    if package is None:
        return "link"
    if package.size > OBS_LIMIT:
        raise ActionError(
            f"The zip is {_mib(package.size)}; FunctionGraph takes at most 300 MiB even through "
            "OBS. Leave files out with 'exclude' (tests, docs, source maps)."
        )
    # The exact body an inline create sends: its description alone can add 3 KiB (512
    # characters, each up to six bytes as a JSON escape).
    body_size = len(inline_body(request, package))
    problem = None
    if package.size > INLINE_LIMIT:
        problem = f"the zip is {_mib(package.size)}, over the 40 MiB FunctionGraph takes inline"
    elif signed and body_size > SIGNED_BODY_LIMIT:
        problem = (
            f"the zip is {_mib(package.size)}: with it as base64 the request would be "
            f"{_mib(body_size)}, over the 12 MiB the API gateway takes from AK/SK-signed "
            "requests (a zip of about 8.9 MiB)"
        )
    if request.depend_type == "obs":
        return "obs"
    if problem is None:
        return "zip"
    if request.depend_type == "auto" and request.obs_bucket:
        if not quiet:
            runner.info(f"Sending the package through OBS: {problem}")
        return "obs"
    fixes = "set 'obs-bucket' to send it through OBS"
    if signed and package.size <= INLINE_LIMIT:
        fixes += ", or sign in with 'auth-token' or 'iam-user' (up to 40 MiB inline)"
    raise ActionError(f"The package cannot be sent: {problem}. To fix it, {fixes}.")


def inline_body(request: Inputs, package: Package) -> JsonWithFile:
    """The create request that carries the zip itself: what choose_route measures is what
    publish sends."""
    return make_inline_body(
        name=request.name,
        runtime=request.runtime,
        description=request.version_description,
        zip_path=package.path,
    )
