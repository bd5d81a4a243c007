"""The action end to end against the emulator: what a workflow sees, and what the service got."""

import hashlib
import os
import re
import uuid
import zipfile
from pathlib import Path

import pytest
from fgs_emulator import Emulator
from helpers import (
    ACCESS_KEY,
    DECLARED_OUTPUTS,
    PROJECT_ID,
    SECRET_KEY,
    assert_no_secrets,
    make_tree,
    parse_outputs,
    publish_inputs,
    run_action,
)

TREE = {"python/requests/__init__.py": "VERSION = '2.32'\n" * 20, "python/six.py": "six = 6\n"}


def creates(emu: Emulator) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.method == "POST"]


def test_publish_writes_outputs_and_summary(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "deps", TREE)
    run = run_action(
        workspace,
        publish_inputs(emulator, path="deps", description="Shared libraries", runtime="python3.9"),
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    stored = emulator.versions("demo-deps")
    assert len(stored) == 1
    version = stored[0]
    package = Path(run.outputs["package_path"])
    zip_bytes = package.read_bytes()
    assert run.outputs == {
        "dep_id": version["dep_id"],
        "version": "1",
        "etag": hashlib.md5(zip_bytes).hexdigest(),
        "version_id": version["id"],
        "size": str(len(zip_bytes)),
        "file_name": "demo-deps.zip",
        "link": version["link"],
        "package_path": str(package),
        "package_md5": hashlib.md5(zip_bytes).hexdigest(),
        "file_count": "2",
        "skipped": "false",
        "updated_functions": "[]",
        "deleted_versions": "[]",
        "plan": "",
    }
    assert package.is_relative_to(run.runner_temp)
    assert not any(workspace.rglob("*.zip"))
    # What FunctionGraph received: one signed, project-scoped create with the right fields.
    [create] = creates(emulator)
    assert create.path == f"/v2/{PROJECT_ID}/fgs/dependencies/version"
    assert create.headers["x-project-id"] == PROJECT_ID
    assert create.headers["authorization"].startswith(f"SDK-HMAC-SHA256 Access={ACCESS_KEY}, ")
    assert create.headers["content-type"] == "application/json"
    assert create.json["depend_type"] == "zip"
    assert create.json["runtime"] == "Python3.9"
    assert create.json["name"] == "demo-deps"
    assert create.json["description"] == "Shared libraries"
    assert create.json["depend_file"]["md5"] == hashlib.md5(zip_bytes).hexdigest()
    assert create.status == 200
    # The summary a person sees.
    assert run.summary.startswith("### demo-deps · Python3.9 · published version 1\n")
    assert f"| dep_id | `{version['dep_id']}` |" in run.summary
    assert "::group::Package: 2 files" in run.stdout
    assert_no_secrets(run)


def test_second_publish_gets_next_version_same_dep_id(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "a = 1\n"})
    first = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "1")
    (workspace / "mod.py").write_text("a = 2\n")
    second = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "2")
    assert (first.returncode, second.returncode) == (0, 0), second.log
    assert (first.outputs["version"], second.outputs["version"]) == ("1", "2")
    assert first.outputs["dep_id"] == second.outputs["dep_id"]
    assert first.outputs["etag"] != second.outputs["etag"]


