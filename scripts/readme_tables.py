"""Regenerate the inputs and outputs tables of README.md from action.yml.

    python scripts/readme_tables.py          # rewrite the tables in README.md
    python scripts/readme_tables.py --check  # exit 1, with a diff, when they are stale

The tables sit between `<!-- inputs:start -->` / `<!-- inputs:end -->` and
`<!-- outputs:start -->` / `<!-- outputs:end -->`; the rest of README.md is left alone.

The inputs come in the groups of GROUPS below, one heading and table each. action.yml cannot
say which group an input belongs to (its schema allows no keys of our own), so the grouping
lives here, and an input of action.yml that is in no group, or in two, is an error: adding
an input means choosing its group.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("inputs", "outputs")

# (heading, one line about the group, the inputs in the order they are shown)
Group = tuple[str, str, tuple[str, ...]]
GROUPS: tuple[Group, ...] = (
    (
        "What to publish",
        "Exactly one of `path`, `requirements` (with an optional `path` beside it) or "
        "`depend-link` says what to publish.",
        (
            *("name", "runtime", "path", "requirements", "depend-link", "description"),
            *("exclude", "prefix", "platform", "index-url", "extra-index-url", "allow-source"),
        ),
    ),
    (
        "Signing in",
        "Exactly one way to sign in: `identity-provider` (keyless), `access-key` + "
        "`secret-key`, `auth-token`, or `iam-user` + `iam-password` + `iam-domain`.",
        (
            *("region", "project-id", "identity-provider", "oidc-audience"),
            *("access-key", "secret-key", "security-token", "auth-token"),
            *("iam-user", "iam-password", "iam-domain"),
        ),
    ),
    (
        "Publishing",
        "How the version is created, and when it is not.",
        ("if-unchanged", "dry-run", "depend-type", "obs-bucket", "obs-key", "api"),
    ),
    (
        "Deploying",
        "After publishing: switch functions to the version, and delete old versions.",
        ("functions", "keep-versions"),
    ),
    (
        "Advanced",
        "Checks, retries and endpoints; the defaults suit most jobs.",
        (
            *("allow-mismatched-modules", "retries", "timeout"),
            *("endpoint", "iam-endpoint", "obs-endpoint"),
        ),
    ),
)


class TablesError(ValueError):
    pass


def _cell(text: object) -> str:
    """One Markdown table cell: a single line, pipes escaped."""
    flat = " ".join(str(text).split())
    return flat.replace("\\", "\\\\").replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def check_groups(action: dict[str, Any], groups: tuple[Group, ...] = GROUPS) -> None:
    """Every input of `action` in exactly one group, and no group naming another."""
    declared = list(action.get("inputs") or {})
    grouped = [name for _, _, names in groups for name in names]
    twice = sorted({name for name in grouped if grouped.count(name) > 1})
    nowhere = [name for name in declared if name not in grouped]
    unknown = sorted(set(grouped) - set(declared))
    problems = []
    if nowhere:
        problems.append(f"inputs in no group: {', '.join(nowhere)}")
    if twice:
        problems.append(f"inputs in more than one group: {', '.join(twice)}")
    if unknown:
        problems.append(f"grouped inputs action.yml does not declare: {', '.join(unknown)}")
    if problems:
        raise TablesError(
            "scripts/readme_tables.py GROUPS and action.yml disagree: " + "; ".join(problems)
        )


def _input_rows(inputs: dict[str, Any], names: tuple[str, ...]) -> str:
    rows = ["| Input | Required | Default | Description |", "|---|---|---|---|"]
    for name in names:
        spec = inputs[name] or {}
        required = "yes" if spec.get("required") else "no"
        default = spec.get("default")
        default_cell = "" if default is None else _code(_cell(default))
        description = _cell(spec.get("description", ""))
        rows.append(f"| `{_cell(name)}` | {required} | {default_cell} | {description} |")
    return "\n".join(rows)


def inputs_table(action: dict[str, Any], groups: tuple[Group, ...] = GROUPS) -> str:
    """A heading, a line and a table for each group of inputs."""
    check_groups(action, groups)
    inputs = action.get("inputs") or {}
    parts = [
        f"### {heading}\n\n{about}\n\n{_input_rows(inputs, names)}"
        for heading, about, names in groups
    ]
    return "\n\n".join(parts)


def outputs_table(action: dict[str, Any]) -> str:
    rows = ["| Output | Description |", "|---|---|"]
    for name, spec in (action.get("outputs") or {}).items():
        spec = spec or {}
        rows.append(f"| `{_cell(name)}` | {_cell(spec.get('description', ''))} |")
    return "\n".join(rows)


def render(readme: str, action: dict[str, Any], groups: tuple[Group, ...] = GROUPS) -> str:
    """`readme` with both tables regenerated from `action`, the inputs by `groups`."""
    tables = {"inputs": inputs_table(action, groups), "outputs": outputs_table(action)}
    for section in SECTIONS:
        start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
        if readme.count(start) != 1 or readme.count(end) != 1:
            raise TablesError(f"README.md needs exactly one {start} and one {end}")
        head, rest = readme.split(start)
        body, tail = rest.split(end)
        if "\n" not in body:
            raise TablesError(f"{start} and {end} must be on lines of their own")
        readme = f"{head}{start}\n{tables[section]}\n{end}{tail}"
    return readme


def load_action(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TablesError(f"{path} is not a mapping")
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when README.md is stale")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--action", type=Path, default=ROOT / "action.yml")
    args = parser.parse_args(argv)
    try:
        current = args.readme.read_text(encoding="utf-8")
        wanted = render(current, load_action(args.action))
    except (TablesError, OSError, yaml.YAMLError) as err:
        print(f"readme_tables: {err}", file=sys.stderr)
        return 2
    if wanted == current:
        return 0
    if args.check:
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                wanted.splitlines(keepends=True),
                "README.md",
                "README.md (from action.yml)",
            )
        )
        print("README.md tables are stale: run python scripts/readme_tables.py", file=sys.stderr)
        return 1
    args.readme.write_text(wanted, encoding="utf-8")
    print(f"updated the tables in {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
