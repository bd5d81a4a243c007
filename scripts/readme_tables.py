"""Regenerate the inputs and outputs tables of README.md from action.yml.

    python scripts/readme_tables.py          # rewrite the tables in README.md
    python scripts/readme_tables.py --check  # exit 1, with a diff, when they are stale

The tables sit between `<!-- inputs:start -->` / `<!-- inputs:end -->` and
`<!-- outputs:start -->` / `<!-- outputs:end -->`; the rest of README.md is left alone.
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


class TablesError(ValueError):
    pass


def _cell(text: object) -> str:
    """One Markdown table cell: a single line, pipes escaped."""
    flat = " ".join(str(text).split())
    return flat.replace("\\", "\\\\").replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def inputs_table(action: dict[str, Any]) -> str:
    rows = ["| Input | Required | Default | Description |", "|---|---|---|---|"]
    for name, spec in (action.get("inputs") or {}).items():
        spec = spec or {}
        required = "yes" if spec.get("required") else "no"
        default = spec.get("default")
        default_cell = "" if default is None else _code(_cell(default))
        description = _cell(spec.get("description", ""))
        rows.append(f"| `{_cell(name)}` | {required} | {default_cell} | {description} |")
    return "\n".join(rows)


def outputs_table(action: dict[str, Any]) -> str:
    rows = ["| Output | Description |", "|---|---|"]
    for name, spec in (action.get("outputs") or {}).items():
        spec = spec or {}
        rows.append(f"| `{_cell(name)}` | {_cell(spec.get('description', ''))} |")
    return "\n".join(rows)


def render(readme: str, action: dict[str, Any]) -> str:
    """`readme` with both tables regenerated from `action`."""
    tables = {"inputs": inputs_table(action), "outputs": outputs_table(action)}
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
