"""Regenerate docs/summary-examples.md: one job summary of each shape, rendered by the action's
own code (src/fgs_dependency/summary.py) from fixed example data, so the page cannot drift.

    python scripts/summary_examples.py          # rewrite the examples in the page
    python scripts/summary_examples.py --check  # exit 1 when they are stale

Each example sits between `<!-- summary:NAME:start -->` and `<!-- summary:NAME:end -->`, as
the Markdown source in a fenced block and then as it renders; the rest of the page is left
alone. tests/test_summary.py checks the page against this script.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fgs_dependency import summary
from fgs_dependency.deploy.attachment import Attachment
from fgs_dependency.deploy.plan import FunctionChange, Plan
from fgs_dependency.deploy.publish import Outcome
from fgs_dependency.deploy.retention import Retired
from fgs_dependency.deploy.rollout import Deployed
from fgs_dependency.errors import ApiError
from fgs_dependency.huaweicloud.dependencies import DependencyVersion
from fgs_dependency.packaging.package import Package

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "summary-examples.md"
NAME, RUNTIME = "my-app-deps", "Python3.9"
URN = "urn:fss:cn-north-4:0123456789abcdef0123456789abcdef:function:default:{}:latest"
PROVENANCE = (
    "Published by GitHub Actions from octo-org/my-app at commit "
    "9f3c2e1d0b8a7f6e5d4c3b2a1908f7e6d5c4b3a2 (refs/tags/v1.4.0): "
    "https://github.com/octo-org/my-app/actions/runs/9876543210"
)
PACKAGE = Package(
    path=Path("my-app-deps.zip"),  # never shown: the summary names no temporary path
    md5="5f2b51ca2fdc5baa31ec02e002f69aec",
    size=3_276_800,
    file_count=412,
    content_size=11_534_336,
    ready_made=False,
)


def _version(number: int) -> DependencyVersion:
    return DependencyVersion(
        id=f"6e1b7c2a-0f4d-4a51-9a0e-3c5d2b1a09{number:02d}",
        dep_id="a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        version=number,
        etag=PACKAGE.md5,
        size=PACKAGE.size,
        name=NAME,
        runtime=RUNTIME,
        description=PROVENANCE,
    )


def render() -> dict[str, str]:
    """Each shape's Markdown, as the action writes it."""
    layout = (
        "The package keeps its modules under python/ (the AWS Lambda layer layout); "
        "FunctionGraph puts a dependency's root on the Python path, so they must be at the "
        "root of the zip: package the site-packages folder itself, or give 'requirements'."
    )
    published = summary.Progress(
        package=PACKAGE,
        outcome=Outcome(_version(7), skipped=False, route="zip"),
        deployed=Deployed(
            attachments=(
                Attachment(URN.format("api"), ("my-app-deps 6",), ("my-app-deps 7",), True),
                Attachment(URN.format("worker"), ("my-app-deps 6",), ("my-app-deps 7",), True),
            ),
            retired=(
                Retired(4, "deleted"),
                Retired(5, "kept: in use", "a function or function version uses it"),
                Retired(6, "kept: newest", "one of the newest 2"),
                Retired(7, "kept: this run's", "published or reused by this run"),
            ),
        ),
        signed=True,
        warnings=[layout],
    )
    skipped = summary.Progress(
        package=PACKAGE,
        outcome=Outcome(_version(7), skipped=True, route="zip"),
        deployed=Deployed(
            attachments=(
                Attachment(URN.format("api"), ("my-app-deps 7",), ("my-app-deps 7",), False),
            )
        ),
        signed=True,
    )
    refused = ApiError(
        "FunctionGraph refused the request: HTTP 403 FSS.0403: no permission (request id "
        "7c1e0d9a2b3f4e5d6c7b8a9f0e1d2c3b). The credentials may not do this: give the IAM user "
        "the permissions the README lists for publishing, in this region's project.",
        403,
        code="FSS.0403",
        request_id="7c1e0d9a2b3f4e5d6c7b8a9f0e1d2c3b",
    )
    planned = summary.Progress(
        package=PACKAGE,
        signed=True,
        plan=Plan(
            route="zip",
            reuse=None,
            version=8,
            functions=(
                FunctionChange(
                    URN.format("api"), ("my-app-deps 7",), ("my-app-deps 8",), ("id-8",)
                ),
            ),
            deletions=(5,),
            kept=(
                Retired(6, "kept: newest", "one of the newest 2"),
                Retired(7, "kept: in use", "a function or function version uses it"),
            ),
            keep_versions=True,
        ),
    )
    failed = summary.Progress(package=PACKAGE, signed=True)
    return {
        "published": summary.render(NAME, RUNTIME, published, 14.2),
        "skipped": summary.render(NAME, RUNTIME, skipped, 3.1),
        "plan": summary.render(NAME, RUNTIME, planned, 4.0),
        "failure": summary.failure(NAME, RUNTIME, [str(refused)], failed, 2.4, refused),
    }


def block(name: str, markdown: str) -> str:
    """The example as the page holds it: the source, then the same rendered."""
    return (
        f"<!-- summary:{name}:start -->\n"
        f"```markdown\n{markdown.rstrip()}\n```\n\n"
        f"{markdown.rstrip()}\n"
        f"<!-- summary:{name}:end -->"
    )


def update(text: str, examples: dict[str, str]) -> str:
    for name, markdown in examples.items():
        start, end = f"<!-- summary:{name}:start -->", f"<!-- summary:{name}:end -->"
        if text.count(start) != 1 or text.count(end) != 1:
            raise SystemExit(f"{PAGE.name}: needs exactly one {start} and one {end}")
        before, rest = text.split(start)
        _, after = rest.split(end)
        text = before + block(name, markdown) + after
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    args = parser.parse_args()
    text = PAGE.read_text(encoding="utf-8")
    new = update(text, render())
    if args.check:
        if new != text:
            print(f"{PAGE} is stale: run python scripts/summary_examples.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
