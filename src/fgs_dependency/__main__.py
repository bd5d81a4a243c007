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
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import packaging, summary
from .deploy import offline
from .deploy.attachment import AfterPublishing
from .deploy.rollout import Deployed, deploy
from .deploy.route import choose_route
from .errors import ActionError, Cancelled, InputError, InputErrors
from .github import runner
from .inputs.read import read_inputs
from .inputs.settings import Inputs
from .outputs import outputs as make_outputs
from .outputs import title as outputs_title
from .packaging import Package, fit_check
from .summary import Progress

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


def make_package(inputs: Inputs, warnings: list[str]) -> Package:
    if inputs.requirements:
        # Imported only here: a run without 'requirements' never needs it.
        from .packaging import requirements

        scratch = Path(tempfile.mkdtemp(prefix="fgs-dependency-", dir=inputs.runner_temp))
        return requirements.package(inputs, scratch)
    source = packaging.locate_source(inputs.workspace, inputs.path)
    if source.is_file():
        if inputs.exclude or inputs.prefix:
            runner.warning(
                "'exclude' and 'prefix' do not apply to a ready .zip; it is sent as is", warnings
            )
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


def publish_package(
    inputs: Inputs, package: Package | None, progress: Progress
) -> tuple["Outcome", Deployed]:
    """Sign in, publish, then attach and retire: everything that sends a request. `progress`
    records the version as soon as it exists, for a failure summary."""
    # Imported here: a dry run never needs requests, and starts a tenth of a second sooner.
    import requests

    from .deploy import precheck, publish
    from .deploy.connection import connect
    from .huaweicloud.retry import Retries

    retries = Retries(inputs.retries, progress.warnings)
    progress.signed = inputs.sign_in == "aksk"
    # Chosen before signing in, so that what cannot be sent is refused before any request.
    route = choose_route(inputs, package, signed=progress.signed)
    with requests.Session() as session:
        destination, context = connect(session, inputs, retries)
        # Read once, before anything is sent: what the pre-checks count and the skip compares.
        before = publish.existing_versions(session, destination.functiongraph, inputs, retries)
        targets = precheck.prepare(
            context, inputs.functions, inputs.runtime, before, inputs.legacy_api
        )
        runner.info(f"Publishing '{inputs.name}' ({inputs.runtime}) at {inputs.api_endpoint}")
        try:
            outcome = publish.publish(session, destination, inputs, package, route, retries, before)
        except Cancelled as err:
            raise Cancelled(
                f"{err} A version being created may exist: a re-run with if-unchanged: skip "
                "reuses it."
            ) from None
        progress.outcome = outcome
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


def run_action(inputs: Inputs, progress: Progress) -> None:
    """Package, publish and deploy, writing the outputs; `progress` records each stage as it
    ends (the entry point writes the summary from it, whether or not this raises)."""
    warnings = progress.warnings
    if not inputs.runtime_is_known:
        runner.warning(
            f"Runtime '{inputs.runtime}' is not one this action knows; it is sent as given, "
            "and FunctionGraph will refuse it if it does not know it either",
            warnings,
        )
    package: Package | None = None
    if inputs.depend_link:
        runner.info("Using the zip already in OBS at 'depend-link': nothing is packaged")
    else:
        package = make_package(inputs, warnings)
        progress.package = package
        packaging.log_package(package, warnings)
        fit_check.check(inputs, package, warnings)
    outcome: Outcome | None = None
    deployed = Deployed()
    plan_json = ""
    if inputs.plan:
        from .deploy.plan import make_plan  # signs in: loads requests

        progress.plan = make_plan(inputs, package, warnings)
        plan_json = progress.plan.as_json()
    elif inputs.dry_run:
        progress.dry_run = offline.check(inputs, package, warnings)
    else:
        outcome, deployed = publish_package(inputs, package, progress)
    progress.deployed = deployed
    outputs = make_outputs(package, outcome, inputs.legacy_api, deployed, plan_json).as_dict()
    runner.set_outputs(outputs)
    if outcome is None:
        runner.info(outputs_title(inputs.name, outcome, inputs.legacy_api))
    if deployed.failure is not None:
        raise AfterPublishing(deployed.failure)


