"""Hostile servers and hostile trees: a clear error or a clean result, never a traceback,
a half-written output, an injected workflow command or a leaked secret."""

import os
import socket
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import (
    ACCESS_KEY,
    PROJECT_ID,
    REGION,
    SECRET_KEY,
    TOKEN,
    Run,
    assert_no_secrets,
    make_tree,
    run_action,
)
from fgs_emulator import HOSTILE_KINDS, Emulator, Hostile

USER, PASSWORD, DOMAIN = "deployer", "hunter2-Pa55", "acme"

# What the one ::error:: line says for each hostile reply.
EXPECTED = {
    "non_json": "without a JSON body",
    "html": "HTTP 403",
    "huge": "larger than 1 MiB",
    "missing_fields": "lacks or mangles: dep_id, version",
    "mistyped": "lacks or mangles: size, version",
    "newline_etag": "lacks or mangles: dep_id, etag",
    "forged_output": "lacks or mangles: dep_id",
    "redirect": "redirect, which is not followed",
    "echo_auth": "HTTP 401",
}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(
        credentials={ACCESS_KEY: SECRET_KEY},
        tokens={TOKEN},
        project_id=PROJECT_ID,
        region=REGION,
        users={(DOMAIN, USER): PASSWORD},
    ) as emulator:
        yield emulator


def clean_failure(run: Run, emu: Emulator) -> str:
    assert run.returncode == 1, run.log
    assert run.outputs == {}
    assert "Traceback" not in run.log and "Unexpected failure" not in run.log
    assert_no_secrets(run, (SECRET_KEY, TOKEN, PASSWORD, ACCESS_KEY, *emu.issued_secrets()))
    [error] = run.errors
    return error


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
@pytest.mark.parametrize("how", ["aksk", "iam"])
def test_hostile_create_reply(
    emu: Emulator, workspace: Path, tmp_path: Path, kind: str, how: str
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    credentials = (
        {"access-key": ACCESS_KEY, "secret-key": SECRET_KEY}
        if how == "aksk"
        else {"iam-user": USER, "iam-password": PASSWORD, "iam-domain": DOMAIN}
    )
    emu.inject("create", Hostile(kind))
    inputs = {
        "name": "hostile", "runtime": "Python3.9", "region": REGION, "project-id": PROJECT_ID,
        "endpoint": emu.url, "iam-endpoint": emu.url, **credentials,
    }  # fmt: skip
    run = run_action(workspace, inputs, tmp=tmp_path)
    error = clean_failure(run, emu)
    assert EXPECTED[kind] in error
    assert "collector.invalid" not in " ".join(r.headers.get("host", "") for r in emu.requests)
    if kind == "echo_auth":
        assert "rejected authorization=" in error or "rejected" in error


@pytest.mark.parametrize("kind", ["non_json", "huge", "html", "redirect"])
def test_hostile_list_reply(emu: Emulator, workspace: Path, tmp_path: Path, kind: str) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    emu.inject("list_dependencies", Hostile(kind))
    inputs = {
        "name": "hostile", "runtime": "Python3.9", "region": REGION, "project-id": PROJECT_ID,
        "endpoint": emu.url, "access-key": ACCESS_KEY, "secret-key": SECRET_KEY,
    }  # fmt: skip
    run = run_action(workspace, inputs, tmp=tmp_path)
    clean_failure(run, emu)
    assert [r for r in emu.requests if r.method == "POST"] == [], "nothing created blind"


def test_hostile_iam_sign_in_echoing_the_password(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    """A sign-in endpoint that repeats the request body (with the password) in its error."""
    import http.server
    import json
    import threading

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            data = json.dumps({"error": {"code": 401, "message": f"bad request {body}"}}).encode()
            self.send_response(401)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        make_tree(workspace, {"mod.py": "x = 1\n"})
        inputs = {
            "name": "hostile", "runtime": "Python3.9", "region": REGION,
            "endpoint": emu.url, "iam-endpoint": f"http://127.0.0.1:{server.server_address[1]}",
            "iam-user": USER, "iam-password": PASSWORD, "iam-domain": DOMAIN,
        }  # fmt: skip
        run = run_action(workspace, inputs, tmp=tmp_path)
    finally:
        server.shutdown()
    error = clean_failure(run, emu)
    assert "IAM refused the request: HTTP 401" in error
    assert "***" in error


HOSTILE_NAMES = [
    "new\nline.py",
    "100%25%0A.py",
    "::error::injected.py",
    "-rf",
    "--help",
    "x" * 255,
    "café.py",  # NFC
    "cafe\u0301.py",  # NFD: a different name with the same look
    "::add-mask::visible",
    "tab\there",
]


def test_hostile_file_names_are_packaged_and_inert(workspace: Path, tmp_path: Path) -> None:
    tree = workspace / "deps"
    tree.mkdir()
    for name in HOSTILE_NAMES:
        (tree / name).write_text(name)
    run = run_action(
        workspace,
        {"name": "names", "runtime": "Python3.9", "path": "deps", "dry-run": "true"},
        {"RUNNER_DEBUG": "1"},
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    with zipfile.ZipFile(run.outputs["package_path"]) as archive:
        assert sorted(archive.namelist()) == sorted(HOSTILE_NAMES)
        for name in HOSTILE_NAMES:
            assert archive.read(name) == name.encode()
    # Every line that the runner could read as a command is one of ours.
    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    tokens = [c.split("::")[2] for c in commands if c.startswith("::stop-commands::")]
    assert len(tokens) == 2  # the largest files, and (debug) all files
    for line in commands:
        assert line.split("::")[1].split(" ")[0] in (
            "group", "endgroup", "stop-commands", *tokens, "debug", "warning",
        ), line  # fmt: skip


def test_non_utf8_file_name_is_an_error_that_shows_it(workspace: Path, tmp_path: Path) -> None:
    tree = workspace / "deps"
    tree.mkdir()
    (tree / "ok.py").write_text("ok")
    os.close(os.open(os.fsencode(tree) + b"/caf\xe9.py", os.O_CREAT | os.O_WRONLY))
    run = run_action(
        workspace,
        {"name": "names", "runtime": "Python3.9", "path": "deps", "dry-run": "true"},
        tmp=tmp_path,
    )
    assert run.returncode == 1
    [error] = run.errors
    assert "caf\\xe9.py" in error and "not UTF-8" in error and "'exclude'" in error


def test_special_files_are_never_opened(workspace: Path, tmp_path: Path) -> None:
    tree = make_tree(workspace / "deps", {"ok.py": "ok"})
    os.mkfifo(tree / "fifo")  # opening a FIFO would block the step for ever
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tree / "socket"))
        os.mknod(tree / "null-device", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        run = run_action(
            workspace,
            {"name": "special", "runtime": "Python3.9", "path": "deps", "dry-run": "true"},
            tmp=tmp_path,
        )
    assert run.returncode == 0, run.log
    assert run.outputs["file_count"] == "1"
    warnings = [line for line in run.stdout.splitlines() if line.startswith("::warning::")]
    assert len(warnings) == 3
    assert all("not a regular file" in w for w in warnings)


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "/proc"])
def test_links_into_the_system_are_refused(workspace: Path, tmp_path: Path, target: str) -> None:
    tree = make_tree(workspace / "deps", {"ok.py": "ok"})
    (tree / "leak").symlink_to(target)
    run = run_action(
        workspace,
        {"name": "links", "runtime": "Python3.9", "path": "deps", "dry-run": "true"},
        tmp=tmp_path,
    )
    assert run.returncode == 1
    [error] = run.errors
    assert "'leak' is a symlink" in error and "outside the folder" in error
    assert not list(run.runner_temp.rglob("*.zip"))


