"""README.md agrees with action.yml: generated tables, and examples that use only what
the action declares."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import ROOT, load_script

SCRIPT = ROOT / "scripts" / "readme_tables.py"
readme_tables = load_script("readme_tables")

README = (ROOT / "README.md").read_text(encoding="utf-8")
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
    out = readme_tables.render(readme, action)
    assert "| `a` | yes |  | one \\| two three |" in out
    assert "| `b` | no | `a\\|b` | x |" in out
    assert "| `c` | no |  |  |" in out
    assert "| `o` | pipe \\| here |" in out
    assert out.startswith("top\n") and "\nmid\n" in out and out.endswith("\nend\n")
    assert "old" not in out
    assert readme_tables.render(out, action) == out


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
    blocks = _yaml_blocks(README)
    assert len(blocks) >= 4, "the README should carry its usage examples"
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
