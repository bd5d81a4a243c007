"""The entry point: inputs -> package -> publish -> outputs."""

import gc

if __name__ == "__main__":
    # Importing pydantic and pydantic-settings makes some 100,000 objects that live as long
    # as the process: the collector's passes over them during the imports, and its last one
    # at exit, would cost a dry run about 40 ms, a fifth of it. Collection stays off until
    # the inputs are read, then those objects are frozen out of its way (see main).
    gc.disable()

import functools
import json
import signal
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from . import packaging, report, runner
from .credentials import redact
from .errors import ActionError, AttachError, Cancelled, InputError, InputErrors
from .packaging import Package
from .settings import Inputs, read_inputs

if TYPE_CHECKING:
    from .dependencies import DependencyVersion
    from .functions import Attachment, Context
    from .publish import Outcome
    from .retention import Retired


def _secrets(inputs: Inputs) -> list[str]:
    values = [
        inputs.secret_key,
        inputs.security_token,
        inputs.access_key,
        inputs.auth_token,
        inputs.iam_password,
    ]
    return [v.get_secret_value() for v in values if v.get_secret_value()]


def make_package(inputs: Inputs) -> Package:
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


@dataclass(frozen=True)
class Deployed:
    """What attaching and retiring did, for the outputs and the summary."""

    attachments: tuple["Attachment", ...] = ()
    retired: tuple["Retired", ...] = ()
    failure: ActionError | None = None

    def outputs(self) -> dict[str, str]:
        deleted = [r.number for r in self.retired if r.fate == "deleted"]
        return {
            "updated_functions": json.dumps([a.urn for a in self.attachments if a.changed]),
            "deleted_versions": json.dumps(deleted),
        }

    def rows(self) -> dict[str, str]:
        rows = {}
        for number, done in enumerate(self.attachments, 1):
            before, after = ", ".join(done.before) or "none", ", ".join(done.after) or "none"
            change = f"{before} -> {after}" if done.changed else f"unchanged ({before})"
            rows[f"Function {number}"] = f"{done.urn}: {change}"
        for retired in self.retired:
            rows[f"Version {retired.number}"] = retired.fate
        return rows


def deploy(
    context: "Context", inputs: Inputs, urns: list[str], version: "DependencyVersion"
) -> Deployed:
    """Attach the version to the functions, then retire old versions ('keep-versions')."""
    from . import functions, retention

    attachments: list[Attachment] = []
    if urns:
        try:
            attachments = functions.attach_all(context, urns, version)
        except AttachError as err:
            return Deployed(tuple(err.done), failure=err)
        for done in attachments:
            state = "attached" if done.changed else "already attached"
            runner.untrusted([f"{done.urn}: {state} ({', '.join(done.after)})"])
    retired: list[Retired] = []
    if inputs.keep_versions is not None:
        retired = retention.retire(context, version, inputs.keep_versions)
        for item in retired:
            runner.info(f"Version {item.number}: {item.fate}")
    return Deployed(tuple(attachments), tuple(retired))


def publish_package(
    inputs: Inputs, package: Package | None
) -> tuple[dict[str, str], str, Deployed]:
    # Imported here: a dry run never needs requests, and starts a tenth of a second sooner.
    import requests

    from . import client, functions, publish, signin

    request = publish.Request(
        name=inputs.name,
        runtime=inputs.runtime,
        description=inputs.description,
        if_unchanged=inputs.if_unchanged,
        retries=inputs.retries,
        legacy_api=inputs.api == "legacy",
        depend_type=inputs.depend_type,
        obs_bucket=inputs.obs_bucket,
        obs_key=inputs.obs_key,
        depend_link=inputs.depend_link,
    )
    # Chosen before signing in, so that what cannot be sent is refused before any request.
    route = publish.choose_route(request, package, signed=inputs.sign_in == "aksk")
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
        context = functions.Context(
            session=session,
            functiongraph=destination.functiongraph,
            obs_endpoint=destination.obs_endpoint,
            # Once per run: with a token, each call would ask IAM for new temporary keys.
            obs_keys=functools.cache(destination.obs_keys),
            retries=inputs.retries,
        )
        urns = functions.prepare(context, inputs.functions, inputs.runtime)
        runner.info(f"Publishing '{inputs.name}' ({inputs.runtime}) at {inputs.api_endpoint}")
        outcome = publish.publish(session, destination, request, package, route)
        deployed = deploy(context, inputs, urns, outcome.version)
    outputs, title = _outputs(outcome, request.legacy_api)
    return outputs, title, deployed


_ROUTES = {"zip": "inline (base64 in the request)", "obs": "through OBS", "link": "depend-link"}


def _outputs(outcome: "Outcome", legacy_api: bool) -> tuple[dict[str, str], str]:
    version = outcome.version
    number = "" if version.version is None else str(version.version)
    if outcome.skipped:
        title = (
            f"Unchanged: version {number} of '{version.name}' already holds this package; "
            "nothing published"
        )
    elif legacy_api:
        title = (
            f"Published '{version.name}' {_ROUTES[outcome.route]} with the legacy "
            f"create-dependency API (dependency {version.dep_id}; that API has no version numbers)"
        )
    else:
        title = f"Published '{version.name}' version {number} {_ROUTES[outcome.route]}"
    outputs = {
        "dep_id": version.dep_id,
        "version": number,
        "etag": version.etag,
        "version_id": "" if legacy_api else version.id,
        "size": str(version.size),
        "file_name": version.file_name,
        "link": version.link,
        "skipped": str(outcome.skipped).lower(),
    }
    return outputs, title


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
    if inputs.dry_run:
        outputs = {
            "dep_id": "",
            "version": "",
            "etag": package.md5 if package else "",
            "version_id": "",
            "size": str(package.size) if package else "",
            "file_name": package.path.name if package else "",
            "link": "",
            "skipped": "false",
        }
        title = f"Dry run: nothing published for '{inputs.name}'"
        deployed = Deployed()
    else:
        outputs, title, deployed = publish_package(inputs, package)
    outputs |= deployed.outputs()
    outputs |= {
        "package_path": str(package.path) if package else "",
        "package_md5": package.md5 if package else "",
        "file_count": str(package.file_count) if package else "",
    }
    runner.set_outputs(outputs)
    runner.info(title)
    rows = {"Runtime": inputs.runtime, **outputs, **deployed.rows()}
    runner.append_summary(report.summary(title, rows))
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
        if not gc.isenabled():  # started as the program: see gc.disable() at the top
            gc.freeze()
            gc.enable()
    secrets = _secrets(inputs)
    for secret in secrets:
        runner.mask(secret)
    title = f"Dependency '{inputs.name}' not published"
    try:
        run_action(inputs)
    except ActionError as err:
        what = "Invalid input" if isinstance(err, InputError) else title
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
