"""The job summary's section for a run that publishes nothing: what `dry-run: true` could
not check, and what `dry-run: plan` found the real run would do. (Kept apart from summary.py,
which renders what every run reports.)"""

from collections import Counter

from .deploy.offline import DryRun
from .deploy.plan import Plan
from .deploy.route import ROUTES
from .github import report
from .inputs.urns import name_of


def render_dry_run(dry: DryRun) -> str:
    """The route the real run would take (what it may do otherwise is in the run's
    warnings, which the summary lists)."""
    return f"The real run would send the package {report.markdown_text(dry.route)}.\n\n"


def render_plan(plan: Plan, name: str) -> str:
    if plan.reuse is None:
        what = f"would publish a new version ({plan.version}) of {name}, {ROUTES[plan.route]}"
    else:
        what = f"would reuse version {plan.reuse} of {name} (if-unchanged: skip): nothing sent"
    parts = [
        report.heading("Plan (nothing was written)", 4),
        f"The real run {report.markdown_text(what)}.\n\n",
    ]
    if plan.functions:
        names = Counter(name_of(c.urn) for c in plan.functions)
        rows = [
            (
                c.urn if names[name_of(c.urn)] > 1 else name_of(c.urn),
                ", ".join(c.before) or "none",
                (", ".join(c.after) or "none") + ("" if c.changes else " (unchanged)"),
            )
            for c in plan.functions
        ]
        parts += [
            report.heading("Functions (planned)", 4),
            report.table(["Function", "Before", "After"], rows),
        ]
    if plan.keep_versions:
        fates = [(str(n), "would be deleted") for n in plan.deletions]
        fates += [(str(r.number), f"{r.fate} ({r.reason})") for r in plan.kept]
        fates.sort(key=lambda row: int(row[0]))
        parts += [
            report.heading("Versions (planned)", 4),
            report.table(["Version", "What would happen"], fates, prose=[1])
            if fates
            else "No version to consider.\n\n",
        ]
    return "".join(parts)
