"""The job summary, written to be read stacked: a matrix of runtimes puts one per job on the
same page, so each starts with a headline that names the dependency, the runtime and the
outcome. Under it the facts a deploy step needs, the limits the package was judged against,
what happened to each function and each old version, what was installed, and every warning
of the run. A failed step gets the same headline and says what was already done.

Prose is plain text, values are code spans; all outside text goes through github.report."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import plan_summary
from .errors import ActionError
from .github import report
from .inputs.urns import name_of
from .outputs import ROUTES
from .packaging.package import INLINE_LIMIT, MAX_FILES, OBS_LIMIT, SIGNED_BODY_LIMIT, Package

if TYPE_CHECKING:
    from .deploy.attachment import Attachment
    from .deploy.offline import DryRun
    from .deploy.plan import Plan
    from .deploy.publish import Outcome
    from .deploy.rollout import Deployed


@dataclass
class Progress:
    """What the run has done so far, filled in by the entry point as each stage ends (not
    frozen: it is the record a failure summary reads, however far the run got)."""

    package: Package | None = None
    outcome: "Outcome | None" = None
    deployed: "Deployed | None" = None
    # AK/SK-signed requests (their body limit applies); None when unknown (a dry run).
    signed: bool | None = None
    warnings: list[str] = field(default_factory=list)
    # A run that publishes nothing: what `dry-run: true` found, or the `dry-run: plan`.
    dry_run: "DryRun | None" = None
    plan: "Plan | None" = None


def headline(name: str, runtime: str, what: str) -> str:
    """`my-app-deps · Python3.9 · published version 7`: told apart at a glance when a
    matrix stacks one summary per runtime on one page."""
    return " · ".join([name or "(no name)", runtime or "(no runtime)", what])


def _number(outcome: "Outcome") -> str:
    number = outcome.version.version
    return "" if number is None else f" version {number}"


def outcome_text(outcome: "Outcome | None", plan: "Plan | None" = None) -> str:
    if plan is not None:
        if plan.reuse is not None:
            return f"plan, would reuse version {plan.reuse}"
        return f"plan, would publish version {plan.version}"
    if outcome is None:
        return "dry run, nothing published"
    if outcome.skipped:
        return f"unchanged,{_number(outcome)} reused"
    return f"published{_number(outcome) or ' a new dependency (api: legacy)'}"


def failed_after(outcome: "Outcome", failed: str = "then failed") -> str:
    """A failure's outcome once the version exists: `published version 7, attaching failed`."""
    return f"{'reused' if outcome.skipped else 'published'}{_number(outcome)}, {failed}"


def _size(package: Package | None, size: int | None) -> str:
    if package is None:
        return report.human_size(size) + " zip" if size is not None else ""
    shown = f"{report.human_size(package.size)} zip"
    if package.content_size:
        shown += f" ({report.human_size(package.content_size)} unpacked)"
    return f"{shown}, {package.file_count:,} files"


def limits(package: Package | None, route: str | None, signed: bool | None) -> str:
    """The limits the package was judged against: those of its route and sign-in when they
    are known, else every one that could apply."""
    if package is None:
        return ""
    shown = []
    if route in (None, "zip"):
        if signed is not False:
            # 12 MiB of body is a zip of about 8.9 MiB once base64-encoded with its fields.
            signed_limit = report.human_size(SIGNED_BODY_LIMIT)
            shown.append(f"{signed_limit} request when AK/SK-signed (a zip of about 8.9 MiB)")
        if signed is not True or route is None:
            shown.append(f"{report.human_size(INLINE_LIMIT)} inline")
    if route in (None, "obs"):
        shown.append(f"{report.human_size(OBS_LIMIT)} through OBS")
    shown.append(f"{MAX_FILES:,} files")
    return ", ".join(shown)


def function_labels(attachments: Sequence["Attachment"]) -> list[str]:
    """Each function by its name; by its URN where two share a name (other packages or
    versions of one name)."""
    names = Counter(name_of(a.urn) for a in attachments)
    return [a.urn if names[name_of(a.urn)] > 1 else name_of(a.urn) for a in attachments]


