"""Attaching and retiring tell the truth and never undo another run's change: a PUT is sent
again only after the function is read, a rollback takes back only this run's own change,
the pre-check counts as the update counts, and the outputs and messages match what
happened (issue 26)."""

import json
import signal
from pathlib import Path
from urllib.parse import unquote

import pytest
from fgs_emulator import CommitThenDrop, Emulator, SlowReply, Status
from helpers import BUCKET, Run, calls, run_action
from test_beside_others import function_for, release_zip
from test_functions import CODES, a_zip, code_puts, deploy, ids, urn_of


def newest_id(emulator: Emulator, name: str = "demo-deps") -> str:
    return str(emulator.versions(name)[-1]["id"])


def with_old_version(emulator: Emulator) -> tuple[str, str]:
    """A zip function holding version 1 of demo-deps; (its URN, that version's id)."""
    old = emulator.add_version("demo-deps", "Python3.9")
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(old["id"],),
    )  # fmt: skip
    return urn, old["id"]


# --- 2. a retry never reverts another deploy -------------------------------------------


def test_a_lost_put_reply_then_a_release_is_not_reverted(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    # The PUT commits, its reply is lost, and another release lands before the retry.
    emulator.inject("update_code", CommitThenDrop())
    emulator.after("update_code", lambda: emulator.functions.release(urn, release_zip(2)))

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 0, run.log
    assert emulator.functions.code_of(urn) == release_zip(2), "the release stays"
    assert ids(emulator, urn) == [run.outputs["version_id"]]
    assert len(code_puts(emulator)) == 1, "the committed PUT is not sent again"
    assert json.loads(run.outputs["updated_functions"]) == [urn]


def test_a_throttled_put_is_rebuilt_when_a_release_lands_meanwhile(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    emulator.inject("update_code", Status(429, retry_after=1))
    emulator.after(
        "update_code", lambda: emulator.functions.release(urn, release_zip(3)), failed_too=True
    )

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 0, run.log
    assert emulator.functions.code_of(urn) == release_zip(3), "the release stays"
    assert ids(emulator, urn) == [run.outputs["version_id"]]
    first, second = code_puts(emulator)
    assert first.status == 429 and second.status == 200
    assert "building it again from its new state" in run.stdout


def test_a_lost_put_reply_is_found_applied_and_not_sent_again(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn, _ = with_old_version(emulator)
    emulator.inject("update_code", CommitThenDrop())

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 0, run.log
    assert len(code_puts(emulator)) == 1
    assert "it holds exactly what this run sent: the update was applied" in run.stdout
    assert ids(emulator, urn) == [run.outputs["version_id"]]
    assert json.loads(run.outputs["updated_functions"]) == [urn]


def test_an_obs_object_overwritten_after_the_checks_is_never_deployed(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code = a_zip({"index.py": "def handler(e, c):\n    return 'obs'\n"})
    code_url = emulator.put_object(BUCKET, "releases/code.zip", code)
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="obs", code_url=code_url, code_filename="code.zip"
    )
    # Someone overwrites the object after the checks before publishing.
    stranger = a_zip({"index.py": "def handler(e, c):\n    return 'nobody deployed me'\n"})
    emulator.after("create", lambda: emulator.put_object(BUCKET, "releases/code.zip", stranger))

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "the object at its code_url is not the code the function runs" in error
    assert code_puts(emulator) == []
    assert emulator.functions.code_of(urn) == code
    assert ids(emulator, urn) == []


# --- 3. a rollback takes back only this run's own change -------------------------------


def test_a_removal_right_after_the_put_is_not_undone(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn, old = with_old_version(emulator)
    # Another workflow takes the dependency off the function right after this run's update.
    emulator.after("update_code", lambda: emulator.functions.detach_other(urn, newest_id(emulator)))

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "demo-deps 2 is not on it" in error and "it was left as it is" in error
    assert "dependencies [none]" in error, "what it holds now"
    assert len(code_puts(emulator)) == 1, "no rollback"
    assert ids(emulator, urn) == [], "the other workflow's removal stands"
    assert old not in ids(emulator, urn)
    assert run.outputs["updated_functions"] == "[]"


def test_another_dependency_dropped_by_functiongraph_is_put_back(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    other = emulator.add_version("numpy-layer", "Python3.9")
    old = emulator.add_version("demo-deps", "Python3.9")
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(other["id"], old["id"]),
    )  # fmt: skip
    emulator.functions.dropped_firsts = 1  # FunctionGraph loses numpy-layer, keeps ours

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "it lacks numpy-layer 1, which this run kept" in error
    assert "what it had before this run was put back" in error
    assert ids(emulator, urn) == [other["id"], old["id"]]
    assert emulator.functions.code_of(urn) == code
    assert run.outputs["updated_functions"] == "[]"


def test_a_rollback_never_names_a_version_that_no_longer_exists(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    other = emulator.add_version("numpy-layer", "Python3.9")
    urn, old = with_old_version(emulator)
    emulator.functions.detach_other(urn, old)
    emulator.functions.attach_other(urn, other["id"])
    emulator.functions.attach_other(urn, old)
    emulator.functions.wrong_lists = 1  # this run's version is not stored
    # Once off the function, version 1 is deleted by another run's retention.
    emulator.after("update_code", lambda: emulator.delete_version("demo-deps", 1))

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "demo-deps 1 no longer exists, so it was not put back" in error
    for put in code_puts(emulator):
        assert old not in put.json["depend_version_list"]
    assert ids(emulator, urn) == [other["id"]]


# --- 4. the pre-checks count what the update will do -----------------------------------


def test_a_same_named_dependency_of_another_id_counts_before_publishing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.add_version("demo-deps", "Python3.9")  # the dependency this run publishes to
    others = [emulator.add_version(f"layer{n}", "Python3.9")["id"] for n in range(19)]
    legacy = emulator.add_version("demo-deps", "Python3.9", separate=True)  # another id
    emulator.functions.add(
        "api", runtime="Python3.9", code_type="inline", code=b"x\n",
        depend_version_list=(*others, legacy["id"]),
    )  # fmt: skip

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    assert "would have 21 dependencies" in run.errors[0]
    assert calls(emulator, "POST", "/v2/") == [], "nothing published that cannot be attached"


def test_an_undescribed_version_of_ours_does_not_take_room(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    others = [emulator.add_version(f"layer{n}", "Python3.9")["id"] for n in range(19)]
    old = emulator.add_version("demo-deps", "Python3.9")
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="inline", code=b"x\n",
        depend_version_list=(*others, old["id"]),
    )  # fmt: skip
    emulator.functions.undescribed.add(urn)  # the reply names ids only

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 0, run.log
    assert ids(emulator, urn) == [*others, run.outputs["version_id"]]


def test_a_rebuilt_update_knows_versions_published_meanwhile(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn = function_for(emulator, "Python3.9")
    emulator.functions.undescribed.add(urn)

    def another_run_attaches_its_version() -> None:
        theirs = emulator.add_version("demo-deps", "Python3.9", age=0)
        emulator.functions.attach_other(urn, theirs["id"])

    # Right after the read the update is built from (the code read that follows attaching's
    # config read): the update is built again, and the version the other run published is
    # one of this dependency's, replaced like any other.
    emulator.after(
        "show_config",
        lambda: emulator.after("show_code", another_run_attaches_its_version),
        skip=1,
    )

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 0, run.log
    assert ids(emulator, urn) == [run.outputs["version_id"]]


# --- 5. outputs and messages are true on every path ------------------------------------


def test_a_function_updated_before_its_read_back_failed_is_an_updated_function(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn, _ = with_old_version(emulator)
    emulator.after("update_code", lambda: emulator.inject("show_code", Status(403)))

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    assert "reading it back failed" in run.errors[0]
    assert json.loads(run.outputs["updated_functions"]) == [urn]
    assert ids(emulator, urn) == [run.outputs["version_id"]]


def test_a_declined_rollback_still_lists_the_function_holding_this_runs_version(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn, old = with_old_version(emulator)
    # Someone puts the old version back beside ours right after the update.
    emulator.after("update_code", lambda: emulator.functions.attach_other(urn, old))

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "it still holds demo-deps 1" in error and "it was left as it is" in error
    assert len(code_puts(emulator)) == 1
    assert set(ids(emulator, urn)) == {old, run.outputs["version_id"]}
    assert json.loads(run.outputs["updated_functions"]) == [urn]


def test_a_definite_refusal_does_not_say_may_or_may_not(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn, old = with_old_version(emulator)
    emulator.after("create", lambda: emulator.delete_version("demo-deps", 2))

    run = deploy(emulator, workspace, tmp_path, functions="api", **{"keep-versions": "1"})

    assert run.returncode == 1
    [error] = run.errors
    assert "FSS.1056" in error and "nothing was changed on it" in error
    assert "may or may not" not in error
    skipped = "'keep-versions' was not applied: attaching failed"
    assert skipped in run.stdout and skipped in run.summary
    assert calls(emulator, "DELETE", "/v2/") == []
    assert ids(emulator, urn) == [old]


def test_a_delete_whose_reply_was_lost_counts_as_deleted(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    for _ in range(2):
        emulator.add_version("demo-deps", "Python3.9")
    emulator.inject("delete", CommitThenDrop())

    run = deploy(emulator, workspace, tmp_path, **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["deleted_versions"]) == [1, 2]
    assert "Version 1: deleted by this run (the reply to its delete request was lost" in run.stdout
    assert [v["version"] for v in emulator.versions("demo-deps")] == [3]


def test_retention_keeps_versions_of_published_function_versions_with_any_name(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    urn, old = with_old_version(emulator)
    emulator.functions.publish(urn, "v20220510-190658")  # keeps version 1
    emulator.functions.detach_other(urn, old)

    run = deploy(emulator, workspace, tmp_path, **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["deleted_versions"]) == []
    assert calls(emulator, "DELETE", "/v2/") == [], "no delete sent for a version in use"
    assert "Version 1: kept: in use (a function or function version uses it)" in run.stdout
    configs = [
        unquote(r.path) for r in calls(emulator, "GET", "/v2/") if r.path.endswith("/config")
    ]
    assert any(p.endswith(":v20220510-190658/config") for p in configs)


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_cancel_while_attaching_says_what_was_done(
    emulator: Emulator, workspace: Path, tmp_path: Path, sent: signal.Signals
) -> None:
    first = emulator.functions.add("a", runtime="Python3.9", code_type="inline", code=b"a\n")
    emulator.functions.add("b", runtime="Python3.9", code_type="inline", code=b"b\n")
    emulator.after("update_code", lambda: emulator.inject("update_code", SlowReply(20)))
    from helpers import make_tree, publish_inputs

    make_tree(workspace, {"lib/helper.py": "VALUE = 1\n"})
    inputs = publish_inputs(emulator, functions="a, b", **{"obs-endpoint": emulator.url})
    run = run_action(
        workspace,
        inputs,
        tmp=tmp_path,
        cancel_when=lambda: len(code_puts(emulator)) >= 2,
        cancel_signal=sent,
    )

    assert run.returncode == 1
    assert "Traceback" not in run.stderr, run.stderr
    [error] = run.errors
    assert f"cancelled ({sent.name})" in error
    assert "Dependency 'demo-deps' published; the step was cancelled after publishing" in error
    assert f"Changed before it: {first}." in error
    assert "It was attaching to 'b', whose update may or may not have been applied" in error
    assert "nothing was written to the outputs" not in error.lower()
    assert run.outputs["version"] == "1"
    assert json.loads(run.outputs["updated_functions"]) == [first]
    assert "cancelled" in run.summary and urn_of("b") not in run.outputs["updated_functions"]


# --- concurrent runs -------------------------------------------------------------------


def test_concurrent_releases_of_one_dependency_leave_one_version_and_true_outputs(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Two releases of the same dependency (a tag and its re-run, say) attach to one function
    at once, three times over: each replaces whatever version of the dependency it finds,
    so the function ends with exactly one of theirs and its own code, and every run that
    says it updated the function really changed it to its version."""
    from concurrent.futures import ThreadPoolExecutor

    from helpers import make_tree, publish_inputs

    other = emulator.add_version("numpy-layer", "Python3.9")
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(other["id"],),
    )  # fmt: skip

    def release(label: str) -> Run:
        workspace = tmp_path / label / "workspace"
        make_tree(workspace, {"lib/helper.py": f"RELEASE = {label!r}\n"})
        inputs = publish_inputs(emulator, functions="api", **{"obs-endpoint": emulator.url})
        return run_action(workspace, inputs, tmp=tmp_path / label)

    for round_number in range(3):
        labels = [f"r{round_number}a", f"r{round_number}b"]
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(release, labels))
        held = ids(emulator, urn)
        ours = [i for i in held if i != other["id"]]
        assert other["id"] in held, "the other dependency stays"
        assert len(ours) == 1, held
        assert ours[0] in {r.outputs.get("version_id") for r in runs}
        assert emulator.functions.code_of(urn) == code
        for run in runs:
            assert "Traceback" not in run.stderr
            if run.returncode == 0:
                assert json.loads(run.outputs["updated_functions"]) == [urn], run.log
            else:  # a truthful failure: it names the function and what it holds now
                assert "Function 'api'" in run.errors[0], run.log
