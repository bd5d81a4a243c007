"""What `dry-run: true` can tell without signing in: the route the package would take,
refused where the real run would refuse it, and, when the credentials (hence the sign-in
kind) are unknown, which kinds would fail and what was not checked. No requests here."""

from dataclasses import dataclass

from ..errors import ActionError
from ..github import runner
from ..inputs.settings import Inputs
from ..packaging.package import Package
from .route import ROUTES, choose_route

_SIGNED = "access keys ('access-key' + 'secret-key')"
_UNSIGNED = "'auth-token', 'iam-user' or keyless ('identity-provider') sign-in"


@dataclass(frozen=True)
class DryRun:
    """What the dry run found, for the summary: the route (as words) and its warnings."""

    route: str
    warnings: tuple[str, ...]


def check(inputs: Inputs, package: Package | None, run_warnings: list[str]) -> DryRun:
    """Raise the real run's error where it would refuse to send the package; else the
    route, and warnings (logged here) of what depends on what the dry run cannot see."""
    warnings: list[str] = []
    kind = inputs.sign_in_given
    if kind is not None:
        route = ROUTES[choose_route(inputs, package, signed=kind == "aksk")]
    else:
        # A refusal for every sign-in kind is the real run's, whatever the credentials.
        unsigned = choose_route(inputs, package, signed=False, quiet=True)
        try:
            signed = choose_route(inputs, package, signed=True, quiet=True)
        except ActionError as err:
            warnings.append(
                f"No credentials were given, so the sign-in kind is unknown. Signed in with "
                f"{_SIGNED}, the real run would fail: {err} With {_UNSIGNED} it goes "
                f"{ROUTES[unsigned]}."
            )
            signed = unsigned
        route = ROUTES[unsigned]
        if signed != unsigned:
            route = f"{ROUTES[signed]} with access keys; {ROUTES[unsigned]} otherwise"
    if inputs.functions or inputs.keep_versions is not None:
        given = [
            name
            for name, value in (
                ("functions", inputs.functions),
                ("keep-versions", inputs.keep_versions is not None),
            )
            if value
        ]
        warnings.append(
            f"{' and '.join(repr(n) for n in given)} {'were' if len(given) > 1 else 'was'} not "
            f"checked: 'dry-run: true' does not sign in. 'dry-run: plan' signs in and checks "
            f"{'them' if len(given) > 1 else 'it'}, writing nothing."
        )
    for warning in warnings:
        runner.warning(warning, run_warnings)
    return DryRun(route, tuple(warnings))
