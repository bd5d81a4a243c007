"""The job summary people read, stacked one per runtime when a matrix runs: a headline that
names the dependency, the runtime and the outcome (also for failures), the facts a deploy
needs once each, the limits the package was judged against, the time taken, the functions by
name, every warning of the run, and for a failure what was already done; no temporary
paths. docs/summary-examples.md shows each shape as rendered here (checked below)."""

import re
from pathlib import Path

import pytest
from fgs_emulator import Emulator, Status
from helpers import (
    ROOT,
    calls,
    function_changes,
    load_script,
    make_tree,
    publish_inputs,
    run_action,
    summary_facts,
    summary_table,
)
from test_functions import CODES, deploy

from fgs_dependency.inputs import provenance

facts = summary_facts
PUBLISHED = ["dep_id", "version", "etag", "description", "size", "limits", "route", "took"]
TOOK = re.compile(r"\d+\.\d s")
RUNNER = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octo-org/my-app",
    "GITHUB_RUN_ID": "9876543210",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "GITHUB_REF": "refs/tags/v1.4.0",
}


def bullets(summary: str, heading: str) -> list[str]:
    """The list under `#### heading`, each item as plain text (escapes undone)."""
    lines = summary.splitlines()
    items = []
    for line in lines[lines.index(f"#### {heading}") + 2 :]:
        if not line.startswith("- "):
            break
        items.append(re.sub(r"\\(.)", r"\1", line[2:]))
    return items


def test_a_publish_that_attaches_and_retires(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename
    )
    old = emulator.add_version("demo-deps", "Python3.9")
    make_tree(workspace, {"lib/helper.py": "VALUE = 1\n", "lib/more.py": "X = 2\n"})
    inputs = publish_inputs(
        emulator, functions="api", **{"keep-versions": "1", "obs-endpoint": emulator.url}
    )
    run = run_action(workspace, inputs, RUNNER, tmp=tmp_path)
    assert run.returncode == 0, run.log
    lines = run.summary.splitlines()
    assert lines[0] == "### demo-deps · Python3.9 · published version 2"
    shown = facts(run.summary)
    assert list(shown) == PUBLISHED
    assert shown["etag"] == run.outputs["etag"] and shown["dep_id"] == run.outputs["dep_id"]
    # The zip's size beside what it unpacks to, and the limits of its route and sign-in.
    assert re.fullmatch(r"\d+ B zip \(\d+ B unpacked\), 2 files", shown["size"]), shown
    assert shown["limits"] == (
        "12.0 MiB request when AK/SK-signed (a zip of about 8.9 MiB), 30,000 files"
    )
    assert TOOK.fullmatch(shown["took"])
    # Where the version came from, as FunctionGraph stores it.
    assert shown["description"] == (
        "Published by GitHub Actions from octo-org/my-app at commit "
        "0123456789abcdef0123456789abcdef01234567 (refs/tags/v1.4.0): "
        "https://github.com/octo-org/my-app/actions/runs/9876543210"
    )
    [create] = calls(emulator, "POST", "/v2/")
    assert create.json["description"] == shown["description"]
    # Nothing twice (the MD5 is the etag), no temporary path.
    assert run.summary.count(run.outputs["etag"]) == 1
    assert str(run.runner_temp) not in run.summary and "package_path" not in run.summary
    # Functions by name: no two share one here.
    assert function_changes(run.summary) == {"api": ("none", "demo-deps 2")}
    assert "urn:fss" not in run.summary
    assert dict(summary_table(run.summary, "Versions"))[str(old["version"])] == "deleted"
    assert "#### Warnings" not in run.summary
    # The log tells it in the order it happened: published, then attached, then retired.
    published = run.stdout.index("Published 'demo-deps' version 2")
    attached = run.stdout.index(f"{urn}: attached")
    retired = run.stdout.index(f"Version {old['version']}: deleted")
    assert published < attached < retired


