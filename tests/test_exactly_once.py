"""Publish exactly once: skipping what is unchanged, and every fault the network or the
service can throw at each operation, with the number of versions that exist afterwards."""

import hashlib
import http.server
import json
import threading
from pathlib import Path

import pytest
from fgs_emulator import CommitThenDrop, Emulator, Reset, SlowReply, Status
from helpers import BUCKET, make_tree, publish_inputs, run_action

FAULTS = {
    "429 Retry-After 1": Status(429, retry_after=1),
    "500": Status(500),
    "502": Status(502),
    "503": Status(503),
    "504": Status(504),
    "reset before body": Reset(),
    "commit, then drop": CommitThenDrop(),
    "reply after timeout": SlowReply(2.5),
}
FAILURES = {
    "503 every time": ("create", Status(503), 4),
    "reset every time": ("create", Reset(), 4),
    "500 every time": ("list_dependencies", Status(500), 4),
    "400 once": ("create", Status(400), 1),
    "403 once": ("create", Status(403), 1),
    "OBS 503 every time": ("obs_put", Status(503), 4),
}
OPERATIONS = ("create", "list_dependencies", "list_versions", "obs_put")
# The OBS rows send the package through a bucket; the others inline.
THROUGH_OBS = {"depend-type": "obs", "obs-bucket": BUCKET, "obs-endpoint": "{url}"}


def publish_once(emu: Emulator, workspace: Path, tmp: Path, content: str, **inputs: str):  # type: ignore[no-untyped-def]
    make_tree(workspace, {"lib/mod.py": content})
    inputs = {k: v.format(url=emu.url) for k, v in inputs.items()}
    return run_action(workspace, publish_inputs(emu, timeout="1", **inputs), tmp=tmp)


def route(operation: str) -> dict[str, str]:
    return THROUGH_OBS if operation == "obs_put" else {}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_fault_is_survived_with_exactly_one_new_version(
    emulator: Emulator,
    workspace: Path,
    tmp_path: Path,
    operation: str,
    fault_name: str,
    report_rows: list[str],
) -> None:
    # An earlier version, so that the versions list exists and is read.
    assert publish_once(emulator, workspace, tmp_path / "0", "v = 0\n").returncode == 0
    emulator.inject(operation, FAULTS[fault_name])
    posts_before = sum(r.method == "POST" for r in emulator.requests)
    puts_before = sum(r.method == "PUT" for r in emulator.requests)
    run = publish_once(emulator, workspace, tmp_path / "1", "v = 1\n", **route(operation))
    versions = emulator.versions("demo-deps")
    posts = sum(r.method == "POST" for r in emulator.requests) - posts_before
    puts = sum(r.method == "PUT" for r in emulator.requests) - puts_before
    report_rows.append(
        f"{operation:<18} {fault_name:<20} exit={run.returncode} new_versions={len(versions) - 1}"
        f" create_requests={posts} obs_puts={puts} version={run.outputs.get('version', '-')}"
    )
    assert run.returncode == 0, run.log
    assert len(versions) == 2, "exactly one new version"
    zip_md5 = hashlib.md5(Path(run.outputs["package_path"]).read_bytes()).hexdigest()
    assert run.outputs["version"] == "2"
    assert run.outputs["etag"] == zip_md5 == versions[1]["etag"]
    assert run.outputs["version_id"] == versions[1]["id"]
    assert run.outputs["skipped"] == "false"
    assert "::warning::" in run.stdout  # the retry is visible in the log
    if operation == "create" and fault_name in ("commit, then drop", "reply after timeout"):
        assert posts == 1, "the committed create is adopted, never sent again"
        assert "adopting version 2" in run.stdout
    if fault_name.startswith("429"):
        assert "Trying again in 1.0 s" in run.stdout
    if operation == "obs_put":
        assert posts == 1 and puts == 2, "the upload is sent again; the version created once"
        assert emulator.objects() == {}, "the uploaded object is removed"


