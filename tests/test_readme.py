"""README.md agrees with action.yml and the code: generated tables grouped by
scripts/readme_tables.py, the runtime names, examples (in README.md and docs/) that use only
what the action declares, and links to files that exist."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import ROOT, load_script

from fgs_dependency.inputs import runtimes

SCRIPT = ROOT / "scripts" / "readme_tables.py"
readme_tables = load_script("readme_tables")

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md"))}
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
# How the README's examples refer to this action.
THIS_ACTION = re.compile(r"^(?:\./?|[^/@\s]+/fgs-dependency-action(?:@.*)?)$")


def test_tables_match_action_yml() -> None:
    """Fails when action.yml and the README tables drift apart."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, (
        "README.md tables differ from action.yml; run `python scripts/readme_tables.py`:\n"
        + done.stdout
        + done.stderr
    )


def test_every_input_and_output_is_in_the_tables() -> None:
    for name in ACTION["inputs"]:
        assert f"| `{name}` |" in README
    for name in ACTION["outputs"]:
        assert f"| `{name}` |" in README


def test_rendering_escapes_and_flattens() -> None:
    action = {
        "inputs": {
            "a": {"description": "one | two\n  three", "required": True},
            "b": {"description": "x", "default": "a|b"},
            "c": None,
        },
        "outputs": {"o": {"description": "pipe | here"}},
    }
    readme = (
        "top\n<!-- inputs:start -->\nold\n<!-- inputs:end -->\n"
        "mid\n<!-- outputs:start -->\n<!-- outputs:end -->\nend\n"
    )
    groups = (("First", "About the first.", ("a", "c")), ("Second", "", ("b",)))
    out = readme_tables.render(readme, action, groups)
    assert "### First\n\nAbout the first.\n\n| Input |" in out
    order = ["| `a` |", "| `c` |", "### Second", "| `b` |"]
    assert [out.index(o) for o in order] == sorted(out.index(o) for o in order)
    assert "| `a` | yes |  | one \\| two three |" in out
    assert "| `b` | no | `a\\|b` | x |" in out
    assert "| `c` | no |  |  |" in out
    assert "| `o` | pipe \\| here |" in out
    assert out.startswith("top\n") and "\nmid\n" in out and out.endswith("\nend\n")
    assert "old" not in out
    assert readme_tables.render(out, action, groups) == out


@pytest.mark.parametrize(
    "readme",
    [
        "no markers",
        "<!-- inputs:start --><!-- inputs:end -->\n<!-- outputs:start -->\n<!-- outputs:end -->",
        "<!-- inputs:start -->\n<!-- inputs:end -->\n<!-- inputs:start -->\n<!-- inputs:end -->",
    ],
)
def test_bad_markers_are_refused(readme: str) -> None:
    with pytest.raises(readme_tables.TablesError):
        readme_tables.render(readme, ACTION)


def test_every_input_of_action_yml_is_in_exactly_one_group() -> None:
    readme_tables.check_groups(ACTION)
    grouped = [name for _, _, names in readme_tables.GROUPS for name in names]
    assert sorted(grouped) == sorted(ACTION["inputs"])


@pytest.mark.parametrize(
    ("groups", "complaint"),
    [
        ((("A", "", ("a",)),), "in no group: b"),
        ((("A", "", ("a", "b")), ("B", "", ("b",))), "more than one group: b"),
        ((("A", "", ("a", "b", "zzz")),), "does not declare: zzz"),
    ],
)
def test_a_group_mistake_is_refused(groups: Any, complaint: str) -> None:
    action = {"inputs": {"a": {"description": "x"}, "b": {"description": "y"}}}
    with pytest.raises(readme_tables.TablesError, match=complaint):
        readme_tables.render("<!-- inputs:start -->\n<!-- inputs:end -->\n", action, groups)


