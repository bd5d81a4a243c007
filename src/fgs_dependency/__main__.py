"""The entry point: inputs -> package -> sign in -> publish -> deploy -> outputs."""

if __name__ == "__main__":
    from .startup import prepare

    prepare()  # before anything heavy is imported: see startup.py

import functools
import gc
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import packaging, report, runner
from .credentials import redact
from .deploy import Deployed, deploy
from .errors import ActionError, AttachError, Cancelled, InputError, InputErrors
from .outputs import outputs as make_outputs
from .outputs import title as outputs_title
from .packaging import Package
from .settings import Inputs, read_inputs

if TYPE_CHECKING:
    from .publish import Outcome


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
        from . import requirements_build

        scratch = Path(tempfile.mkdtemp(prefix="fgs-dependency-", dir=inputs.runner_temp))
        return requirements_build.package(inputs, scratch)
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


def publish_package(inputs: Inputs, package: Package | None) -> tuple["Outcome", Deployed]:
    """Sign in, publish, then attach and retire: everything that sends a request."""
    # Imported here: a dry run never needs requests, and starts a tenth of a second sooner.
    import requests

    from . import client, function_api, functions, publish, signin

    # Chosen before signing in, so that what cannot be sent is refused before any request.
    route = publish.choose_route(inputs, package, signed=inputs.sign_in == "aksk")
    with requests.Session() as session:
        credentials, project_id = signin.sign_in(session, inputs)
        destination = publish.Destination(
            functiongraph=client.Connection(
                endpoint=inputs.api_endpoint,
                credentials=credentials,
                timeout=inputs.timeout,
                project_id=project_id,
            ),
            obs_endpoint=inputs.obs_api_endpoint,
            obs_keys=lambda: signin.obs_keys(session, inputs, credentials),
        )
        context = function_api.Context(
            session=session,
            functiongraph=destination.functiongraph,
            obs_endpoint=destination.obs_endpoint,
            # Once per run: with a token, each call would ask IAM for new temporary keys.
            obs_keys=functools.cache(destination.obs_keys),
            retries=inputs.retries,
        )
        urns = functions.prepare(context, inputs.functions, inputs.runtime)
        runner.info(f"Publishing '{inputs.name}' ({inputs.runtime}) at {inputs.api_endpoint}")
        outcome = publish.publish(session, destination, inputs, package, route)
        deployed = deploy(context, urns, outcome.version, inputs.keep_versions)
    return outcome, deployed


def run_action(inputs: Inputs) -> None:
    if not inputs.runtime_is_known:
        runner.warning(
            f"Runtime '{inputs.runtime}' is not one this action knows; it is sent as given, "
            "and FunctionGraph will refuse it if it does not know it either"
        )
    package: Package | None = None
    if inputs.depend_link:
        runner.info("Using the zip already in OBS at 'depend-link': 'path' is not packaged")
    else:
        package = make_package(inputs)
        report.log_package(package)
    outcome: Outcome | None = None
    deployed = Deployed()
    if not inputs.dry_run:
        outcome, deployed = publish_package(inputs, package)
    outputs = make_outputs(package, outcome, inputs.legacy_api, deployed).as_dict()
    title = outputs_title(inputs.name, outcome, inputs.legacy_api)
    runner.set_outputs(outputs)
    runner.info(title)
    rows = {"Runtime": inputs.runtime, **outputs, **deployed.rows()}
    runner.append_summary(report.summary(title, rows) + report.installed(package))
    if deployed.failure is not None:
        raise deployed.failure


def _cancel(signum: int, frame: FrameType | None) -> None:
    # Raised where the step is, so that cleanups (the temporary OBS object) still run.
    raise Cancelled(
        "The step was cancelled before it finished; nothing was written to the outputs. "
        "A version being created may exist: a re-run with if-unchanged: skip reuses it."
    )


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
        if not gc.isenabled():  # started as the program: see startup.prepare
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
        elif isinstance(err, AttachError):  # the version exists: its outputs were written
            what = f"Dependency '{inputs.name}' published; attaching it to the functions failed"
        return fail(what, [redact(str(err), secrets)], err)
    except Exception as err:  # one clear line instead of a traceback
        if runner.debug_enabled():
            runner.untrusted(redact(traceback.format_exc(), secrets).splitlines())
        message = (
            redact(f"Unexpected failure ({err.__class__.__name__}: {err}).", secrets)
            + " Please report it with the debug log (re-run with debug logging enabled)."
        )
        return fail(title, [message])
    return 0


def run() -> None:
    signal.signal(signal.SIGTERM, _cancel)
    sys.exit(main())


if __name__ == "__main__":
    run()
