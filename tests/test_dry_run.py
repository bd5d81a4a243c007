"""`dry-run: true` refuses what the real run would refuse before sending anything, with the
same message: the route for the size and the sign-in kind given, and the package's own
checks. Without credentials it cannot know the kind: it warns of the kinds that would need
'obs-bucket', and of 'functions' and 'keep-versions' left unchecked. It stays offline and
never loads requests."""

import os
from pathlib import Path

import pytest
from fgs_emulator import Emulator
from helpers import BUCKET, TOKEN, Run, make_tree, publish_inputs, run_action
from test_fit import AARCH64, elf

MB = 1024 * 1024
# Random bytes do not shrink: the zip is about as large as the file.
OVER_SIGNED = 13 * MB  # over the 12 MiB an AK/SK-signed request may carry, under 40 MiB
OVER_INLINE = 41 * MB  # over the 40 MiB FunctionGraph takes inline

WITH_TOKEN = {"access-key": "", "secret-key": "", "auth-token": TOKEN}
NO_CREDENTIALS = {"access-key": "", "secret-key": "", "region": "", "project-id": ""}


def package_of(workspace: Path, size: int) -> None:
    make_tree(workspace, {"data/blob.bin": os.urandom(size), "mod.py": "x = 1\n"})


def both(emulator: Emulator, workspace: Path, tmp_path: Path, **more: str) -> tuple[Run, Run]:
    """The real run and the dry run of the same inputs."""
    inputs = publish_inputs(emulator, **more)
    real = run_action(workspace, inputs, tmp=tmp_path / "real")
    dry = run_action(workspace, {**inputs, "dry-run": "true"}, tmp=tmp_path / "dry")
    return real, dry


@pytest.mark.parametrize(
    ("size", "credentials", "words"),
    [
        (OVER_SIGNED, {}, "over the 12 MiB the API gateway takes from AK/SK-signed requests"),
        (OVER_INLINE, WITH_TOKEN, "over the 40 MiB FunctionGraph takes inline"),
    ],
    ids=["aksk-13MiB", "token-41MiB"],
)
def test_what_cannot_be_sent_fails_the_dry_run_as_the_real_run(
    emulator: Emulator,
    workspace: Path,
    tmp_path: Path,
    size: int,
    credentials: dict[str, str],
    words: str,
) -> None:
    package_of(workspace, size)
    real, dry = both(emulator, workspace, tmp_path, **credentials)
    assert real.returncode == dry.returncode == 1, dry.log
    assert dry.errors == real.errors
    [error] = dry.errors
    assert words in error and "set 'obs-bucket'" in error
    assert dry.outputs == {}
    assert emulator.requests == []


def test_with_a_bucket_the_dry_run_names_the_route_the_real_run_takes(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    package_of(workspace, OVER_SIGNED)
    inputs = {**publish_inputs(emulator, **{"obs-bucket": BUCKET}), "dry-run": "true"}
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert "Sending the package through OBS: the zip is 13.0 MiB" in run.stdout
    assert "The real run would send the package through OBS." in run.summary
    assert run.warnings == []
    assert emulator.requests == []


def test_without_credentials_the_kinds_that_need_a_bucket_are_a_warning(
    workspace: Path, tmp_path: Path
) -> None:
    package_of(workspace, OVER_SIGNED)
    inputs = {"name": "demo-deps", "runtime": "Python3.9", "path": ".", "dry-run": "true"}
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    [warning] = run.warnings
    assert "No credentials were given, so the sign-in kind is unknown" in warning
    assert "access keys ('access-key' + 'secret-key'), the real run would fail" in warning
    assert "over the 12 MiB the API gateway takes from AK/SK-signed requests" in warning
    assert "keyless ('identity-provider') sign-in it goes inline" in warning
    # In the summary too, where a reviewer of the pull request looks.
    assert "No credentials were given, so the sign-in kind is unknown" in run.summary
    assert (run.outputs["dep_id"], run.outputs["version"], run.outputs["plan"]) == ("", "", "")


def test_without_credentials_what_no_kind_can_send_fails(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    package_of(workspace, OVER_INLINE)
    real = run_action(workspace, publish_inputs(emulator, **WITH_TOKEN), tmp=tmp_path / "real")
    dry = run_action(
        workspace,
        {**publish_inputs(emulator, **NO_CREDENTIALS), "dry-run": "true"},
        tmp=tmp_path / "dry",
    )
    assert real.returncode == dry.returncode == 1
    assert dry.errors == real.errors
    assert "over the 40 MiB FunctionGraph takes inline" in dry.errors[0]


def test_without_credentials_functions_and_keep_versions_are_said_unchecked(
    workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = {
        "name": "demo-deps", "runtime": "Python3.9", "path": ".", "dry-run": "true",
        "functions": "api", "keep-versions": "2",
    }  # fmt: skip
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    [warning] = run.warnings
    assert "'functions' and 'keep-versions' were not checked" in warning
    assert "'dry-run: plan' signs in and checks them" in warning
    assert "were not checked" in run.summary
    assert "The real run would send the package inline" in run.summary


def test_credentials_given_in_part_leave_the_kind_unknown(workspace: Path, tmp_path: Path) -> None:
    # A pull request from a fork gets no secrets: a password left empty is no error here.
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = {
        "name": "demo-deps", "runtime": "Python3.9", "path": ".", "dry-run": "true",
        "iam-user": "ci-user", "iam-domain": "my-account",
    }  # fmt: skip
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert run.warnings == []  # a small package goes inline for every kind


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"notes.txt~": "x"}, "FunctionGraph refuses file names ending in '~'"),
        ({"m.cpython-39-aarch64-linux-gnu.so": elf(AARCH64)}, "cannot load on Python3.9"),
    ],
    ids=["tilde", "fit"],
)  # fmt: skip
def test_the_package_checks_fail_the_dry_run_as_the_real_run(
    emulator: Emulator, workspace: Path, tmp_path: Path, files: dict[str, str | bytes], words: str
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n", **files})
    real, dry = both(emulator, workspace, tmp_path)
    assert real.returncode == dry.returncode == 1
    assert dry.errors == real.errors
    assert words in dry.errors[0]
    assert emulator.requests == []


def test_a_dry_run_never_loads_requests(workspace: Path, tmp_path: Path) -> None:
    package_of(workspace, OVER_SIGNED)  # the route is measured: still without requests
    inputs = {"name": "demo-deps", "runtime": "Python3.9", "path": ".", "dry-run": "true"}
    run = run_action(workspace, inputs, {"PYTHONPROFILEIMPORTTIME": "1"}, tmp=tmp_path)
    assert run.returncode == 0, run.log
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()}
    assert "fgs_dependency.deploy.route" in imported  # the measure is taken
    assert "requests" not in imported and "urllib3" not in imported
