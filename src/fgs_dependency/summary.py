"""The job summary of a run that got as far as its outputs: a headline, the facts a deploy
step needs, what happened to each function and each old version, and what was installed.
(A failed step's summary is github.report.failure.)"""

from typing import TYPE_CHECKING

from .github import report
from .outputs import ROUTES
from .packaging import Package

if TYPE_CHECKING:
    from .deploy.attachment import Attachment
    from .deploy.publish import Outcome
    from .deploy.rollout import Deployed


def _size(size: int, files: int | None) -> str:
    shown = f"{report.human_size(size)} zip"
    return f"{shown}, {files:,} files" if files is not None else shown


def _state(attachment: "Attachment") -> str:
    if attachment.failed:
        return " (failed)"
    return "" if attachment.changed else " (unchanged)"


def render(
    title: str,
    runtime: str,
    package: Package | None,
    outcome: "Outcome | None",
    deployed: "Deployed",
) -> str:
    files = package.file_count if package else None
    if outcome is None:  # a dry run: the package alone
        facts = {
            "runtime": runtime,
            "etag": package.md5 if package else "",
            "size": _size(package.size, files) if package else "",
        }
    else:
        version = outcome.version
        facts = {
            "dep_id": version.dep_id,
            "version": "" if version.version is None else str(version.version),
            "etag": version.etag,
            "runtime": runtime,
            "size": _size(version.size, files),
            "route": "unchanged: nothing sent" if outcome.skipped else ROUTES[outcome.route],
        }
    if package is not None and package.installed:
        facts["built for"] = package.target
    # The C library the package's compiled files need (packaging/elf.py): on the function,
    # a newer glibc than its runtime has fails at import with "GLIBC_x.y not found".
    if package is not None and package.glibc_needed:
        facts["highest glibc needed"] = package.glibc_needed
    parts = [report.heading(title), report.facts(facts)]
    if package is not None and package.installed:
        rows = [(i.name, i.version, i.tag) for i in package.installed]
        installed = report.table(["Package", "Version", "Wheel tag"], rows)
        parts += [report.heading("Installed packages", 4), installed]
    if deployed.attachments:
        rows = [
            (
                a.urn,
                ", ".join(a.before) or "none",
                (", ".join(a.after) or "none") + _state(a),
            )
            for a in deployed.attachments
        ]
        functions = report.table(["Function", "Before", "After"], rows)
        parts += [report.heading("Functions", 4), functions]
    if deployed.retention_skipped:
        parts += [
            report.heading("Versions", 4),
            report.markdown_text(deployed.retention_skipped) + "\n\n",
        ]
    if deployed.retired:
        fates = [
            (str(r.number), f"{r.fate} ({r.reason})" if r.reason else r.fate)
            for r in deployed.retired
        ]
        parts += [report.heading("Versions", 4), report.table(["Version", "What happened"], fates)]
    return "".join(parts)
