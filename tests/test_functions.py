"""Attaching the published version to functions without touching their code, and retiring
old versions without breaking a function that uses one."""

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest
from fgs_emulator import Emulator, RecordedRequest, Status
from helpers import (
    ACCESS_KEY,
    BUCKET,
    PROJECT_ID,
    REGION,
    SECRET_KEY,
    TOKEN,
    Run,
    assert_no_secrets,
    calls,
    function_changes,
    make_tree,
    publish_inputs,
    run_action,
    summary_facts,
    summary_table,
    version_fates,
)

FUNCTIONS = f"/v2/{PROJECT_ID}/fgs/functions"


def a_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def urn_of(name: str, package: str = "default") -> str:
    return f"urn:fss:{REGION}:{PROJECT_ID}:function:{package}:{name}"


def deploy(emu: Emulator, workspace: Path, tmp_path: Path, **more: str) -> Run:
    if not any(workspace.iterdir()):
        make_tree(workspace, {"lib/helper.py": "VALUE = 1\n"})
    inputs = publish_inputs(emu, **{"obs-endpoint": emu.url, **more})
    return run_action(workspace, inputs, tmp=tmp_path / f"run{len(list(tmp_path.iterdir()))}")


def code_puts(emu: Emulator) -> list[RecordedRequest]:
    return [r for r in calls(emu, "PUT", FUNCTIONS) if r.path.endswith("/code")]


def ids(emu: Emulator, urn: str) -> list[str]:
    return list(emu.functions.config(urn)["depend_version_list"])