def test_ready_zip_with_duplicate_names_is_refused(workspace: Path, tmp_path: Path) -> None:
    ready = workspace / "dup.zip"
    with zipfile.ZipFile(ready, "w") as archive:
        archive.writestr("python/mod.py", "first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("python/mod.py", "second")
    run = run_action(
        workspace,
        {"name": "dup", "runtime": "Python3.9", "path": "dup.zip", "dry-run": "true"},
        tmp=tmp_path,
    )
    assert run.returncode == 1
    [error] = run.errors
    assert "Input 'path'" in error and "same entry name more than once (python/mod.py)" in error


def test_a_link_swapped_in_after_listing_is_not_followed(tmp_path: Path) -> None:
    """Between listing and reading, a file replaced by a link out of the tree is refused."""
    from fgs_dependency import packaging
    from fgs_dependency.errors import ActionError

    outside = make_tree(tmp_path / "outside", {"secret.txt": "do not read"})
    root = make_tree(tmp_path / "src", {"a.py": "a"})
    entries, _ = packaging.collect(root, (), "")
    (root / "a.py").unlink()
    (root / "a.py").symlink_to(outside / "secret.txt")
    with pytest.raises(ActionError, match=r"'a\.py' cannot be read"):
        packaging.write_zip(entries, tmp_path / "out.zip", packaging.dos_timestamp(None))


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    """Root reads any file whatever its mode, so an unreadable one is stood in for by a
    listed file that became a directory: reading it fails as an unreadable file does."""
    from fgs_dependency import packaging
    from fgs_dependency.errors import ActionError

    root = make_tree(tmp_path / "src", {"lib/data.bin": "x" * 10})
    entries, _ = packaging.collect(root, (), "")
    (root / "lib/data.bin").unlink()
    (root / "lib/data.bin").mkdir()
    with pytest.raises(ActionError, match=r"'lib/data\.bin' cannot be read \(Is a directory\)"):
        packaging.write_zip(entries, tmp_path / "out.zip", packaging.dos_timestamp(None))


@pytest.mark.parametrize("operation", ["show_code", "update_code", "list_functions"])
def test_hostile_function_replies_leak_nothing(
    emu: Emulator, workspace: Path, tmp_path: Path, operation: str
) -> None:
    """Signed in with a password, so that a token and temporary OBS keys are in play too."""
    make_tree(workspace, {"mod.py": "x = 1\n"})
    code = b"def handler(event, context):\n    return 1\n"
    urn = emu.functions.add("api", runtime="Python3.9", code_type="inline", code=code)
    emu.inject(operation, Hostile("echo_auth"), times=5)
    inputs = {
        "name": "hostile", "runtime": "Python3.9", "region": REGION, "project-id": PROJECT_ID,
        "endpoint": emu.url, "iam-endpoint": emu.url, "obs-endpoint": emu.url,
        "iam-user": USER, "iam-password": PASSWORD, "iam-domain": DOMAIN, "functions": "api",
    }  # fmt: skip
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 1, run.log
    assert "Traceback" not in run.log and "Unexpected failure" not in run.log
    assert_no_secrets(run, (SECRET_KEY, TOKEN, PASSWORD, ACCESS_KEY, *emu.issued_secrets()))
    [error] = run.errors
    assert "HTTP 401" in error and "***" in error
    assert emu.functions.code_of(urn) == code
    if operation == "update_code":
        assert "may or may not have been applied" in error
        assert run.outputs["updated_functions"] == "[]"
