"""The action against the emulator over HTTPS with a private CA, as in the self-test
workflow: the CA reaches the action through REQUESTS_CA_BUNDLE or SSL_CERT_FILE."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from fgs_emulator_tls import TlsEmulator
from helpers import (
    PROJECT_ID,
    assert_no_secrets,
    emulator_fixture,
    make_tree,
    publish_inputs,
    run_action,
)

TESTS = Path(__file__).resolve().parent


tls_emulator = emulator_fixture(TlsEmulator, buckets=())


@pytest.fixture
def ca_bundle(tls_emulator: TlsEmulator, tmp_path: Path) -> Path:
    return tls_emulator.write_ca_bundle(tmp_path / "ca" / "bundle.pem")


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_publishes_over_tls_with_the_ca_bundle(
    tls_emulator: TlsEmulator, ca_bundle: Path, workspace: Path, tmp_path: Path, variable: str
) -> None:
    assert tls_emulator.url.startswith("https://127.0.0.1:")
    make_tree(workspace / "build", {"python/six.py": "x = 1\n", "python/pkg/__init__.py": ""})
    run = run_action(
        workspace,
        publish_inputs(tls_emulator, path="build"),
        {variable: str(ca_bundle)},
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["version"] == "1"
    assert run.outputs["dep_id"]
    assert run.outputs["etag"] == run.outputs["package_md5"]
    assert run.outputs["file_count"] == "2"
    assert [r.method for r in tls_emulator.requests].count("POST") == 1
    assert len(tls_emulator.versions("demo-deps")) == 1
    assert_no_secrets(run)


def test_without_the_ca_the_action_names_the_fix(
    tls_emulator: TlsEmulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.txt": "a"})
    run = run_action(workspace, publish_inputs(tls_emulator), tmp=tmp_path)
    assert run.returncode == 1, run.log
    [error] = run.errors
    assert "TLS verification of 127.0.0.1 failed (SSLError)" in error
    assert "For a private CA set REQUESTS_CA_BUNDLE or SSL_CERT_FILE to its bundle." in error
    assert run.outputs == {}
    assert not tls_emulator.requests
    assert tls_emulator.versions("demo-deps") == []
    assert_no_secrets(run)


def test_localhost_is_covered_too(tls_emulator: TlsEmulator, ca_bundle: Path) -> None:
    reply = requests.get(
        f"https://localhost:{tls_emulator.port}/v2/{PROJECT_ID}/fgs/dependencies",
        verify=str(ca_bundle),
        timeout=10,
    )
    assert reply.status_code == 401  # unsigned: the gateway answers, over TLS
    assert reply.json()["error_code"] == "APIGW.0301"


def test_plain_http_is_not_served(tls_emulator: TlsEmulator, ca_bundle: Path) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls_emulator.port}/", timeout=10)
    # The server survives a client that spoke the wrong protocol.
    reply = requests.get(
        f"https://127.0.0.1:{tls_emulator.port}/v2/{PROJECT_ID}/fgs/dependencies",
        verify=str(ca_bundle),
        timeout=10,
    )
    assert reply.status_code == 401


def test_launcher_writes_the_ca_and_serves_until_sigterm(tmp_path: Path) -> None:
    bundle = tmp_path / "out" / "ca.pem"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fgs_emulator_tls",
            "--ca-bundle",
            str(bundle),
            "--name",
            "emulator.test",
            "--url-host",
            "localhost",
        ],
        env={**os.environ, "PYTHONPATH": str(TESTS)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fgs-emulator listening on https://localhost:"), (
            line + process.stderr.read()
        )
        url = line.split()[-1]
        assert bundle.read_text().startswith("-----BEGIN CERTIFICATE-----")
        reply = requests.get(
            f"{url}/v2/{PROJECT_ID}/fgs/dependencies", verify=str(bundle), timeout=10
        )
        assert reply.status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
