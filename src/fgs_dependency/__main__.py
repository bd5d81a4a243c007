"""The entry point: inputs -> package -> sign in -> publish -> deploy -> outputs."""

import gc
import os

if __name__ == "__main__":
    # Two documented switches, set before pydantic is imported (figures in bench/README.md):
    # the imports make some 100,000 objects that live as long as the process, and the
    # collector's passes over them cost a dry run tens of milliseconds: it stays off until the
    # inputs are read, then they are frozen out of its way (main). And the action uses no
    # pydantic plugins, so pydantic need not scan every installed distribution for them.
    gc.disable()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import signal
import sys
import tempfile
import traceback
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import packaging, plan_summary, summary
from .deploy import offline
from .deploy.attachment import AfterPublishing
from .deploy.rollout import Deployed, deploy
from .deploy.route import choose_route
from .errors import ActionError, Cancelled, InputError, InputErrors
from .github import report, runner
from .inputs import runtimes
from .inputs.read import read_inputs
from .inputs.settings import Inputs
from .outputs import outputs as make_outputs
from .outputs import title as outputs_title
from .packaging import Package, fit

if TYPE_CHECKING:
    from .deploy.publish import Outcome


def _secrets(inputs: Inputs) -> list[str]:
    values = [
        inputs.secret_key,
        inputs.security_token,
        inputs.access_key,
        inputs.auth_token,
        inputs.iam_password,
    ]
    found = [v.get_secret_value() for v in values if v.get_secret_value()]
    return found + inputs.index_secrets


def make_package(inputs: Inputs) -> Package:
    if inputs.requirements:
        # Imported only here: a run without 'requirements' never needs it.
        from .packaging import requirements

        scratch = Path(tempfile.mkdtemp(prefix="fgs-dependency-", dir=inputs.runner_temp))
        return requirements.package(inputs, scratch)
    source = packaging.locate_source(inputs.workspace, inputs.path)
    if source.is_file():
        if inputs.exclude or inputs.prefix:
            runner.warning("'exclude' and 'prefix' do not apply to a ready .zip; it is sent as is")
        return packaging.inspect_ready_zip(source, inputs.path)
    # Never inside the workspace: the runner would leave a root-owned file there.
    scratch = Path(tempfile.mkdtemp(prefix="fgs-dependency-", dir=inputs.runner_temp))
    return packaging.build(
        source,
        exclude=inputs.exclude,
        prefix=inputs.prefix,
        destination=scratch / f"{inputs.name}.zip",
        source_date_epoch=inputs.source_date_epoch,
        path_input=inputs.path,
    )


def check_fit(inputs: Inputs, package: Package) -> None:
    """Refuse (or, if allowed, warn of) compiled files that cannot load on the function,
    and warn of a layout FunctionGraph does not expect: before anything is published."""
    machine = fit.machine_of(inputs.platform)
    target = fit.Target(inputs.runtime, runtimes.python_version(inputs.runtime), machine)
    for message in fit.layout_warnings(package.names, target):
        runner.warning(message)
    found = fit.misfits(package.path, package.names, target)
    libc, warning = fit.libc_findings(
        package.binaries, inputs.platform, platform_given=inputs.platform_given
    )
    named = {m.name for m in found}
    found += [m for m in libc if m.name not in named]
    if warning:
        runner.warning(warning)
    if not found:
        return
    if not inputs.allow_mismatched_modules:
        raise ActionError(
            fit.describe(found, target) + " If the package never imports them, set "
            "'allow-mismatched-modules: true' to publish anyway."
        )
    runner.warning(
        fit.describe(found, target) + " Published anyway, as 'allow-mismatched-modules' asks."
    )


def publish_package(inputs: Inputs, package: Package | None) -> tuple["Outcome", Deployed]:
    """Sign in, publish, then attach and retire: everything that sends a request."""
    # Imported here: a dry run never needs requests, and starts a tenth of a second sooner.
    import requests

    from .deploy import precheck, publish
    from .deploy.connection import connect

    # Chosen before signing in, so that what cannot be sent is refused before any request.
    route = choose_route(inputs, package, signed=inputs.sign_in == "aksk")
    with requests.Session() as session:
        destination, context = connect(session, inputs)
        targets = precheck.prepare(
            context, inputs.functions, inputs.runtime, inputs.name, inputs.legacy_api
        )
        runner.info(f"Publishing '{inputs.name}' ({inputs.runtime}) at {inputs.api_endpoint}")
        try:
            outcome = publish.publish(session, destination, inputs, package, route)
        except Cancelled as err:
            raise Cancelled(
                f"{err} A version being created may exist: a re-run with if-unchanged: skip "
                "reuses it."
            ) from None
        # Said now, before the functions and versions it leads to.
        runner.info(outputs_title(inputs.name, outcome, inputs.legacy_api))
        try:
            deployed = deploy(context, targets, outcome.version, inputs.keep_versions)
        except Exception as err:  # a bug after publishing: the version exists all the same
            failure = ActionError(
                f"Unexpected failure after publishing ({err.__class__.__name__}: {err}). "
                "Please report it with the debug log (re-run with debug logging enabled)."
            )
            deployed = Deployed(failure=failure)
    return outcome, deployed


