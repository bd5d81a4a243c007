"""Deploying beside other runs: a matrix of runtimes sharing one dependency name (one job
after another, and all at once), and other deploys changing a function while the action
attaches to it. What must hold: no job deletes what another job uses or is about to use,
no release or other workflow's dependency is undone, and every output names what exists."""

import base64
import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fgs_emulator import Emulator, SlowReply
from helpers import (
    PROJECT_ID,
    Run,
    calls,
    make_tree,
    publish_inputs,
    run_action,
    version_fates,
)
from test_functions import CODES, code_puts, deploy, ids

FUNCTIONS = f"/v2/{PROJECT_ID}/fgs/functions"
RUNTIMES = ("Python3.9", "Python3.10", "Python3.12")
HOUR = 3600


def function_for(emulator: Emulator, runtime: str) -> str:
    code, filename = CODES["zip"]
    name = "fn-" + runtime.lower().replace(".", "")
    return emulator.functions.add(
        name, runtime=runtime, code_type="zip", code=code, code_filename=filename
    )


def matrix(
    emulator: Emulator, workspace: Path, tmp_path: Path, round_name: str, at_once: bool
) -> dict[str, Run]:
    """One job per runtime, one dependency name, keep-versions 1, each job switching its
    runtime's function: run one after another, or as concurrent processes."""

    def job(runtime: str) -> Run:
        inputs = publish_inputs(
            emulator,
            runtime=runtime,
            functions="fn-" + runtime.lower().replace(".", ""),
            **{"obs-endpoint": emulator.url, "keep-versions": "1"},
        )
        return run_action(workspace, inputs, tmp=tmp_path / round_name / runtime)

    if at_once:
        with ThreadPoolExecutor(len(RUNTIMES)) as pool:
            return dict(zip(RUNTIMES, pool.map(job, RUNTIMES), strict=True))
    return {runtime: job(runtime) for runtime in RUNTIMES}


def check_matrix(emulator: Emulator, runs: dict[str, Run], urns: dict[str, str]) -> None:
    stored = {v["id"]: v for v in emulator.versions("demo-deps")}
    for runtime, run in runs.items():
        assert run.returncode == 0, run.log
        # The output names a version that exists, of the job's runtime, on its function.
        version = stored[run.outputs["version_id"]]
        assert str(version["version"]) == run.outputs["version"]
        assert version["runtime"] == runtime
        assert ids(emulator, urns[runtime]) == [run.outputs["version_id"]]
        # Its runtime keeps its newest version: the one the job published or reused.
        newest = max(
            (v for v in stored.values() if v["runtime"] == runtime), key=lambda v: v["version"]
        )
        assert newest["id"] == run.outputs["version_id"]


@pytest.mark.parametrize("at_once", [False, True], ids=["one-after-another", "at-once"])
def test_a_matrix_of_runtimes_keeps_each_runtimes_versions(
    emulator: Emulator, workspace: Path, tmp_path: Path, at_once: bool
) -> None:
    urns = {runtime: function_for(emulator, runtime) for runtime in RUNTIMES}
    make_tree(workspace, {"lib/helper.py": "VALUE = 1\n"})

    first = matrix(emulator, workspace, tmp_path, "first", at_once)
    check_matrix(emulator, first, urns)
    assert len(emulator.versions("demo-deps")) == 3
    # Another job's versions are never deleted, nor (at once) one it has just published.
    assert all(json.loads(run.outputs["deleted_versions"]) == [] for run in first.values())

    # An hour on, a changed package: each job replaces and retires its own runtime's version.
    emulator.backdate("demo-deps", HOUR)
    make_tree(workspace, {"lib/helper.py": "VALUE = 2\n"})
    second = matrix(emulator, workspace, tmp_path, "second", at_once)
    check_matrix(emulator, second, urns)
    for runtime, run in second.items():
        assert json.loads(run.outputs["deleted_versions"]) == [
            int(first[runtime].outputs["version"])
        ]
    assert sorted(v["runtime"] for v in emulator.versions("demo-deps")) == sorted(RUNTIMES)

    # Unchanged: every job finds its runtime's version; nothing is published or deleted.
    creates, deletes = len(calls(emulator, "POST", "/v2/")), len(calls(emulator, "DELETE", "/v2/"))
    third = matrix(emulator, workspace, tmp_path, "third", at_once)
    check_matrix(emulator, third, urns)
    assert all(run.outputs["skipped"] == "true" for run in third.values())
    assert all(run.outputs["deleted_versions"] == "[]" for run in third.values())
    assert len(calls(emulator, "POST", "/v2/")) == creates
    assert len(calls(emulator, "DELETE", "/v2/")) == deletes