def test_functions_that_share_a_name_are_shown_by_urn(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code, filename = CODES["zip"]
    add = {"runtime": "Python3.9", "code_type": "zip", "code": code, "code_filename": filename}
    one = emulator.functions.add("api", **add)
    other = emulator.functions.add("api", package="team-b", **add)
    alone = emulator.functions.add("worker", **add)
    make_tree(workspace, {"a.py": "a = 1\n"})
    run = deploy(emulator, workspace, tmp_path, functions=f"{one}, {other}, worker")
    assert run.returncode == 0, run.log
    assert list(function_changes(run.summary)) == [one, other, "worker"]
    assert alone not in run.summary


def test_three_runtimes_stacked_are_told_apart_by_their_headlines(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a = 1\n"})
    headlines = []
    for runtime in ("Python3.9", "Python3.10", "Python3.12"):
        run = run_action(
            workspace, publish_inputs(emulator, runtime=runtime), tmp=tmp_path / runtime
        )
        assert run.returncode == 0, run.log
        headlines.append(run.summary.splitlines()[0])
    assert headlines == [
        "### demo-deps · Python3.9 · published version 1",
        "### demo-deps · Python3.10 · published version 2",
        "### demo-deps · Python3.12 · published version 3",
    ]


def test_a_dry_run_shows_the_package_alone(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace / "deps", {"a.py": "a = 1\n"})
    inputs = {"name": "x", "runtime": "Python3.12", "path": "deps", "dry-run": "true"}
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert run.summary.splitlines()[0] == "### x · Python3.12 · dry run, nothing published"
    shown = facts(run.summary)
    assert list(shown) == ["etag", "size", "limits", "took"]
    # The sign-in is not known to a dry run: every limit that could apply.
    assert shown["limits"] == (
        "12.0 MiB request when AK/SK-signed (a zip of about 8.9 MiB), 40.0 MiB inline, "
        "300.0 MiB through OBS, 30,000 files"
    )
    assert "####" not in run.summary
    assert str(run.runner_temp) not in run.summary


def test_an_unchanged_rerun_says_so(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"a.py": "a = 1\n"})
    first = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "1")
    again = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "2")
    assert first.returncode == again.returncode == 0
    assert again.summary.startswith("### demo-deps · Python3.9 · unchanged, version 1 reused\n")
    assert facts(again.summary)["route"] == "unchanged: nothing sent"


def test_every_warning_of_the_run_is_in_the_summary(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    # A layout FunctionGraph does not expect, and a retry after a throttled create.
    make_tree(workspace, {"python/a.py": "a = 1\n"})
    emulator.inject("create", Status(429))
    run = run_action(workspace, publish_inputs(emulator), tmp=tmp_path)
    assert run.returncode == 0, run.log
    logged = [w.split("::", 2)[2] for w in run.warnings]
    assert len(logged) == 2, run.log
    assert bullets(run.summary, "Warnings") == logged
    assert logged[0].startswith("The package keeps its modules under python/")
    assert logged[1].startswith("Creating the version failed")


def test_a_failure_says_what_was_done_and_keeps_its_warnings(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a = 1\n"})
    run = run_action(workspace, publish_inputs(emulator, runtime="Cobol85"), tmp=tmp_path)
    assert run.returncode == 1
    assert run.summary.startswith("### :x: demo-deps · Cobol85 · failed, nothing published\n")
    shown = facts(run.summary)
    assert shown["published"] == "no" and shown["functions changed"] == "none"
    assert shown["error code"] == "FSS.1005" and TOOK.fullmatch(shown["took"])
    [warning] = bullets(run.summary, "Warnings")
    assert "Runtime 'Cobol85' is not one this action knows" in warning


def test_an_input_error_has_a_headline_too(workspace: Path, tmp_path: Path) -> None:
    inputs = {"name": "my-app-deps", "runtime": "Python3.9", "keep-versions": "-1"}
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 1
    assert run.summary.splitlines()[0] == (
        "### :x: my-app-deps · Python3.9 · invalid input, nothing published"
    )


@pytest.mark.parametrize("name", ["published", "skipped", "failure"])
def test_docs_show_each_shape_as_rendered(name: str) -> None:
    """docs/summary-examples.md holds what scripts/summary_examples.py renders now."""
    examples = load_script("summary_examples")
    rendered = examples.render()[name]
    text = (ROOT / "docs" / "summary-examples.md").read_text(encoding="utf-8")
    assert examples.block(name, rendered) in text, (
        "docs/summary-examples.md is out of date: run `python scripts/summary_examples.py`"
    )


def test_the_provenance_fits_the_apis_512_characters() -> None:
    build = provenance.Build(
        "https://github.example.com", "o" * 39 + "/" + "r" * 100, "1" * 20, "f" * 40,
        "refs/heads/" + "b" * 600,
    )  # fmt: skip
    text = provenance.describe(build)
    assert len(text) == 512
    # The ref is shortened, never the run's address or the commit.
    assert text.endswith(f": https://github.example.com/{build.repository}/actions/runs/{'1' * 20}")
    assert f"at commit {'f' * 40} (refs/heads/bbb" in text and "…)" in text
    assert provenance.describe(provenance.Build()) == ""


def test_a_description_given_is_sent_as_is_and_none_outside_a_runner(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a = 1\n"})
    given = publish_inputs(emulator, description="Shared libraries")
    run = run_action(workspace, given, RUNNER, tmp=tmp_path / "given")
    assert run.returncode == 0, run.log
    local = publish_inputs(emulator, runtime="Python3.12")
    run = run_action(workspace, local, tmp=tmp_path / "local")
    assert run.returncode == 0, run.log
    first, second = calls(emulator, "POST", "/v2/")
    assert first.json["description"] == "Shared libraries"
    assert "description" not in second.json
    assert "description" not in facts(run.summary)