CODES = {
    "zip": (a_zip({"index.py": "def handler(e, c):\n    return 1\n"}), "index.zip"),
    "jar": (a_zip({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n"}), "app.jar"),
    "inline": (b"def handler(event, context):\n    return 'mine'\n", ""),
}


@pytest.mark.parametrize("code_type", ["zip", "jar", "inline", "obs"])
def test_each_code_type_is_attached_with_its_code_byte_identical(
    emulator: Emulator, workspace: Path, tmp_path: Path, code_type: str
) -> None:
    old = emulator.add_version("demo-deps", "Python3.9")
    if code_type == "obs":
        code, filename = a_zip({"index.py": "def handler(e, c):\n    return 'obs'\n"}), "code.zip"
        code_url = emulator.put_object(BUCKET, "releases/code.zip", code)
    else:
        (code, filename), code_url = CODES[code_type], ""
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type=code_type, code=code, code_filename=filename,
        code_url=code_url, depend_version_list=(old["id"],), kms_key_id="kms-key-1",
    )  # fmt: skip
    digest_before = emulator.functions.config(urn)["digest"]

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["updated_functions"]) == [urn]
    assert emulator.functions.code_of(urn) == code
    assert emulator.functions.config(urn)["digest"] == digest_before
    assert ids(emulator, urn) == [run.outputs["version_id"]]
    [put] = code_puts(emulator)
    assert put.headers["authorization"].startswith("SDK-HMAC-SHA256 ")
    assert put.json["code_type"] == code_type
    assert put.json["depend_version_list"] == [run.outputs["version_id"]]
    assert put.json["code_encrypt_kms_key_id"] == "kms-key-1"
    if code_type == "obs":
        assert put.json["code_url"] == code_url
        assert "file" not in put.json["func_code"]
        # Read before publishing, and again right before the PUT, which deploys the object
        # as it is then.
        _, read = calls(emulator, "GET", f"/{BUCKET}/releases/code.zip")
    else:
        assert base64.b64decode(put.json["func_code"]["file"]) == code
        [read] = calls(emulator, "GET", f"/{emulator.code_bucket}/")
    assert read.headers["authorization"].startswith(f"OBS {ACCESS_KEY}:")
    assert read.status == 200
    assert ("demo-deps 1", f"demo-deps {run.outputs['version']}") in function_changes(
        run.summary
    ).values()
    assert_no_secrets(run)


def test_another_dependency_on_the_function_is_kept(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    other = emulator.add_version("numpy-layer", "Python3.9")
    ours = emulator.add_version("demo-deps", "Python3.9")
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(other["id"], ours["id"]),
    )  # fmt: skip

    run = deploy(emulator, workspace, tmp_path, functions=urn)

    assert run.returncode == 0, run.log
    assert ids(emulator, urn) == [other["id"], run.outputs["version_id"]]
    assert emulator.functions.code_of(urn) == code
    assert function_changes(run.summary)["api"] == (
        "numpy-layer 1, demo-deps 1",
        "numpy-layer 1, demo-deps 2",
    )


def test_retention_keeps_versions_in_use_and_deletes_the_rest(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    versions = [emulator.add_version("demo-deps", "Python3.9") for _ in range(5)]
    code, filename = CODES["zip"]
    pinned = emulator.functions.add(
        "pinned", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(versions[2]["id"],),
    )  # fmt: skip
    published = emulator.functions.publish(pinned)  # version 1 of the function keeps v3
    other = emulator.functions.add(
        "other", runtime="Python3.9", code_type="inline", code=b"x = 1\n",
        depend_version_list=(versions[1]["id"],),
    )  # fmt: skip

    run = deploy(emulator, workspace, tmp_path, functions="pinned", **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert run.outputs["version"] == "6"
    assert json.loads(run.outputs["deleted_versions"]) == [1, 4, 5]
    assert [v["version"] for v in emulator.versions("demo-deps")] == [2, 3, 6]
    # The published function version never loses its dependency version.
    snapshot = emulator.functions.show(f"{pinned}:{published}", "config")
    assert snapshot["depend_version_list"] == [versions[2]["id"]]
    assert ids(emulator, pinned) == [run.outputs["version_id"]]
    assert ids(emulator, other) == [versions[1]["id"]]
    deletes = [r.path.rsplit("/", 1)[1] for r in calls(emulator, "DELETE", "/v2/")]
    assert deletes == ["1", "4", "5"], "versions in use are never sent to DELETE"
    fates = version_fates(run.summary)
    assert fates["2"] == fates["3"] == "kept: in use (a function or function version uses it)"
    assert fates["4"] == "deleted"
    assert calls(emulator, "GET", f"{FUNCTIONS}/{pinned.replace(':', '%3A')}%3A1/config")


def test_in_use_refusal_from_functiongraph_is_reported_not_fatal(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    first = emulator.add_version("demo-deps", "Python3.9")
    late = emulator.functions.add(
        "late", runtime="Python3.9", code_type="inline", code=b"x = 1\n",
        depend_version_list=(first["id"],),
    )  # fmt: skip
    # Created while the action ran, say: the listing does not show it yet.
    emulator.functions.unlisted.add(late)

    run = deploy(emulator, workspace, tmp_path, **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["deleted_versions"]) == []
    [delete] = calls(emulator, "DELETE", "/v2/")
    assert delete.status == 412
    assert version_fates(run.summary)["1"] == "kept: in use (FunctionGraph says it is in use)"
    assert [v["version"] for v in emulator.versions("demo-deps")] == [1, 2]


def test_an_overwritten_obs_object_is_refused(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    deployed = a_zip({"index.py": "deployed = True\n"})
    code_url = emulator.put_object(BUCKET, "code.zip", deployed)
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="obs", code_url=code_url, code_filename="code.zip"
    )
    emulator.put_object(BUCKET, "code.zip", a_zip({"index.py": "nobody_deployed = True\n"}))

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "Function 'api'" in error and "overwritten" in error and "Nothing was changed" in error
    assert code_puts(emulator) == []
    assert emulator.functions.code_of(urn) == deployed
    assert ids(emulator, urn) == []
    # Found before publishing: a version that could not be attached is never made.
    assert calls(emulator, "POST", "/v2/") == []
    assert run.outputs == {}


def test_a_mangled_update_is_put_back(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    other = emulator.add_version("numpy-layer", "Python3.9")
    old = emulator.add_version("demo-deps", "Python3.9")
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(other["id"], old["id"]),
    )  # fmt: skip
    emulator.functions.wrong_lists = 1  # the new version sent is not stored

    run = deploy(emulator, workspace, tmp_path, functions="api")

    assert run.returncode == 1
    [error] = run.errors
    assert "demo-deps 2 is not on it" in error
    assert "what it had before this run was put back" in error
    assert "No function before it was changed" in error
    puts = code_puts(emulator)
    # This run's change only: the old version back, the other dependency untouched.
    assert [p.json["depend_version_list"] for p in puts] == [
        [other["id"], run.outputs["version_id"]],
        [other["id"], old["id"]],
    ]
    assert ids(emulator, urn) == [other["id"], old["id"]]
    assert emulator.functions.code_of(urn) == code
    assert run.outputs["updated_functions"] == "[]"


def test_a_name_matching_no_function_publishes_nothing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.functions.add("api-orders", runtime="Python3.9", code_type="inline", code=b"x\n")
    run = deploy(emulator, workspace, tmp_path, functions="api")
    assert run.returncode == 1
    [error] = run.errors
    assert "no function is called 'api'" in error and "api-orders" in error and "URN" in error
    assert calls(emulator, "POST", "/v2/") == []


def test_a_name_matching_two_functions_asks_for_the_urn(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    for package in ("shop", "admin"):
        emulator.functions.add(
            "api", runtime="Python3.9", code_type="inline", code=b"x\n", package=package
        )
    run = deploy(emulator, workspace, tmp_path, functions="api")
    assert run.returncode == 1
    [error] = run.errors
    assert "2 functions are called 'api'" in error
    assert urn_of("api", "shop") in error and urn_of("api", "admin") in error
    assert calls(emulator, "POST", "/v2/") == []


def test_names_are_looked_up_across_pages(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    for number in range(450):
        emulator.functions.add(f"f{number}", runtime="Python3.9", code_type="inline", code=b"x\n")
    run = deploy(emulator, workspace, tmp_path, functions="f449")
    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["updated_functions"]) == [urn_of("f449")]
    listings = calls(emulator, "GET", FUNCTIONS)
    listings = [r for r in listings if r.path == FUNCTIONS]
    assert [r.query["marker"] for r in listings] == [["0"], ["100"], ["200"], ["300"], ["400"]]
    assert all(r.query["maxitems"] == ["100"] for r in listings)


def test_a_page_of_functions_with_large_user_data_fits_a_reply(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    # A real function item carries up to 4 KB of user_data: 400 of them pass the 1 MiB a
    # reply may have, so the name lookup must ask for pages that fit.
    for number in range(300):
        emulator.functions.add(
            f"f{number}", runtime="Python3.9", code_type="inline", code=b"x\n",
            user_data="u" * 4096,
        )  # fmt: skip
    run = deploy(emulator, workspace, tmp_path, functions="f299")
    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["updated_functions"]) == [urn_of("f299")]


def test_more_than_20_dependencies_is_refused(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    others = [emulator.add_version(f"layer{n}", "Python3.9")["id"] for n in range(20)]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="inline", code=b"x\n",
        depend_version_list=tuple(others),
    )  # fmt: skip
    run = deploy(emulator, workspace, tmp_path, functions="api")
    assert run.returncode == 1
    [error] = run.errors
    assert "would have 21 dependencies" in error and "allows 20" in error
    assert code_puts(emulator) == []
    assert ids(emulator, urn) == others


def test_a_runtime_mismatch_publishes_nothing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.functions.add("web", runtime="Node.js18.15", code_type="inline", code=b"x\n")
    run = deploy(emulator, workspace, tmp_path, functions="web")
    assert run.returncode == 1
    [error] = run.errors
    assert "Function 'web' runs Node.js18.15" in error and "Python3.9" in error
    # How to do it in a matrix, where one 'functions' for every runtime is the usual slip.
    assert "'matrix.include'" in error and "functions: ${{ matrix.functions }}" in error
    assert calls(emulator, "POST", "/v2/") == []
    assert code_puts(emulator) == []


def test_a_container_image_function_is_refused(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.functions.add("img", runtime="Python3.9", code_type="Custom-Image-Swr", code=b"")
    run = deploy(emulator, workspace, tmp_path, functions="img")
    assert run.returncode == 1
    assert "container image" in run.errors[0]
    assert calls(emulator, "POST", "/v2/") == []


def test_a_rerun_changes_nothing_and_a_skipped_publish_still_attaches(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename
    )
    first = deploy(emulator, workspace, tmp_path)  # published, attached to nothing
    assert first.returncode == 0, first.log
    assert first.outputs["updated_functions"] == "[]"

    second = deploy(emulator, workspace, tmp_path, functions="api", **{"keep-versions": "1"})
    assert second.returncode == 0, second.log
    assert second.outputs["skipped"] == "true"
    assert json.loads(second.outputs["updated_functions"]) == [urn]
    assert ids(emulator, urn) == [first.outputs["version_id"]]

    puts_before = len(code_puts(emulator))
    third = deploy(emulator, workspace, tmp_path, functions="api", **{"keep-versions": "1"})
    assert third.returncode == 0, third.log
    assert third.outputs["skipped"] == "true"
    assert third.outputs["updated_functions"] == "[]"
    assert third.outputs["deleted_versions"] == "[]"
    assert len(code_puts(emulator)) == puts_before
    assert calls(emulator, "DELETE", "/v2/") == []
    assert list(function_changes(third.summary).values()) == [("demo-deps 1", "demo-deps 1")]
    assert summary_table(third.summary, "Functions")[0][3] == "unchanged: already attached"
    assert emulator.functions.code_of(urn) == code


def test_dry_run_attaches_and_deletes_nothing(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = {
        "name": "demo-deps",
        "runtime": "Python3.9",
        "path": ".",
        "dry-run": "true",
        "functions": "api",
        "keep-versions": "2",
    }
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert run.outputs["updated_functions"] == "[]"
    assert run.outputs["deleted_versions"] == "[]"


def test_outputs_are_empty_arrays_without_functions(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    run = deploy(emulator, workspace, tmp_path)
    assert run.returncode == 0, run.log
    assert (run.outputs["updated_functions"], run.outputs["deleted_versions"]) == ("[]", "[]")
    assert calls(emulator, "GET", FUNCTIONS) == []


def test_token_sign_in_reads_code_with_temporary_keys_and_leaks_nothing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code, filename = CODES["zip"]
    urns = [
        emulator.functions.add(
            name, runtime="Python3.9", code_type="zip", code=code, code_filename=filename
        )
        for name in ("api", "worker")
    ]
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = {
        **publish_inputs(emulator, **{"obs-endpoint": emulator.url, "iam-endpoint": emulator.url}),
        "access-key": "",
        "secret-key": "",
        "auth-token": TOKEN,
        "functions": "api, worker",
        "keep-versions": "1",
    }
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["updated_functions"]) == urns
    reads = calls(emulator, "GET", f"/{emulator.code_bucket}/")
    assert len(reads) == 2
    temporary_ak = reads[0].headers["authorization"].removeprefix("OBS ").split(":")[0]
    assert temporary_ak != ACCESS_KEY
    assert len(calls(emulator, "POST", "/v3.0/OS-CREDENTIAL/securitytokens")) == 1
    # What IAM handed out (the temporary keys); GitHub's stand-in issued nothing used here.
    issued = [s for s in emulator.issued_secrets() if s != emulator.github.request_token]
    assert all(f"::add-mask::{secret}" in run.stdout for secret in issued)
    assert_no_secrets(run, (SECRET_KEY, TOKEN, *emulator.issued_secrets()))
    assert "Signature=" not in run.everything()


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"keep-versions": "0"}, "Input 'keep-versions': must be a whole number from 1 to 1000"),
        ({"keep-versions": "1001"}, "Input 'keep-versions': must be a whole number from 1 to"),
        ({"keep-versions": "two"}, "Input 'keep-versions': must be a whole number from 1 to"),
        ({"functions": f"{urn_of('api')}:3"}, "names a published version or alias"),
        ({"functions": "urn:fss:cn-north-4:abc:function:api"}, "must have 7 fields"),
        ({"functions": "9lives"}, "is neither a function name"),
        (
            {"functions": f"urn:fss:ap-southeast-1:{PROJECT_ID}:function:default:api"},
            "Input 'functions': 'urn:fss:ap-southeast-1",
        ),
        ({"functions": "api", "api": "legacy"}, "Input 'functions': the legacy API has no"),
    ],
)
def test_bad_deploy_inputs_fail_before_any_request(
    emulator: Emulator, workspace: Path, tmp_path: Path, inputs: dict[str, str], expected: str
) -> None:
    run = deploy(emulator, workspace, tmp_path, **inputs)
    assert run.returncode == 1
    assert any(expected in line for line in run.errors), run.errors
    assert emulator.requests == []


def test_functions_accepts_lines_commas_and_latest(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    for name in ("a", "b", "c"):
        emulator.functions.add(name, runtime="Python3.9", code_type="inline", code=b"x\n")
    run = deploy(emulator, workspace, tmp_path, functions=f"a, b\n{urn_of('c')}:latest\n\na\n")
    assert run.returncode == 0, run.log
    assert json.loads(run.outputs["updated_functions"]) == [urn_of(n) for n in "abc"]


def test_a_failed_deletion_is_a_warning_and_the_publish_stands(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.add_version("demo-deps", "Python3.9")
    emulator.add_version("demo-deps", "Python3.9")
    emulator.inject("delete", Status(503), times=1)  # version 1: fails with retries 0
    emulator.inject("delete", Status(404), times=1)  # version 2: gone meanwhile

    run = deploy(emulator, workspace, tmp_path, retries="0", **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert run.outputs["version"] == "3"
    assert run.outputs["deleted_versions"] == "[]"
    [warning] = [line for line in run.stdout.splitlines() if line.startswith("::warning::")]
    assert "Version 1 of 'demo-deps' was not deleted" in warning and "HTTP 503" in warning
    assert version_fates(run.summary)["1"].startswith("kept: not deleted")
    assert version_fates(run.summary)["2"] == "already gone"


def test_no_permission_to_read_functions_deletes_nothing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.add_version("demo-deps", "Python3.9")
    emulator.inject("list_functions", Status(403))

    run = deploy(emulator, workspace, tmp_path, **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert run.outputs["deleted_versions"] == "[]"
    assert calls(emulator, "DELETE", "/v2/") == []
    assert "Old versions were not deleted" in run.stdout


def test_a_failure_stops_before_the_next_function_and_says_what_changed(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.add_version("demo-deps", "Python3.9")  # what retention would delete
    first = emulator.functions.add("a", runtime="Python3.9", code_type="inline", code=b"a\n")
    emulator.functions.add("b", runtime="Python3.9", code_type="inline", code=b"b\n")
    third = emulator.functions.add("c", runtime="Python3.9", code_type="inline", code=b"c\n")
    # The second update fails on FunctionGraph's side, after the checks before publishing.
    emulator.after("update_code", lambda: emulator.inject("update_code", Status(503)))

    run = deploy(
        emulator, workspace, tmp_path, functions="a, b, c", retries="0", **{"keep-versions": "1"}
    )

    assert run.returncode == 1
    [error] = run.errors
    # The version was published (its outputs are written): the title says what failed.
    title = "Dependency 'demo-deps' published; attaching it to the functions failed"
    assert error.startswith(f"::error title={title}::")
    assert run.summary.startswith(
        "### :x: demo-deps · Python3.9 · published version 2, attaching failed\n"
    )
    assert "Function 'b'" in error
    assert f"Changed before it: {first}." in error and f"Not attempted: {third}." in error
    assert json.loads(run.outputs["updated_functions"]) == [first]
    assert function_changes(run.summary) == {"a": ("none", "demo-deps 2"), "b": ("none", "none")}
    assert summary_table(run.summary, "Functions")[1][3] == "failed"
    assert summary_facts(run.summary)["functions changed"] == "a"
    assert summary_facts(run.summary)["published"] == "published version 2"
    assert ids(emulator, third) == []
    assert calls(emulator, "DELETE", "/v2/") == [], "no retention after a failed attach"
    assert [v["version"] for v in emulator.versions("demo-deps")] == [1, 2]