def _functions(attachments: Sequence["Attachment"]) -> str:
    rows = [
        (
            label,
            ", ".join(a.before) or "none",
            ", ".join(a.after) or "none",
            _what_happened(a),
        )
        for label, a in zip(function_labels(attachments), attachments, strict=True)
    ]
    table = report.table(["Function", "Before", "After", "What happened"], rows, prose=[3])
    return report.heading("Functions", 4) + table


def _what_happened(attachment: "Attachment") -> str:
    if attachment.failed:
        return "attached, then failed" if attachment.updated else "failed"
    return "attached" if attachment.changed else "unchanged: already attached"


def _seconds(seconds: float) -> str:
    return f"{seconds:.1f} s"


def render(name: str, runtime: str, progress: Progress, seconds: float) -> str:
    """The summary of a run that got as far as its outputs."""
    package, outcome = progress.package, progress.outcome
    rows: dict[str, str] = {}
    if outcome is not None:
        version = outcome.version
        rows |= {
            "dep_id": version.dep_id,
            "version": "" if version.version is None else str(version.version),
            "etag": version.etag,
            "description": version.description or "",
        }
    elif package is not None:
        rows["etag"] = package.md5
    rows["size"] = _size(package, outcome.version.size if outcome else None)
    route = None if outcome is None else outcome.route
    rows["limits"] = limits(package, route, progress.signed)
    if outcome is not None:
        rows["route"] = "unchanged: nothing sent" if outcome.skipped else ROUTES[outcome.route]
    if package is not None and package.installed:
        rows["built for"] = package.target
    # The C library the package's compiled files need (packaging/elf.py): on the function,
    # a newer glibc than its runtime has fails at import with "GLIBC_x.y not found".
    if package is not None and package.glibc_needed:
        rows["highest glibc needed"] = package.glibc_needed
    rows["took"] = _seconds(seconds)
    what = outcome_text(outcome, progress.plan)
    parts = [report.heading(headline(name, runtime, what)), report.facts(rows)]
    if package is not None and package.installed:
        installed = [(i.name, i.version, i.tag) for i in package.installed]
        parts += [report.heading("Installed packages", 4)]
        parts += [report.table(["Package", "Version", "Wheel tag"], installed)]
    deployed = progress.deployed
    if deployed is not None and deployed.attachments:
        parts.append(_functions(deployed.attachments))
    if deployed is not None and deployed.retention_skipped:
        parts += [report.heading("Versions", 4), report.bullets([deployed.retention_skipped])]
    if deployed is not None and deployed.retired:
        fates = [
            (str(r.number), f"{r.fate} ({r.reason})" if r.reason else r.fate)
            for r in deployed.retired
        ]
        table = report.table(["Version", "What happened"], fates, prose=[1])
        parts += [report.heading("Versions", 4), table]
    if progress.dry_run is not None:
        parts.append(plan_summary.render_dry_run(progress.dry_run))
    if progress.plan is not None:
        parts.append(plan_summary.render_plan(progress.plan, name))
    if progress.warnings:
        parts += [report.heading("Warnings", 4), report.bullets(progress.warnings)]
    return "".join(parts)


def failure(
    name: str,
    runtime: str,
    problems: Sequence[str],
    progress: Progress,
    seconds: float,
    err: ActionError | None = None,
    what: str = "",
) -> str:
    """The summary of a failed step: what failed, and what the run had already done when it
    stopped (published? which functions changed?), as the outputs tell it."""
    outcome = progress.outcome
    deployed = progress.deployed
    attachments = deployed.attachments if deployed is not None else ()
    if not what:
        what = "failed, nothing published" if outcome is None else failed_after(outcome)
    changed = [
        label
        for label, a in zip(function_labels(attachments), attachments, strict=True)
        if a.changed
    ]
    rows = {
        "published": "no" if outcome is None else outcome_text(outcome),
        "dep_id": outcome.version.dep_id if outcome is not None else "",
        "functions changed": ", ".join(changed) or "none",
        "error code": err.code if err else "",
        "request id": err.request_id if err else "",
        "took": _seconds(seconds),
    }
    text = report.failure(headline(name, runtime, what), problems, rows, progress.warnings)
    if attachments:
        text += _functions(attachments)
    if deployed is not None and deployed.retention_skipped:
        text += report.heading("Versions", 4) + report.bullets([deployed.retention_skipped])
    return text
