"""The entry point: inputs -> package -> publish -> outputs."""

import sys
import tempfile
import traceback
from pathlib import Path

from . import client, packaging, publish, report, runner
from .errors import ActionError
from .packaging import Package
from .settings import InputErrors, Inputs, read_inputs


def _secrets(inputs: Inputs) -> list[str]:
    values = [inputs.secret_key, inputs.security_token, inputs.access_key]
    return [v.get_secret_value() for v in values if v.get_secret_value()]


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


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


def publish_package(inputs: Inputs, package: Package) -> tuple[dict[str, str], str]:
    connection = client.Connection(
        endpoint=inputs.api_endpoint,
        project_id=inputs.project_id,
        access_key=inputs.access_key.get_secret_value(),
        secret_key=inputs.secret_key.get_secret_value(),
        security_token=inputs.security_token.get_secret_value(),
        timeout=inputs.timeout,
    )
    request = publish.Request(
        name=inputs.name,
        runtime=inputs.runtime,
        description=inputs.description,
        if_unchanged=inputs.if_unchanged,
        retries=inputs.retries,
    )
    runner.info(f"Publishing '{inputs.name}' ({inputs.runtime}) at {inputs.api_endpoint}")
    outcome = publish.publish(connection, request, package)
    version = outcome.version
    if outcome.skipped:
        title = (
            f"Unchanged: version {version.version} of '{version.name}' already holds this "
            "package; nothing published"
        )
    else:
        title = f"Published '{version.name}' version {version.version}"
    outputs = {
        "dep_id": version.dep_id,
        "version": str(version.version),
        "etag": version.etag,
        "version_id": version.id,
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
    package = make_package(inputs)
    report.log_package(package)
    if inputs.dry_run:
        outputs = {
            "dep_id": "",
            "version": "",
            "etag": package.md5,
            "version_id": "",
            "size": str(package.size),
            "file_name": package.path.name,
            "link": "",
            "skipped": "false",
        }
        title = f"Dry run: package for '{inputs.name}' built, nothing published"
    else:
        outputs, title = publish_package(inputs, package)
    outputs |= {
        "package_path": str(package.path),
        "package_md5": package.md5,
        "file_count": str(package.file_count),
    }
    runner.set_outputs(outputs)
    runner.info(title)
    rows = {"Runtime": inputs.runtime, **outputs}
    runner.append_summary(report.summary(title, rows))


def main() -> int:
    try:
        inputs = read_inputs()
    except InputErrors as err:
        for problem in err.problems:
            runner.error(str(problem))
        return 1
    except ActionError as err:
        runner.error(str(err))
        return 1
    secrets = _secrets(inputs)
    for secret in secrets:
        runner.mask(secret)
    try:
        run_action(inputs)
    except ActionError as err:
        runner.error(_redact(str(err), secrets))
        return 1
    except Exception as err:  # one clear line instead of a traceback
        if runner.debug_enabled():
            runner.untrusted(_redact(traceback.format_exc(), secrets).splitlines())
        runner.error(
            _redact(f"Unexpected failure ({err.__class__.__name__}: {err}).", secrets)
            + " Please report it with the debug log (re-run with debug logging enabled)."
        )
        return 1
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
