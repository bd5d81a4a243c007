"""What a run tells the workflow: its outputs (the names action.yml declares) and the
one-line title the log and the job summary show."""

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .deploy.route import ROUTES as ROUTES  # summary.py names the routes too
from .packaging.package import Package

if TYPE_CHECKING:
    from .deploy.publish import Outcome
    from .deploy.rollout import Deployed


@dataclass(frozen=True)
class Outputs:
    """Every output, as the string the runner stores; in the order they are written."""

    dep_id: str
    version: str
    etag: str
    version_id: str
    size: str
    file_name: str
    link: str
    skipped: str
    updated_functions: str
    deleted_versions: str
    package_path: str
    package_md5: str
    file_count: str
    plan: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def outputs(
    package: Package | None,
    outcome: "Outcome | None",
    legacy_api: bool,
    deployed: "Deployed",
    plan: str = "",
) -> Outputs:
    """The outputs of a run that published `outcome`, or of a dry run (None); `plan`: the
    JSON of `dry-run: plan`'s plan."""
    deleted = [r.number for r in deployed.retired if r.fate == "deleted"]
    common = {
        "updated_functions": json.dumps([a.urn for a in deployed.attachments if a.updated]),
        "deleted_versions": json.dumps(deleted),
        "package_path": str(package.path) if package else "",
        "package_md5": package.md5 if package else "",
        "file_count": str(package.file_count) if package else "",
        "plan": plan,
    }
    if outcome is None:
        return Outputs(
            dep_id="",
            version="",
            etag=package.md5 if package else "",
            version_id="",
            size=str(package.size) if package else "",
            file_name=package.path.name if package else "",
            link="",
            skipped="false",
            **common,
        )
    version = outcome.version
    return Outputs(
        dep_id=version.dep_id,
        version="" if version.version is None else str(version.version),
        etag=version.etag,
        version_id="" if legacy_api else version.id,
        size=str(version.size),
        file_name=version.file_name,
        link=version.link,
        skipped=str(outcome.skipped).lower(),
        **common,
    )


def title(name: str, outcome: "Outcome | None", legacy_api: bool) -> str:
    """What happened, in one line: the log's last word and the summary's heading."""
    if outcome is None:
        return f"Dry run: nothing published for '{name}'"
    version = outcome.version
    number = "" if version.version is None else str(version.version)
    if outcome.skipped:
        return (
            f"Unchanged: version {number} of '{version.name}' already holds this package; "
            "nothing published"
        )
    if legacy_api:
        return (
            f"Published '{version.name}' {ROUTES[outcome.route]} with the legacy "
            f"create-dependency API (dependency {version.dep_id}; that API has no version numbers)"
        )
    return f"Published '{version.name}' version {number} {ROUTES[outcome.route]}"