def test_retention_keeps_other_runtimes_recent_versions_and_says_why(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.add_version("demo-deps", "Python3.10")  # 1: another job's
    emulator.add_version("demo-deps", "Python3.9")  # 2: old, unused
    emulator.add_version("demo-deps", "Python3.9", age=60)  # 3: another run's, just made

    run = deploy(emulator, workspace, tmp_path, **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert run.outputs["version"] == "4"
    assert json.loads(run.outputs["deleted_versions"]) == [2]
    assert [v["version"] for v in emulator.versions("demo-deps")] == [1, 3, 4]
    fates = version_fates(run.summary)
    assert fates["1"] == "kept: another runtime (for Python3.10)"
    assert fates["2"] == "deleted"
    assert fates["3"].startswith("kept: recent (created ")
    assert fates["3"].endswith("s ago, under 15 minutes; another run may be about to attach it)")
    assert fates["4"] == "kept: this run's (published or reused by this run)"
    assert "Version 3: kept: recent" in run.stdout


def test_a_skip_compares_with_the_newest_version_of_its_own_runtime(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    first = deploy(emulator, workspace, tmp_path)
    other = deploy(emulator, workspace, tmp_path, runtime="Python3.12")
    again = deploy(emulator, workspace, tmp_path)

    assert [r.returncode for r in (first, other, again)] == [0, 0, 0], again.log
    assert other.outputs["skipped"] == "false"
    assert again.outputs["skipped"] == "true"
    assert again.outputs["version_id"] == first.outputs["version_id"]
    assert len(calls(emulator, "POST", "/v2/")) == 2


def release_zip(number: int) -> bytes:
    """The code of a release, the same bytes on every call (a fixed time stamp)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        entry = zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(entry, f"def handler(e, c):\n    return 'release {number}'\n")
    return buffer.getvalue()


def test_a_release_between_the_read_and_the_put_is_not_reverted(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    # Another deploy's release lands while the action downloads the code it read (the first
    # code read is the check before publishing, the second the one the update is built from).
    emulator.after("show_code", lambda: emulator.functions.release(urn, release_zip(2)), skip=1)

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 0, run.log
    assert emulator.functions.code_of(urn) == release_zip(2)
    assert ids(emulator, urn) == [run.outputs["version_id"]]
    assert "changed while its update was built (last_modified" in run.stdout
    [put] = code_puts(emulator)
    assert base64.b64decode(put.json["func_code"]["file"]) == release_zip(2)


def test_a_dependency_attached_between_the_read_and_the_put_is_kept(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    theirs = emulator.add_version("their-layer", "Python3.9")
    emulator.after("show_code", lambda: emulator.functions.attach_other(urn, theirs["id"]), skip=1)

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 0, run.log
    assert ids(emulator, urn) == [theirs["id"], run.outputs["version_id"]]
    assert emulator.functions.code_of(urn) == CODES["zip"][0]


def test_a_function_that_keeps_changing_is_left_alone(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    releases = iter(range(2, 100))
    emulator.after(
        "show_code",
        lambda: emulator.functions.release(urn, release_zip(next(releases))),
        times=50,
    )

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 1
    [error] = run.errors
    assert "Function 'fn-python39' kept changing while its update was built" in error
    assert "digest changed" in error and "concurrency:" in error
    assert "This run's update was not applied" in error
    assert code_puts(emulator) == []
    assert ids(emulator, urn) == []


def test_another_workflows_dependency_added_after_the_put_is_not_removed(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    theirs = emulator.add_version("their-layer", "Python3.9")
    emulator.after("update_code", lambda: emulator.functions.attach_other(urn, theirs["id"]))

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 0, run.log
    assert ids(emulator, urn) == [run.outputs["version_id"], theirs["id"]]
    assert len(code_puts(emulator)) == 1
    assert "also holds their-layer 1, added by someone else meanwhile; kept" in run.stdout
    assert "their-layer 1" in run.summary


def test_a_release_after_the_put_is_kept_and_the_function_counts_as_updated(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    emulator.after("update_code", lambda: emulator.functions.release(urn, release_zip(2)))

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    # The release came after this run's update and kept its version: nothing to undo.
    assert run.returncode == 0, run.log
    assert "its code was replaced by someone else after this run's update; kept" in run.stdout
    assert json.loads(run.outputs["updated_functions"]) == [urn]
    assert len(code_puts(emulator)) == 1
    assert emulator.functions.code_of(urn) == release_zip(2)
    assert ids(emulator, urn) == [run.outputs["version_id"]]


def test_a_version_deleted_before_it_is_attached_is_explained(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    old = emulator.add_version("demo-deps", "Python3.9")
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(old["id"],),
    )  # fmt: skip
    # Another run's retention, or a person, deletes the new version before it is attached.
    emulator.after("create", lambda: emulator.delete_version("demo-deps", 2))

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "FSS.1056" in error and "does not exist (any more)" in error
    assert "Run the job again" in error and "check 'project-id'" not in error
    assert ids(emulator, urn) == [old["id"]]
    assert emulator.functions.code_of(urn) == code


def test_a_reused_version_deleted_between_listing_and_attaching_is_explained(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.add_version("demo-deps", "Python3.10")  # keeps the dependency when 2 goes
    first = deploy(emulator, workspace, tmp_path)  # version 2, attached to nothing
    urn = function_for(emulator, "Python3.9")
    # The skip finds version 2 in the list; another run deletes it before it is attached.
    emulator.after("list_versions", lambda: emulator.delete_version("demo-deps", 2))

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert first.outputs["version"] == "2"
    assert run.returncode == 1
    assert run.outputs["skipped"] == "true"
    [error] = run.errors
    assert "title=Dependency 'demo-deps' reused; attaching it to the functions failed" in error
    assert "FSS.1056" in error and "does not exist (any more)" in error
    assert ids(emulator, urn) == []
    assert emulator.functions.code_of(urn) == CODES["zip"][0]


def test_the_old_version_is_known_from_the_dependencys_version_list(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    old = emulator.add_version("demo-deps", "Python3.9")
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(old["id"],),
    )  # fmt: skip
    # FunctionGraph's reply lists the version ids but describes none of them.
    emulator.functions.undescribed.add(urn)

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 0, run.log
    assert ids(emulator, urn) == [run.outputs["version_id"]]


def test_the_20_limit_is_checked_before_publishing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    others = [emulator.add_version(f"layer{n}", "Python3.9")["id"] for n in range(20)]
    emulator.functions.add(
        "api", runtime="Python3.9", code_type="inline", code=b"x\n",
        depend_version_list=tuple(others),
    )  # fmt: skip
    run = deploy(emulator, workspace, tmp_path, functions="api")
    assert run.returncode == 1
    assert "would have 21 dependencies" in run.errors[0]
    assert calls(emulator, "POST", "/v2/") == [], "nothing published that cannot be attached"


def test_a_cancel_during_retention_stops_it_and_fails(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    for _ in range(4):
        emulator.add_version("demo-deps", "Python3.9")
    emulator.inject("delete", SlowReply(1.0), times=4)
    make_tree(workspace, {"lib/helper.py": "VALUE = 1\n"})
    inputs = publish_inputs(emulator, **{"keep-versions": "1"})

    run = run_action(
        workspace,
        inputs,
        tmp=tmp_path,
        cancel_when=lambda: bool(calls(emulator, "DELETE", "/v2/")),
    )

    assert run.returncode == 1
    assert any("cancelled" in line for line in run.errors), run.log
    assert len(calls(emulator, "DELETE", "/v2/")) == 1, "no deletion after the cancel"


def test_after_legacy_publishes_the_skip_looks_at_every_dependency_of_the_name(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "A = 1\n"})
    legacy = run_action(workspace, publish_inputs(emulator, api="legacy"), tmp=tmp_path / "1")
    (workspace / "a.py").write_text("A = 2\n")
    current = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "2")
    again = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "3")

    assert [r.returncode for r in (legacy, current, again)] == [0, 0, 0], again.log
    assert again.outputs["skipped"] == "true"
    assert again.outputs["version_id"] == current.outputs["version_id"]
    assert len(calls(emulator, "POST", "/v2/")) == 2
