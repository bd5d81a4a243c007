"""The fit checks applied before anything is published: what the function could not load is
refused, or only warned of when 'allow-mismatched-modules' says so; layouts FunctionGraph
does not expect are warned of. (The checks themselves are in fit.)"""

from ..errors import ActionError
from ..github import runner
from ..inputs import runtimes
from ..inputs.settings import Inputs
from . import fit
from .package import Package


def check(inputs: Inputs, package: Package, warnings: list[str]) -> None:
    """Refuse (or, if 'allow-mismatched-modules' allows, warn of) what the function could not
    load: compiled files built for another runtime, a Node.js package without node_modules/;
    and warn of a Python layout FunctionGraph does not expect. Before anything is published."""
    machine = fit.machine_of(inputs.platform)
    target = fit.Target(inputs.runtime, runtimes.python_version(inputs.runtime), machine)
    for message in fit.layout_warnings(package.names, target):
        runner.warning(message, warnings)
    unreachable = fit.missing_node_modules(package.names, target)
    if unreachable and not inputs.allow_mismatched_modules:
        raise ActionError(
            unreachable + " To publish it as it is on purpose, set "
            "'allow-mismatched-modules: true'."
        )
    if unreachable:
        runner.warning(
            unreachable + " Published anyway, as 'allow-mismatched-modules' asks.", warnings
        )
    found = fit.misfits(package.path, package.names, target)
    libc, warning = fit.libc_findings(
        package.binaries, inputs.platform, platform_given=inputs.platform_given
    )
    named = {m.name for m in found}
    found += [m for m in libc if m.name not in named]
    if warning:
        runner.warning(warning, warnings)
    if not found:
        return
    if not inputs.allow_mismatched_modules:
        raise ActionError(
            fit.describe(found, target) + " If the package never imports them, set "
            "'allow-mismatched-modules: true' to publish anyway."
        )
    runner.warning(
        fit.describe(found, target) + " Published anyway, as 'allow-mismatched-modules' asks.",
        warnings,
    )
