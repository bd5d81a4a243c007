"""The job summary people read: a headline, the facts a deploy needs once each, a table of
what changed on each function and one of what happened to each old version; no temporary
paths."""

from pathlib import Path

from fgs_emulator import Emulator
from helpers import function_changes, make_tree, publish_inputs, run_action, summary_table
from test_functions import CODES, deploy

FACTS = ["dep_id", "version", "etag", "runtime", "size", "route"]


def facts(summary: str) -> dict[str, str]:
    """The two-column table under the headline: label -> the value as shown."""
    lines = summary.splitlines()
    shown = {}
    for line in lines[lines.index("| | |") + 2 :]:
        if not line.startswith("|"):
            break
        label, value = (cell.strip() for cell in line.strip("|").split("|"))
        shown[label] = value.strip("`")
    return shown


def test_a_publish_that_attaches_and_retires(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename
    )
    old = emulator.add_version("demo-deps", "Python3.9")
    make_tree(workspace, {"lib/helper.py": "VALUE = 1\n", "lib/more.py": "X = 2\n"})
    run = deploy(emulator, workspace, tmp_path, functions="api", **{"keep-versions": "1"})
    assert run.returncode == 0, run.log
    lines = run.summary.splitlines()
    assert lines[0] == "### Published 'demo-deps' version 2 inline (base64 in the request)"
    shown = facts(run.summary)
    assert list(shown) == FACTS
    assert shown["etag"] == run.outputs["etag"] and shown["dep_id"] == run.outputs["dep_id"]
    assert shown["size"].endswith("zip, 2 files") and shown["runtime"] == "Python3.9"
    # Nothing twice (the MD5 is the etag), no temporary path.
    assert run.summary.count(run.outputs["etag"]) == 1
    assert str(run.runner_temp) not in run.summary and "package_path" not in run.summary
    assert "| Function | Before | After |" in lines
    assert function_changes(run.summary) == {urn: ("none", "demo-deps 2")}
    assert "| Version | What happened |" in lines
    assert dict(summary_table(run.summary, "Versions"))[str(old["version"])] == "deleted"
    # The log tells it in the order it happened: published, then attached, then retired.
    published = run.stdout.index("Published 'demo-deps' version 2")
    attached = run.stdout.index(f"{urn}: attached")
    retired = run.stdout.index(f"Version {old['version']}: deleted")
    assert published < attached < retired


def test_a_dry_run_shows_the_package_alone(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace / "deps", {"a.py": "a = 1\n"})
    inputs = {"name": "x", "runtime": "Python3.12", "path": "deps", "dry-run": "true"}
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert run.summary.splitlines()[0] == "### Dry run: nothing published for 'x'"
    assert list(facts(run.summary)) == ["runtime", "etag", "size"]
    assert "####" not in run.summary
    assert str(run.runner_temp) not in run.summary


def test_an_unchanged_rerun_says_so(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"a.py": "a = 1\n"})
    first = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "1")
    again = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "2")
    assert first.returncode == again.returncode == 0
    assert again.summary.startswith("### Unchanged: version 1 of 'demo-deps' already holds")
    assert facts(again.summary)["route"] == "unchanged: nothing sent"