def run_action(inputs: Inputs) -> None:
    if not inputs.runtime_is_known:
        runner.warning(
            f"Runtime '{inputs.runtime}' is not one this action knows; it is sent as given, "
            "and FunctionGraph will refuse it if it does not know it either"
        )
    package: Package | None = None
    if inputs.depend_link:
        runner.info("Using the zip already in OBS at 'depend-link': nothing is packaged")
    else:
        package = make_package(inputs)
        packaging.log_package(package)
        check_fit(inputs, package)
    outcome: Outcome | None = None
    deployed = Deployed()
    section = ""
    plan_json = ""
    if inputs.plan:
        from .deploy.plan import make_plan  # signs in: loads requests

        plan = make_plan(inputs, package)
        section, plan_json = plan_summary.render_plan(plan, inputs.name), plan.as_json()
    elif inputs.dry_run:
        section = plan_summary.render_dry_run(offline.check(inputs, package))
    else:
        outcome, deployed = publish_package(inputs, package)
    outputs = make_outputs(package, outcome, inputs.legacy_api, deployed, plan_json).as_dict()
    title = outputs_title(inputs.name, outcome, inputs.legacy_api)
    runner.set_outputs(outputs)
    if outcome is None:
        runner.info(title)
    rendered = summary.render(title, inputs.runtime, package, outcome, deployed)
    runner.append_summary(rendered + section)
    if deployed.failure is not None:
        raise AfterPublishing(deployed.failure)


def _cancel(signum: int, frame: FrameType | None) -> None:
    # Raised where the step is, so that cleanups (the temporary OBS object) still run; each
    # stage it passes through adds what it had done.
    raise Cancelled(f"The step was cancelled ({signal.Signals(signum).name}) before it finished.")


def fail(title: str, problems: list[str], err: ActionError | None = None) -> int:
    """Report a failed step where the person looking for the reason reads: error annotations
    (titled, so the run's summary page says what failed) and the job summary."""
    for problem in problems:
        runner.error(problem, title=title)
    code, request_id = (err.code, err.request_id) if err else ("", "")
    runner.append_summary(report.failure(title, problems, code, request_id))
    return 1


def main() -> int:
    try:
        inputs = read_inputs()
    except InputErrors as err:
        return fail("Invalid input", [str(problem) for problem in err.problems])
    except ActionError as err:
        return fail("Invalid input", [str(err)], err)
    finally:
        if not gc.isenabled():  # started as the program: see the top of this file
            gc.freeze()
            gc.enable()
    secrets = _secrets(inputs)
    for secret in secrets:
        runner.mask(secret)
    title = f"Dependency '{inputs.name}' not published"
    try:
        run_action(inputs)
    except ActionError as err:
        what = title
        if isinstance(err, InputError):
            what = "Invalid input"
        elif isinstance(err, Cancelled):  # before publishing finished: no output written
            what = f"Dependency '{inputs.name}': the step was cancelled"
            err = Cancelled(f"{err} No output was written.")
        elif isinstance(err, AfterPublishing):  # the version exists: its outputs were written
            what = f"Dependency '{inputs.name}' published; {err.what}"
        return fail(what, [runner.redact(str(err), secrets)], err)
    except Exception as err:  # one clear line instead of a traceback
        if runner.debug_enabled():
            runner.untrusted(runner.redact(traceback.format_exc(), secrets).splitlines())
        message = (
            runner.redact(f"Unexpected failure ({err.__class__.__name__}: {err}).", secrets)
            + " Please report it with the debug log (re-run with debug logging enabled)."
        )
        return fail(title, [message])
    return 0


def run() -> None:
    signal.signal(signal.SIGTERM, _cancel)
    signal.signal(signal.SIGINT, _cancel)
    sys.exit(main())


if __name__ == "__main__":
    run()
