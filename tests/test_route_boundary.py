"""Routing at the 12 MiB the API gateway takes from AK/SK-signed requests: the decision is
made on the exact body that would be sent (runtime, depend_type and a description of up to
512 characters, six bytes each as JSON escapes, included), so a package just over the limit
goes through OBS, or is refused before any request, instead of meeting the gateway's 413."""

import base64
import json
import os
import zipfile
from pathlib import Path

import pytest
from fgs_emulator import Emulator, RecordedRequest
from helpers import BUCKET, Run, calls, publish_inputs, run_action

LIMIT = 12 * 1024 * 1024
ASCII = "a" * 510
# Outside ASCII: each character is a six-byte \uXXXX escape in the JSON body.
CHINESE = "依赖" * 255


def inline_body_length(zip_bytes: bytes, description: str) -> int:
    """The create request an inline publish sends, as FunctionGraph's API page defines it."""
    document = {
        "depend_type": "zip",
        "runtime": "Python3.9",
        "name": "demo-deps",
        "description": description,
        "depend_file": base64.b64encode(zip_bytes).decode(),
    }
    return len(json.dumps(document, separators=(",", ":")))


def ready_zip(path: Path, description: str, over_by: int) -> Path:
    """A stored zip whose inline body is `over_by` bytes past the limit (negative: under);
    base64 moves in steps of four bytes, so the result is within four of that."""
    payload = os.urandom(16)
    for _ in range(3):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("blob.bin", payload)
        length = inline_body_length(path.read_bytes(), description)
        # Three bytes of zip make four of base64 (rounded up: over_by > 0 must be over).
        missing = -(-(LIMIT + over_by - length) * 3 // 4)
        payload = os.urandom(len(payload) + missing)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("blob.bin", payload)
    return path


def creates(emu: Emulator) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith("/version")]


def obs_puts(emu: Emulator) -> list[RecordedRequest]:
    return calls(emu, "PUT", f"/{BUCKET}/")


def publish_with_a_bucket(emu: Emulator, workspace: Path, tmp_path: Path, description: str) -> Run:
    """Publish workspace/deps.zip with an OBS bucket at hand for a body over the limit."""
    inputs = publish_inputs(
        emu,
        path="deps.zip",
        description=description,
        **{"obs-bucket": BUCKET, "obs-endpoint": emu.url},
    )
    return run_action(workspace, inputs, tmp=tmp_path)


@pytest.mark.parametrize("description", [ASCII, CHINESE], ids=["ascii", "chinese"])
def test_body_just_within_the_limit_goes_inline(
    emulator: Emulator, workspace: Path, tmp_path: Path, description: str
) -> None:
    package = ready_zip(workspace / "deps.zip", description, over_by=-4)
    assert LIMIT - 8 < inline_body_length(package.read_bytes(), description) <= LIMIT
    run = publish_with_a_bucket(emulator, workspace, tmp_path, description)
    assert run.returncode == 0, run.log
    [create] = creates(emulator)
    assert create.body_size == inline_body_length(package.read_bytes(), description)
    assert obs_puts(emulator) == []


@pytest.mark.parametrize("description", [ASCII, CHINESE], ids=["ascii", "chinese"])
def test_body_just_over_the_limit_goes_through_obs(
    emulator: Emulator, workspace: Path, tmp_path: Path, description: str
) -> None:
    package = ready_zip(workspace / "deps.zip", description, over_by=1)
    body = inline_body_length(package.read_bytes(), description)
    assert LIMIT < body <= LIMIT + 5
    run = publish_with_a_bucket(emulator, workspace, tmp_path, description)
    assert run.returncode == 0, run.log
    assert "Sending the package through OBS" in run.stdout
    [put] = obs_puts(emulator)
    assert put.body_size == package.stat().st_size
    [create] = creates(emulator)
    assert create.json["depend_type"] == "obs"
    [version] = emulator.versions("demo-deps")
    assert version["description"] == description


@pytest.mark.parametrize("description", [ASCII, CHINESE], ids=["ascii", "chinese"])
def test_body_just_over_the_limit_without_a_bucket_is_refused_before_any_request(
    emulator: Emulator, workspace: Path, tmp_path: Path, description: str
) -> None:
    package = ready_zip(workspace / "deps.zip", description, over_by=1)
    assert inline_body_length(package.read_bytes(), description) > LIMIT
    inputs = publish_inputs(emulator, path="deps.zip", description=description)
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "12 MiB the API gateway takes from AK/SK-signed requests" in error
    assert "set 'obs-bucket'" in error
    assert emulator.requests == []
    assert run.outputs == {}