def _cancel(signum: int, frame: FrameType | None) -> None:
    # Raised where the step is, so that cleanups (the temporary OBS object) still run; each
    # stage it passes through adds what it had done.
    raise Cancelled(f"The step was cancelled ({signal.Signals(signum).name}) before it finished.")


@dataclass(frozen=True)
class Step:
    """Which step this is (the summary's headline) and when it started."""

    name: str
    runtime: str
    started: float


def fail(
    step: Step,
    title: str,
    problems: list[str],
    progress: Progress,
    err: ActionError | None = None,
    what: str = "",
) -> int:
    """Report a failed step where the person looking for the reason reads: error annotations
    (titled, so the run's summary page says what failed) and the job summary, which also says
    what the run had done."""
    for problem in problems:
        runner.error(problem, title=title)
    seconds = time.monotonic() - step.started
    text = summary.failure(step.name, step.runtime, problems, progress, seconds, err, what)
    runner.append_summary(text)
    return 1


def _done(progress: Progress) -> str:
    return "reused" if progress.outcome is not None and progress.outcome.skipped else "published"


def main() -> int:
    started = time.monotonic()
    # As given, for the headline of an input error (no input has been checked yet).
    given = Step(
        os.environ.get("INPUT_NAME", "").strip(),
        os.environ.get("INPUT_RUNTIME", "").strip(),
        started,
    )
    invalid = "invalid input, nothing published"
    try:
        inputs = read_inputs()
    except InputErrors as err:
        problems = [str(problem) for problem in err.problems]
        return fail(given, "Invalid input", problems, Progress(), what=invalid)
    except ActionError as err:
        return fail(given, "Invalid input", [str(err)], Progress(), err, what=invalid)
    finally:
        if not gc.isenabled():  # started as the program: see the top of this file
            gc.freeze()
            gc.enable()
    secrets = _secrets(inputs)
    for secret in secrets:
        runner.mask(secret)
    step = Step(inputs.name, inputs.runtime, started)
    title = f"Dependency '{inputs.name}' not published"
    progress = Progress()
    try:
        run_action(inputs, progress)
    except ActionError as err:
        what = ""
        if isinstance(err, InputError):
            title, what = "Invalid input", invalid
        elif isinstance(err, Cancelled):  # before publishing finished: no output written
            title = f"Dependency '{inputs.name}': the step was cancelled"
            what = "cancelled before publishing finished"
            err = Cancelled(f"{err} No output was written.")
        elif isinstance(err, AfterPublishing):  # the version exists: its outputs were written
            title = f"Dependency '{inputs.name}' {_done(progress)}; {err.what}"
            if progress.outcome is not None:
                what = summary.failed_after(progress.outcome, err.short)
        return fail(step, title, [runner.redact(str(err), secrets)], progress, err, what)
    except Exception as err:  # one clear line instead of a traceback
        if runner.debug_enabled():
            runner.untrusted(runner.redact(traceback.format_exc(), secrets).splitlines())
        message = (
            runner.redact(f"Unexpected failure ({err.__class__.__name__}: {err}).", secrets)
            + " Please report it with the debug log (re-run with debug logging enabled)."
        )
        if progress.outcome is not None:  # never titled "not published" once it is
            title = f"Dependency '{inputs.name}' {_done(progress)}; what followed failed"
        return fail(step, title, [message], progress)
    seconds = time.monotonic() - started
    runner.append_summary(summary.render(inputs.name, inputs.runtime, progress, seconds))
    return 0


def run() -> None:
    signal.signal(signal.SIGTERM, _cancel)
    signal.signal(signal.SIGINT, _cancel)
    sys.exit(main())


if __name__ == "__main__":
    run()