@pytest.mark.parametrize("failure", list(FAILURES))
def test_failure_leaves_no_version(
    emulator: Emulator, workspace: Path, tmp_path: Path, failure: str, report_rows: list[str]
) -> None:
    operation, fault, times = FAILURES[failure]
    emulator.inject(operation, fault, times=times)
    run = publish_once(emulator, workspace, tmp_path, "v = 1\n", **route(operation))
    posts = sum(r.method == "POST" for r in emulator.requests)
    report_rows.append(
        f"{operation:<18} {failure:<20} exit={run.returncode} "
        f"new_versions={len(emulator.versions('demo-deps'))} create_requests={posts}"
    )
    assert run.returncode == 1
    assert emulator.versions("demo-deps") == []
    assert run.outputs == {}
    [error] = run.errors
    if isinstance(fault, Status) and fault.status < 500:
        assert posts == 1, "other 4xx are never retried"
        assert f"HTTP {fault.status}" in error
    else:
        assert "failed 4 times" in error and "'retries'" in error


def test_retries_zero_fails_at_once(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    emulator.inject("create", Status(503))
    run = publish_once(emulator, workspace, tmp_path, "v = 1\n", retries="0")
    assert run.returncode == 1
    assert sum(r.method == "POST" for r in emulator.requests) == 1


def test_unchanged_package_is_skipped(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    first = publish_once(emulator, workspace, tmp_path / "1", "v = 1\n")
    # The same tree written again: new mtimes, same bytes in the zip.
    (workspace / "lib/mod.py").unlink()
    again = publish_once(emulator, workspace, tmp_path / "2", "v = 1\n")
    assert again.returncode == 0, again.log
    assert again.outputs["skipped"] == "true"
    for name in ("dep_id", "version", "etag", "version_id", "size", "file_name", "link"):
        assert again.outputs[name] == first.outputs[name]
    assert len(emulator.versions("demo-deps")) == 1
    assert sum(r.method == "POST" for r in emulator.requests) == 1
    assert again.summary.startswith("### demo-deps · Python3.9 · unchanged, version 1 reused\n")
    assert "Unchanged" in again.stdout


@pytest.mark.parametrize(
    ("second_inputs", "why"),
    [
        ({"if-unchanged": "publish"}, "publish was asked for"),
        ({"runtime": "Python3.12", "path": "."}, "the runtime differs"),
    ],
)
def test_same_package_is_published_when(
    emulator: Emulator, workspace: Path, tmp_path: Path, second_inputs: dict[str, str], why: str
) -> None:
    publish_once(emulator, workspace, tmp_path / "1", "v = 1\n")
    again = publish_once(emulator, workspace, tmp_path / "2", "v = 1\n", **second_inputs)
    assert again.returncode == 0, again.log
    assert again.outputs["skipped"] == "false", why
    assert again.outputs["version"] == "2"


def test_only_the_newest_version_counts(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    publish_once(emulator, workspace, tmp_path / "1", "v = 1\n")
    publish_once(emulator, workspace, tmp_path / "2", "v = 2\n")
    back = publish_once(emulator, workspace, tmp_path / "3", "v = 1\n")
    assert back.outputs["skipped"] == "false"
    assert back.outputs["version"] == "3"


def test_altered_package_fails_the_step(workspace: Path, tmp_path: Path) -> None:
    """A reply whose etag is not the MD5 that was sent means the bytes changed on the way."""

    class Tampering(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._json({"dependencies": [], "next_marker": 0, "count": 0})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self._json(
                {
                    "id": "4f4ae4eb-dcdc-4dd3-bffd-79600bd972b3",
                    "dep_id": "edbd67fa-f107-40b3",
                    "version": 1,
                    "etag": "0" * 32,
                    "size": 123,
                    "name": "demo-deps",
                    "runtime": "Python3.9",
                    "path": ".",
                    "file_name": "demo-deps.zip",
                    "link": "",
                }
            )

        def _json(self, document: object) -> None:
            data = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tampering)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        make_tree(workspace, {"a.py": "a"})
        inputs = {
            "name": "demo-deps",
            "runtime": "Python3.9",
            "path": ".",
            "region": "cn-north-4",
            "project-id": "0123456789abcdef0123456789abcdef",
            "access-key": "AK0000000001",
            "secret-key": "sk",
            "endpoint": f"http://127.0.0.1:{server.server_address[1]}",
        }
        run = run_action(workspace, inputs, tmp=tmp_path)
    finally:
        server.shutdown()
    assert run.returncode == 1
    [error] = run.errors
    assert "altered in transit" in error
    assert run.outputs == {}
