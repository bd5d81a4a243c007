"""Hostile servers and hostile trees: a clear error or a clean result, never a traceback,
a half-written output, an injected workflow command or a leaked secret."""

import os
import socket
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fgs_emulator import HOSTILE_KINDS, Emulator, Hostile
from helpers import (
    ACCESS_KEY,
    PROJECT_ID,
    REGION,
    SECRET_KEY,
    TOKEN,
    Run,
    assert_no_secrets,
    command_lines,
    emulator_fixture,
    make_tree,
    run_action,
    start_emulator,
)

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


emu = emulator_fixture(users={(DOMAIN, USER): PASSWORD}, buckets=())


def clean_failure(run: Run, emu: Emulator) -> str:
    assert run.returncode == 1, run.log
    assert run.outputs == {}
    assert "Traceback" not in run.log and "Unexpected failure" not in run.log
    assert_no_secrets(run, (SECRET_KEY, TOKEN, PASSWORD, ACCESS_KEY, *emu.issued_secrets()))
    [error] = run.errors
    return error


@dataclass(frozen=True)
class Collector:
    """A second server, where a hostile reply redirects to, and the requests it got."""

    url: str
    seen: list[str]


@pytest.fixture
def collector() -> Iterator[Collector]:
    import http.server
    import threading

    seen: list[str] = []

    class Collect(http.server.BaseHTTPRequestHandler):
        def _handle(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_PUT = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Collector(f"http://127.0.0.1:{server.server_address[1]}/steal", seen)
    finally:
        server.shutdown()
        server.server_close()


def hostile(kind: str, collector: Collector) -> Hostile:
    return Hostile(kind, location=collector.url) if kind == "redirect" else Hostile(kind)


# Kinds that end in one clear ::error::. echo_auth_encoding makes the HTTP library itself
# fail, which reaches the last-resort path: test_unexpected_failure_shows_the_traceback_inert.
CLEAN_KINDS = tuple(kind for kind in HOSTILE_KINDS if kind != "echo_auth_encoding")


@pytest.mark.parametrize("kind", CLEAN_KINDS)
@pytest.mark.parametrize("how", ["aksk", "iam"])
def test_hostile_create_reply(
    emu: Emulator, collector: Collector, workspace: Path, tmp_path: Path, kind: str, how: str
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    credentials = (
        {"access-key": ACCESS_KEY, "secret-key": SECRET_KEY}
        if how == "aksk"
        else {"iam-user": USER, "iam-password": PASSWORD, "iam-domain": DOMAIN}
    )
    emu.inject("create", hostile(kind, collector))
    inputs = {
        "name": "hostile", "runtime": "Python3.9", "path": ".", "region": REGION,
        "project-id": PROJECT_ID,
        "endpoint": emu.url, "iam-endpoint": emu.url, **credentials,
    }  # fmt: skip
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert collector.seen == [], "the redirect was followed"
    error = clean_failure(run, emu)
    assert EXPECTED[kind] in error
    if kind == "echo_auth":
        # The server's words are shown, with the credentials it repeated starred out.
        assert "rejected authorization=" in error
        echoed = "Access=***, " if how == "aksk" else "x-auth-token=***"
        assert echoed in error


@pytest.mark.parametrize("kind", ["non_json", "huge", "html", "redirect"])
def test_hostile_list_reply(
    emu: Emulator, collector: Collector, workspace: Path, tmp_path: Path, kind: str
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    emu.inject("list_dependencies", hostile(kind, collector))
    inputs = {
        "name": "hostile", "runtime": "Python3.9", "path": ".", "region": REGION,
        "project-id": PROJECT_ID,
        "endpoint": emu.url, "access-key": ACCESS_KEY, "secret-key": SECRET_KEY,
    }  # fmt: skip
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert collector.seen == [], "the redirect was followed"
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
            "name": "hostile", "runtime": "Python3.9", "path": ".", "region": REGION,
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
    commands = command_lines(run.stdout)
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


def special_files_run(workspace: Path, tmp_path: Path, device: bool) -> Run:
    tree = make_tree(workspace / "deps", {"ok.py": "ok"})
    os.mkfifo(tree / "fifo")  # opening a FIFO would block the step for ever
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tree / "socket"))  # a socket cannot even be opened: only listed
        if device:
            os.mknod(tree / "null-device", stat.S_IFCHR | 0o600, os.makedev(1, 3))
        return run_action(
            workspace,
            {"name": "special", "runtime": "Python3.9", "path": "deps", "dry-run": "true"},
            tmp=tmp_path,
        )


def assert_only_regular_files_packaged(run: Run, specials: set[str]) -> None:
    assert run.returncode == 0, run.log
    assert run.outputs["file_count"] == "1"
    with zipfile.ZipFile(run.outputs["package_path"]) as archive:
        assert archive.namelist() == ["ok.py"]
    warnings = [line for line in command_lines(run.stdout) if line.startswith("::warning::")]
    assert {w.split("'")[1] for w in warnings} == specials, warnings
    assert all("not a regular file" in w for w in warnings)


def test_special_files_are_never_opened(workspace: Path, tmp_path: Path) -> None:
    """A FIFO (which would block a reader) and a socket, as any user can make them."""
    run = special_files_run(workspace, tmp_path, device=False)
    assert_only_regular_files_packaged(run, {"fifo", "socket"})


@pytest.mark.skipif(
    os.geteuid() != 0, reason="making a device node needs root (CAP_MKNOD); GitHub's test "
    "job runs as the unprivileged runner user, where the FIFO and socket case stands"
)  # fmt: skip
def test_device_files_are_never_opened(workspace: Path, tmp_path: Path) -> None:
    run = special_files_run(workspace, tmp_path, device=True)
    assert_only_regular_files_packaged(run, {"fifo", "socket", "null-device"})


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
        "name": "hostile", "runtime": "Python3.9", "path": ".", "region": REGION,
        "project-id": PROJECT_ID,
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
        # A 401 is a refusal: nothing was applied, and the message says so.
        assert "refused its update" in error and "nothing was changed on it" in error
        assert "may or may not" not in error
        assert run.outputs["updated_functions"] == "[]"


def test_unexpected_failure_shows_the_traceback_inert(workspace: Path, tmp_path: Path) -> None:
    """The last resort in __main__: an exception no code of ours expected, here urllib3's
    DecodeError for a proxy that copies X-Auth-Token into Content-Encoding. Its text holds
    the token; under RUNNER_DEBUG the traceback is shown fenced, and the token starred out
    in it and in the one ::error:: line. urllib3 lowercases the header it quotes: the token
    is in mixed case, so its lower-cased copy must be starred out too."""
    token = "MIIE-MixedCase-token-0123456789abcdef"
    with start_emulator(credentials={}, tokens={token}, buckets=()) as emu:
        make_tree(workspace, {"mod.py": "x = 1\n"})
        emu.inject("list_dependencies", Hostile("echo_auth_encoding"))
        inputs = {
            "name": "hostile", "runtime": "Python3.9", "path": ".", "region": REGION,
            "project-id": PROJECT_ID, "endpoint": emu.url, "auth-token": token,
        }  # fmt: skip
        run = run_action(workspace, inputs, {"RUNNER_DEBUG": "1"}, tmp=tmp_path)
        assert [r.headers.get("x-auth-token") for r in emu.requests] == [token]
    assert run.returncode == 1, run.log
    assert run.outputs == {}
    assert_no_secrets(run, (token, token.lower()))
    lines = run.stdout.splitlines()
    start = lines.index("Traceback (most recent call last):")  # the chain's first
    [end] = [i for i, line in enumerate(lines) if line.strip().startswith("::error")]
    shown = lines[start:end]
    [raised] = [line for line in shown if line.startswith("urllib3.exceptions.DecodeError: ")]
    assert "Received response with content-encoding: gzip, ***, but failed to decode it" in raised
    assert any('fgs_dependency/huaweicloud/transport.py", line' in line for line in shown)
    # Inert: the runner acts on none of its lines (it may act on a fence around them).
    # (This exception's text cannot start a line with '::' itself: urllib3 quotes it with
    # repr and joins folded header lines; so here the fence is checked only as a guard.)
    acted_on = [c.split("::")[1].split(" ")[0] for c in command_lines(run.stdout)]
    fences = [c for c in command_lines(run.stdout) if c.startswith("::stop-commands::")]
    tokens = [c.removeprefix("::stop-commands::") for c in fences]
    assert set(acted_on) <= {"add-mask", "group", "endgroup", "stop-commands", "error", *tokens}
    assert acted_on.count("error") == 1
    [error] = run.errors
    assert error.split("::", 2)[2].startswith("Unexpected failure (DecodeError: ")
    assert "gzip, ***, but" in error and "re-run with debug logging enabled" in error
    # Without debug logging: the same one line, and no traceback at all.
    with start_emulator(credentials={}, tokens={token}, buckets=()) as emu:
        emu.inject("list_dependencies", Hostile("echo_auth_encoding"))
        inputs["endpoint"] = emu.url
        quiet = run_action(workspace, inputs, tmp=tmp_path / "quiet")
    assert quiet.returncode == 1
    assert "Traceback" not in quiet.log
    assert quiet.errors == [error]
    assert_no_secrets(quiet, (token, token.lower()))