def test_check_fails_for_an_input_in_no_group(tmp_path: Path) -> None:
    """A new input in action.yml fails --check (as scripts/check.sh runs it) until grouped."""
    action = dict(ACTION, inputs={**ACTION["inputs"], "brand-new": {"description": "new"}})
    action_yml = tmp_path / "action.yml"
    action_yml.write_text(yaml.safe_dump(action), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    args = [sys.executable, str(SCRIPT), "--readme", str(readme), "--action", str(action_yml)]
    done = subprocess.run([*args, "--check"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "brand-new" in done.stderr


def test_readme_lists_exactly_the_known_runtimes() -> None:
    start, end = "<!-- runtimes:start -->", "<!-- runtimes:end -->"
    assert README.count(start) == 1 and README.count(end) == 1
    listed = re.findall(r"`([^`]+)`", README.split(start)[1].split(end)[0])
    assert sorted(listed) == sorted(runtimes.KNOWN)
    assert len(listed) == len(set(listed))


def test_readme_sections_come_in_order() -> None:
    """The order a new user reads in: the inputs early, development elsewhere."""
    wanted = [
        "## Contents",
        "## Quick start",
        "## Inputs",
        "### What to publish",
        "### Signing in",
        "### Publishing",
        "### Deploying",
        "### Advanced",
        "## Outputs",
        "## Permissions",
        "## Access keys and the project id",
        "## Supported runtimes",
        "## Pinning and upgrading",
        "## Troubleshooting",
        "## FAQ",
        "## Try it locally",
    ]
    lines = README.splitlines()
    at = [lines.index(heading) for heading in wanted]
    assert at == sorted(at)
    assert lines.index("## Inputs") < 200
    # The Contents list on the first screen, before the quick start.
    assert lines.index("## Contents") < 15 and lines.index("## Quick start") < 40
    assert "bash scripts/demo.sh" in README and "bash scripts/test.sh" in README


def test_relative_links_point_at_files_that_exist() -> None:
    documents = {ROOT / "README.md": README, ROOT / "CONTRIBUTING.md": None}
    documents.update({ROOT / "docs" / name: text for name, text in DOCS.items()})
    for path, text in documents.items():
        text = text if text is not None else path.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_keyless_policy_allows_what_keep_versions_deletes() -> None:
    """The quick start uses keep-versions; the keyless set-up's policy must let it delete."""
    policy = re.findall(r"```json\n(.*?)```", DOCS["keyless.md"], flags=re.S)
    actions = {a for block in policy for a in re.findall(r'"(functiongraph:[\w:]+)"', block)}
    assert "functiongraph:dependency:delete" in actions
    assert "keep-versions" in README.split("## Quick start")[1].split("\n## ")[0]


def test_check_reports_drift(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README.replace("| `name` | yes |", "| `name` | no |"), encoding="utf-8")
    args = [
        sys.executable,
        str(SCRIPT),
        "--readme",
        str(readme),
        "--action",
        str(ROOT / "action.yml"),
    ]
    stale = subprocess.run([*args, "--check"], capture_output=True, text=True, timeout=60)
    assert stale.returncode == 1
    assert "-| `name` | no |" in stale.stdout
    fixed = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert fixed.returncode == 0
    assert readme.read_text(encoding="utf-8") == README


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"^```ya?ml\n(.*?)^```", text, flags=re.S | re.M)


def _steps(node: Any) -> list[dict[str, Any]]:
    """Every mapping with a `uses:` or `run:` key, wherever it sits."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "uses" in node or "run" in node:
            found.append(node)
        for value in node.values():
            found.extend(_steps(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_steps(item))
    return found


def test_examples_are_valid_yaml_and_use_only_declared_inputs_and_outputs() -> None:
    blocks = _yaml_blocks(README) + [b for text in DOCS.values() for b in _yaml_blocks(text)]
    assert len(blocks) >= 4, "the README and docs/ should carry their usage examples"
    uses_of_this_action = 0
    for block in blocks:
        data = yaml.safe_load(block)
        ids = set()
        for step in _steps(data):
            if THIS_ACTION.match(str(step.get("uses", ""))):
                uses_of_this_action += 1
                unknown = set(step.get("with") or {}) - set(ACTION["inputs"])
                assert not unknown, f"README example passes undeclared inputs {unknown}"
                missing = {n for n, s in ACTION["inputs"].items() if s.get("required")} - set(
                    step.get("with") or {}
                )
                assert not missing, f"README example lacks required inputs {missing}"
                if "id" in step:
                    ids.add(step["id"])
        for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", block):
            if step_id in ids:
                assert output in ACTION["outputs"], f"README example reads undeclared {output}"
    assert uses_of_this_action >= 4


def test_quick_start_is_a_complete_workflow_with_python_and_node() -> None:
    quick = README.split("## Quick start")[1].split("\n## ")[0]
    (block,) = _yaml_blocks(quick)
    workflow = yaml.safe_load(block)
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    ours = [s["with"] for s in steps if THIS_ACTION.match(str(s.get("uses", "")))]
    assert any("requirements" in w and "matrix" in w["runtime"] for w in ours)
    assert any(w["runtime"].startswith("Node.js") for w in ours)
    assert all("identity-provider" in w for w in ours)
    for job in workflow["jobs"].values():
        assert job["permissions"]["id-token"] == "write"
        assert "concurrency" in job


def test_no_policy_asks_for_the_permission_to_list_projects() -> None:
    """The project of `region` is looked up with GET /v3/auth/projects, which needs no
    permission: no policy shown asks for the one GET /v3/projects needed."""
    for name, text in {"README.md": README, **DOCS}.items():
        assert "listProjects" not in text, name
        assert "permission to list projects" not in text, name


def test_readme_stays_within_450_lines() -> None:
    """Depth belongs in docs/: the README is what a new user reads through."""
    lines = len(README.splitlines())
    assert lines <= 450, f"README.md has {lines} lines; move depth into docs/"


def test_try_it_locally_says_how_long_and_that_podman_is_installed() -> None:
    local = " ".join(README.split("## Try it locally")[1].split())
    assert re.search(r"`bash \.ci/run` .* takes about \d+ minutes", local), local
    assert "installs podman" in local
    # ... which it does.
    assert "apt-get install" in (ROOT / "scripts" / "test.sh").read_text()


def test_the_action_description_fits_the_marketplace_and_names_what_it_does() -> None:
    # The Marketplace shows at most 125 characters of it.
    described = yaml.safe_load((ROOT / "action.yml").read_text())["description"]
    assert len(described) <= 125, len(described)
    assert all(word in described for word in ("requirements", "attach", "retire"))