def test_credentials_from_auth_action_environment(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"index.js": "module.exports = {}\n"})
    run = run_action(
        workspace,
        {
            "name": "node-deps",
            "runtime": "NODE.JS18.15",
            "path": ".",
            "prefix": "node_modules/x",
            "endpoint": emulator.url,
        },
        {
            "HUAWEI_CLOUD_REGION": "cn-north-4",
            "HUAWEI_CLOUD_PROJECT_ID": PROJECT_ID,
            "HUAWEI_CLOUD_ACCESS_KEY_ID": ACCESS_KEY,
            "HUAWEI_CLOUD_SECRET_ACCESS_KEY": SECRET_KEY,
        },
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert creates(emulator)[0].json["runtime"] == "Node.js18.15"
    with zipfile.ZipFile(run.outputs["package_path"]) as archive:
        assert archive.namelist() == ["node_modules/x/index.js"]


def test_security_token_is_signed_and_sent(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(
        workspace, publish_inputs(emulator, **{"security-token": "tmp-token-value"}), tmp=tmp_path
    )
    assert run.returncode == 0, run.log
    create = creates(emulator)[0]
    assert create.headers["x-security-token"] == "tmp-token-value"
    assert "x-security-token" in create.headers["authorization"]
    assert_no_secrets(run, ("tmp-token-value", SECRET_KEY))


def test_ready_zip_is_sent_byte_for_byte(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    ready = workspace / "dist" / "layer.zip"
    ready.parent.mkdir()
    with zipfile.ZipFile(ready, "w") as archive:
        archive.writestr("python/lib.py", "x = 1\n")
    run = run_action(workspace, publish_inputs(emulator, path="dist/layer.zip"), tmp=tmp_path)
    assert run.returncode == 0, run.log
    md5 = hashlib.md5(ready.read_bytes()).hexdigest()
    assert run.outputs["etag"] == md5
    assert run.outputs["package_path"] == str(ready)
    assert creates(emulator)[0].json["depend_file"]["md5"] == md5


def test_unknown_runtime_is_sent_with_a_warning(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(workspace, publish_inputs(emulator, runtime="Python3.14"), tmp=tmp_path)
    assert "::warning::Runtime 'Python3.14' is not one this action knows" in run.stdout
    # The emulator, like the service, refuses it: the error says which input to fix.
    assert run.returncode == 1
    assert creates(emulator)[0].json["runtime"] == "Python3.14"
    [error] = run.errors
    assert "HTTP 400 FSS.1005" in error
    assert "'runtime'" in error
    assert "Python3.12, " in error and "Node.js20.15, " in error  # the known ones, listed
    assert run.outputs == {}


def test_wrong_secret_key_gives_401_with_guidance(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a"})
    wrong = "wrongSecretKey000000000000000000000000000"
    run = run_action(workspace, publish_inputs(emulator, **{"secret-key": wrong}), tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "HTTP 401" in error
    assert "clock" in error and "'secret-key'" in error
    assert "request id" in error
    assert run.outputs == {}
    assert_no_secrets(run, (wrong,))


def test_wrong_project_is_refused(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(workspace, publish_inputs(emulator, **{"project-id": "f" * 32}), tmp=tmp_path)
    assert run.returncode == 1
    assert "HTTP 403" in run.errors[0]
    assert emulator.versions("demo-deps") == []


def test_package_too_large_for_signed_request_fails_before_upload(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"blob.bin": os.urandom(9_500_000)})
    run = run_action(workspace, publish_inputs(emulator), tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "12 MiB the API gateway takes from AK/SK-signed requests" in error
    assert "set 'obs-bucket'" in error
    assert emulator.requests == []


def test_redirect_is_not_followed(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    import http.server
    import threading

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", emulator.url + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        make_tree(workspace, {"a.py": "a"})
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        run = run_action(workspace, publish_inputs(emulator, endpoint=endpoint), tmp=tmp_path)
    finally:
        server.shutdown()
    assert run.returncode == 1
    assert "redirect" in run.errors[0]
    assert emulator.requests == []


def test_unreachable_endpoint(workspace: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    make_tree(workspace, {"a.py": "a"})
    inputs = {
        "name": "x",
        "runtime": "Python3.9",
        "path": ".",
        "region": "cn-north-4",
        "project-id": PROJECT_ID,
        "access-key": ACCESS_KEY,
        "secret-key": SECRET_KEY,
        "endpoint": f"http://127.0.0.1:{port}",
        "timeout": "5",
        "retries": "1",
    }
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "could not connect to" in error and "failed 2 times" in error
    assert "Traceback" not in run.log


def test_dry_run_needs_no_credentials_and_sends_nothing(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"a.py": "a", "b/c.py": "c"})
    run = run_action(
        workspace, {"name": "dry", "runtime": "Go1.x", "path": ".", "dry-run": "true"}, tmp=tmp_path
    )
    assert run.returncode == 0, run.log
    zip_bytes = Path(run.outputs["package_path"]).read_bytes()
    md5 = hashlib.md5(zip_bytes).hexdigest()
    assert run.outputs["etag"] == run.outputs["package_md5"] == md5
    assert run.outputs["dep_id"] == run.outputs["version"] == ""
    assert run.outputs["size"] == str(len(zip_bytes))
    assert run.outputs["file_count"] == "2"
    assert "· dry run, nothing published" in run.summary.splitlines()[0]


def test_full_file_list_only_in_debug(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {f"f{i:02}.py": "x" * i for i in range(15)})
    inputs = {"name": "dry", "runtime": "Go1.x", "path": ".", "dry-run": "true"}
    quiet = run_action(workspace, inputs, tmp=tmp_path / "q")
    loud = run_action(workspace, inputs, {"RUNNER_DEBUG": "1"}, tmp=tmp_path / "l")
    assert "f01.py" not in quiet.stdout  # only the ten largest are listed
    assert "f01.py" in loud.stdout


def test_file_names_cannot_inject_workflow_commands(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"::error::fake.py": "x" * 100})
    run = run_action(
        workspace, {"name": "dry", "runtime": "Go1.x", "path": ".", "dry-run": "true"}, tmp=tmp_path
    )
    assert run.returncode == 0
    assert run.errors == []
    lines = run.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].removeprefix("::stop-commands::")
    end = lines.index(f"::{token}::")
    assert any("::error::fake.py" in line for line in lines[start:end])


def test_output_values_use_random_delimiters(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(workspace, publish_inputs(emulator), tmp=tmp_path)
    assert run.returncode == 0, run.log
    text = (tmp_path / "file_commands" / "set_output_1").read_text()
    # Read here without parse_outputs: each output is `name<<delimiter`, its value, then
    # the delimiter alone, and nothing else is in the file.
    blocks = re.findall(r"^([a-z0-9_]+)<<(ghadelimiter_[0-9a-f-]{36})\n(.*?)\n\2\n", text, re.M)
    assert "".join(f"{n}<<{d}\n{v}\n{d}\n" for n, d, v in blocks) == text
    delimiters = [uuid.UUID(d.removeprefix("ghadelimiter_")) for _, d, _ in blocks]
    assert len(set(delimiters)) == len(blocks)
    assert all(d.version == 4 for d in delimiters)  # random, so a value cannot guess it
    assert sorted(n for n, _, _ in blocks) == sorted(DECLARED_OUTPUTS)  # each once
    [version] = emulator.versions("demo-deps")
    package = Path(dict((n, v) for n, _, v in blocks)["package_path"])
    md5 = hashlib.md5(package.read_bytes()).hexdigest()
    assert {n: v for n, _, v in blocks} == {
        "dep_id": version["dep_id"],
        "version": "1",
        "etag": md5,
        "version_id": version["id"],
        "size": str(package.stat().st_size),
        "file_name": "demo-deps.zip",
        "link": version["link"],
        "package_path": str(package),
        "package_md5": md5,
        "file_count": "1",
        "skipped": "false",
        "updated_functions": "[]",
        "deleted_versions": "[]",
        "plan": "",
    }
    assert parse_outputs(text) == {n: v for n, _, v in blocks}


@pytest.mark.parametrize("name", ["a", "A-b_c.9", "x" * 96])
def test_valid_names_publish(
    emulator: Emulator, workspace: Path, tmp_path: Path, name: str
) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(workspace, publish_inputs(emulator, name=name), tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert run.outputs["file_name"] == f"{name}.zip"
