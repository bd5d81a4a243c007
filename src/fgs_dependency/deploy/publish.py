"""Publishing exactly once: choose the route (inline, through OBS, or a zip already in
OBS), skip what is already there, retry without duplicates, and check that FunctionGraph
stored the bytes that were sent."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import requests

from ..errors import ActionError
from ..github import runner
from ..huaweicloud import dependencies, obs
from ..huaweicloud.body import JsonWithFile
from ..huaweicloud.client import Connection
from ..huaweicloud.credentials import AkSk
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.retry import Retries, with_retries
from ..inputs.choices import Route
from ..inputs.settings import Inputs
from ..packaging.package import Package

# The route is chosen without requests (a dry run chooses it too); named here as before.
from .route import choose_route as choose_route
from .route import inline_body

# Objects the action uploads for itself: one per content, so a re-run reuses the key.
OBS_KEY_PREFIX = "fgs-dependency-action"


@dataclass(frozen=True)
class Destination:
    functiongraph: Connection
    obs_endpoint: str
    obs_keys: Callable[[], AkSk]  # called only when an upload happens


@dataclass(frozen=True)
class Outcome:
    version: DependencyVersion
    skipped: bool
    route: Route


def _shown(value: str) -> str:
    # A JSON string: quotes, and control characters as escapes, so any text shows inert.
    return json.dumps(value[:100])


def _check_describes(version: DependencyVersion, request: Inputs) -> None:
    """FunctionGraph's reply must be about what was asked: its name and runtime reach the
    log, the summary and the deploy steps that read the outputs."""
    wrong = [
        f"{field} {_shown(got)} where {_shown(asked)} was asked for"
        for field, got, asked in (
            ("name", version.name, request.name),
            ("runtime", version.runtime, request.runtime),
        )
        if got != asked
    ]
    if wrong:
        raise ActionError(
            f"FunctionGraph's reply describes another dependency: {'; '.join(wrong)}. Nothing "
            "was written to the outputs; check 'endpoint' (is it FunctionGraph?) and run the "
            "job again."
        )


def _matches(version: DependencyVersion, package: Package | None, runtime: str) -> bool:
    if version.runtime != runtime:
        return False
    return package is None or version.etag.lower() == package.md5


def existing_versions(
    session: requests.Session, connection: Connection, request: Inputs, retries: Retries
) -> list[DependencyVersion]:
    """Every version of the dependency named `request.name` (after `api: legacy`, every
    dependency of that name): read only."""
    if request.legacy_api:
        return with_retries(
            "Listing the dependencies",
            lambda: dependencies.list_named(session, connection, request.name),
            retries,
        )
    return with_retries(
        "Listing the dependency's versions",
        lambda: dependencies.versions_named(session, connection, request.name),
        retries,
    )


def reusable(
    before: list[DependencyVersion], request: Inputs, package: Package | None
) -> DependencyVersion | None:
    """The version `if-unchanged: skip` reuses instead of publishing: the newest of this
    runtime (in a matrix the newest overall is another job's), when it holds the package."""
    if request.if_unchanged != "skip" or package is None:
        return None
    newest = dependencies.newest_of(before, request.runtime)
    if newest is None or not _matches(newest, package, request.runtime):
        return None
    _check_describes(newest, request)
    return newest


def publish(
    session: requests.Session,
    destination: Destination,
    request: Inputs,
    package: Package | None,
    route: Route,
    retries: Retries,
    before: list[DependencyVersion],
) -> Outcome:
    """Publish `package` (or `request.depend_link` when it is None) by `route`, which
    choose_route gave. `before`: existing_versions, read before this run sent anything: the
    base for skipping, and what a version found after a lost reply must not be."""
    connection = destination.functiongraph

    def versions_now() -> list[DependencyVersion]:
        return existing_versions(session, connection, request, retries)

    same = reusable(before, request, package)
    if same is not None:
        return Outcome(same, skipped=True, route=route)
    existing = {v.id for v in before}

    def stored_by_this_run() -> DependencyVersion | None:
        runner.info("The outcome is unknown: checking whether FunctionGraph stored it")
        for version in reversed(versions_now()):
            if version.id not in existing and _matches(version, package, request.runtime):
                label = version.id if version.version is None else f"version {version.version}"
                runner.info(f"It did: adopting {label} instead of sending it again")
                return version
        runner.info("It did not: sending it again")
        return None

    def create(body: JsonWithFile | bytes, sha256: str | None) -> DependencyVersion:
        return with_retries(
            "Creating the version",
            lambda: dependencies.create_version(
                session, connection, body, sha256, legacy=request.legacy_api
            ),
            retries,
            recover=stored_by_this_run,
        )

    fields = {
        "name": request.name,
        "runtime": request.runtime,
        "description": request.version_description,
    }
    if route == "link":
        if request.if_unchanged == "skip":
            runner.info(
                "if-unchanged: skip does not apply to 'depend-link': its MD5 is unknown here"
            )
        version = create(dependencies.link_body(**fields, link=request.depend_link), None)
    elif route == "zip":
        assert package is not None
        inline = inline_body(request, package)
        signed = isinstance(connection.credentials, AkSk)
        version = create(inline, inline.sha256() if signed else None)
    else:
        assert package is not None
        version = _through_obs(session, destination, request, package, fields, create, retries)
    _check_describes(version, request)
    if package is not None and (
        version.etag.lower() != package.md5 or version.size != package.size
    ):
        raise ActionError(
            f"FunctionGraph stored {version.size} bytes with MD5 {version.etag}, but the package "
            f"is {package.size} bytes with MD5 {package.md5}: it was altered in transit. "
            f"'{version.name}' {version.id} should not be used; run the job again."
        )
    return Outcome(version, skipped=False, route=route)


def _through_obs(
    session: requests.Session,
    destination: Destination,
    request: Inputs,
    package: Package,
    fields: dict[str, str],
    create: Callable[[JsonWithFile | bytes, str | None], DependencyVersion],
    retries: Retries,
) -> DependencyVersion:
    """Upload to OBS, create the version from there, and remove an object of our own."""
    bucket = obs.Bucket(
        endpoint=destination.obs_endpoint,
        name=request.obs_bucket,
        keys=destination.obs_keys(),
        timeout=destination.functiongraph.timeout,
    )
    key = request.obs_key or f"{OBS_KEY_PREFIX}/{request.name}/{package.md5}.zip"
    link = with_retries(
        "Uploading to OBS",
        lambda: obs.upload(session, bucket, key, package.path, package.md5),
        retries,
    )
    try:
        return create(dependencies.link_body(**fields, link=link), None)
    finally:
        if not request.obs_key:
            _remove(session, bucket, key, retries)


def _remove(session: requests.Session, bucket: obs.Bucket, key: str, retries: Retries) -> None:
    try:
        with_retries(
            "Removing the uploaded object", lambda: obs.delete(session, bucket, key), retries
        )
    except ActionError as err:
        runner.warning(
            f"{err} The object '{key}' is left in bucket '{bucket.name}'; delete it.",
            retries.warnings,
        )
    else:
        runner.info(f"Removed the uploaded object '{key}' from OBS")
