"""Publishing exactly once: skip what is already there, retry without duplicates, and check
that FunctionGraph stored the bytes that were sent."""

from dataclasses import dataclass

import requests

from . import client, runner
from .client import Connection, DependencyVersion
from .errors import ActionError
from .packaging import INLINE_LIMIT, Package
from .retry import with_retries

# The API gateway refuses AK/SK-signed requests with bodies over 12 MB.
SIGNED_BODY_LIMIT = 12 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    name: str
    runtime: str
    description: str
    if_unchanged: str
    retries: int


@dataclass(frozen=True)
class Outcome:
    version: DependencyVersion
    skipped: bool


def check_route(package: Package, body_size: int) -> None:
    """Refuse, before anything is sent, a package the inline route cannot carry."""
    mib = package.size / 1024 / 1024
    if package.size > INLINE_LIMIT:
        raise ActionError(
            f"The zip is {mib:.1f} MiB; FunctionGraph takes at most 40 MiB inline. "
            "Leave files out with 'exclude' (tests, docs, source maps)."
        )
    if body_size > SIGNED_BODY_LIMIT:
        raise ActionError(
            f"The zip is {mib:.1f} MiB, so the request would be {body_size / 1024 / 1024:.1f} "
            "MiB; the API gateway takes AK/SK-signed requests of at most 12 MiB (a zip of about "
            "8.9 MiB). Leave files out with 'exclude'."
        )


def _matches(version: DependencyVersion, package: Package, runtime: str) -> bool:
    return version.etag.lower() == package.md5 and version.runtime == runtime


def publish(connection: Connection, request: Request, package: Package) -> Outcome:
    body = client.version_body(request.name, request.runtime, request.description, package.path)
    check_route(package, len(body))
    retries = request.retries
    with requests.Session() as session:

        def versions_now() -> list[DependencyVersion]:
            dep_id = with_retries(
                "Looking up the dependency",
                lambda: client.find_dependency(session, connection, request.name),
                retries,
            )
            if dep_id is None:
                return []
            return with_retries(
                "Listing its versions",
                lambda: client.list_versions(session, connection, dep_id),
                retries,
            )

        # What exists before this run sends anything: the base for skipping, and what a
        # version found after a lost reply must not be.
        before = versions_now()
        newest = before[-1] if before else None
        if request.if_unchanged == "skip" and newest and _matches(newest, package, request.runtime):
            return Outcome(newest, skipped=True)
        existing = {v.id for v in before}

        def stored_by_this_run() -> DependencyVersion | None:
            runner.info("The outcome is unknown: checking whether FunctionGraph stored it")
            for version in reversed(versions_now()):
                if version.id not in existing and _matches(version, package, request.runtime):
                    runner.info(f"It did: adopting version {version.version} instead of resending")
                    return version
            runner.info("It did not: sending it again")
            return None

        sha256 = body.sha256()
        version = with_retries(
            "Creating the version",
            lambda: client.create_version(session, connection, body, sha256),
            retries,
            recover=stored_by_this_run,
        )
    if version.etag.lower() != package.md5 or version.size != package.size:
        raise ActionError(
            f"FunctionGraph stored {version.size} bytes with MD5 {version.etag}, but the package "
            f"is {package.size} bytes with MD5 {package.md5}: it was altered in transit. "
            f"Version {version.version} of '{version.name}' should not be used; run the job again."
        )
    return Outcome(version, skipped=False)
