"""Every way in: token and IAM sign-in, project lookup, OBS for large packages, a zip
already in OBS, and the legacy create API; no secret of any route in what a run leaves."""

import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from fgs_emulator import Emulator, IdentityProvider, rules_for_sub
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
    emulator_fixture,
    make_tree,
    oidc_env,
    run_action,
)

USER, PASSWORD, DOMAIN = "deployer", "Pa55word!with spaces", "acme-corp"
MB = 1024 * 1024


emu = emulator_fixture(
    users={(DOMAIN, USER): PASSWORD},
    identity_providers={"github-actions": IdentityProvider(rules=rules_for_sub("repo:.*"))},
)


def inputs(emu: Emulator, how: str, **more: str) -> dict[str, str]:
    credentials = {
        "aksk": {"access-key": ACCESS_KEY, "secret-key": SECRET_KEY},
        "token": {"auth-token": TOKEN},
        "iam": {"iam-user": USER, "iam-password": PASSWORD, "iam-domain": DOMAIN},
        "keyless": {"identity-provider": "github-actions"},
    }[how]
    return {
        "name": "routed-deps",
        "runtime": "Python3.9",
        "path": ".",
        "region": REGION,
        "endpoint": emu.url,
        "iam-endpoint": emu.url,
        "obs-endpoint": emu.url,
        **credentials,
        **more,
    }


def no_secrets(run: Run, emu: Emulator) -> None:
    assert_no_secrets(run, (SECRET_KEY, TOKEN, PASSWORD, *emu.issued_secrets()))


def big_tree(workspace: Path, size: int) -> None:
    # Random bytes do not compress: the zip is about as large as the file.
    make_tree(workspace, {"blob.bin": os.urandom(size), "mod.py": "x = 1\n"})


@pytest.mark.parametrize("how", ["aksk", "token", "iam"])
@pytest.mark.parametrize("with_project", [True, False])
def test_each_credential_route_publishes(
    emu: Emulator, workspace: Path, tmp_path: Path, how: str, with_project: bool
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    more = {"project-id": PROJECT_ID} if with_project else {}
    run = run_action(workspace, inputs(emu, how, **more), tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert run.outputs["version"] == "1"
    [create] = calls(emu, "POST", f"/v2/{PROJECT_ID}/fgs/dependencies/version")
    if how == "aksk":
        assert create.headers["authorization"].startswith("SDK-HMAC-SHA256 ")
    else:
        assert "authorization" not in create.headers
        expected = TOKEN if how == "token" else emu.issued_secrets()[0]
        assert create.headers["x-auth-token"] == expected
    sign_ins = calls(emu, "POST", "/v3/auth/tokens")
    assert len(sign_ins) == (how == "iam")
    if sign_ins:
        scope = sign_ins[0].json["auth"]["scope"]["project"]
        assert scope == ({"id": PROJECT_ID} if with_project else {"name": REGION})
    # The projects the caller can reach (no permission needed), not the project list, which
    # needs iam:projects:listProjects; the emulator lists other regions' projects too.
    assert calls(emu, "GET", "/v3/projects") == []
    lookups = calls(emu, "GET", "/v3/auth/projects")
    assert len(lookups) == (not with_project)
    no_secrets(run, emu)


def test_project_lookup_finding_nothing_is_a_clear_error(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    run = run_action(workspace, inputs(emu, "token", region="ap-southeast-1"), tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "no project named 'ap-southeast-1'" in error and "'project-id'" in error
    assert calls(emu, "POST", "/v2/") == []


def test_wrong_password_names_the_inputs(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    run = run_action(workspace, inputs(emu, "iam", **{"iam-password": "wrong"}), tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "IAM refused the request: HTTP 401" in error and "'iam-password'" in error
    assert calls(emu, "POST", "/v2/") == []


def test_20_mb_with_aksk_goes_through_obs_and_the_object_is_removed(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    big_tree(workspace, 20 * MB)
    run = run_action(workspace, inputs(emu, "aksk", **{"obs-bucket": BUCKET}), tmp=tmp_path)
    assert run.returncode == 0, run.log
    package = Path(run.outputs["package_path"])
    md5 = hashlib.md5(package.read_bytes()).hexdigest()
    [put] = calls(emu, "PUT", f"/{BUCKET}/")
    assert put.path == f"/{BUCKET}/fgs-dependency-action/routed-deps/{md5}.zip"
    assert put.headers["authorization"].startswith(f"OBS {ACCESS_KEY}:")
    assert put.body_size == package.stat().st_size
    [create] = calls(emu, "POST", "/v2/")
    assert create.json["depend_type"] == "obs"
    assert create.json["depend_link"] == f"{emu.url}{put.path}"
    assert run.outputs["etag"] == md5
    assert emu.objects() == {}, "the action's own object is removed after publishing"
    assert calls(emu, "DELETE", f"/{BUCKET}/") != []
    progress = [line for line in run.stdout.splitlines() if line.startswith("  uploaded ")]
    assert 9 <= len(progress) <= 11, progress  # about every tenth of the way
    assert progress[-1].endswith("(100%)") and run.stdout.count("(100%)") == 1
    assert run.stdout.count("Sending the package through OBS: the zip is 20.0 MiB") == 1
    no_secrets(run, emu)


def test_20_mb_with_a_token_goes_inline(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    big_tree(workspace, 20 * MB)
    run = run_action(workspace, inputs(emu, "token", **{"obs-bucket": BUCKET}), tmp=tmp_path)
    assert run.returncode == 0, run.log
    [create] = calls(emu, "POST", "/v2/")
    assert create.json["depend_type"] == "zip"
    assert calls(emu, "PUT", "/") == []


def test_60_mb_through_obs_with_temporary_keys(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    big_tree(workspace, 60 * MB)
    run = run_action(
        workspace,
        inputs(emu, "iam", **{"obs-bucket": BUCKET, "obs-key": "releases/deps-1.zip"}),
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert len(calls(emu, "POST", "/v3.0/OS-CREDENTIAL/securitytokens")) == 1
    [put] = calls(emu, "PUT", f"/{BUCKET}/")
    assert put.headers["x-obs-security-token"] in emu.issued_secrets()
    package = Path(run.outputs["package_path"])
    assert int(run.outputs["size"]) == package.stat().st_size > 60 * MB
    # A key the user named is kept.
    assert emu.objects()[(BUCKET, "releases/deps-1.zip")] == package.read_bytes()
    no_secrets(run, emu)


@pytest.mark.parametrize(
    ("how", "size", "words"),
    [
        ("aksk", 10 * MB, "set 'obs-bucket' to send it through OBS, or sign in with 'auth-token'"),
        (
            "token",
            45 * MB,
            "over the 40 MiB FunctionGraph takes inline. To fix it, set 'obs-bucket'",
        ),
    ],
)
def test_too_large_without_bucket_fails_before_anything_is_sent(
    emu: Emulator, workspace: Path, tmp_path: Path, how: str, size: int, words: str
) -> None:
    big_tree(workspace, size)
    run = run_action(workspace, inputs(emu, how), tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert words in error
    assert emu.requests == []


def test_depend_link_publishes_a_zip_already_in_obs(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    first = run_action(
        workspace,
        inputs(
            emu,
            "aksk",
            **{"obs-bucket": BUCKET, "obs-key": "shared/deps.zip", "depend-type": "obs"},
        ),
        tmp=tmp_path / "upload",
    )
    assert first.returncode == 0, first.log
    link = f"{emu.url}/{BUCKET}/shared/deps.zip"
    run = run_action(
        workspace,
        inputs(emu, "aksk", **{"depend-link": link, "name": "linked-deps", "path": ""}),
        tmp=tmp_path / "link",
    )
    assert run.returncode == 0, run.log
    assert run.outputs["etag"] == first.outputs["etag"]
    assert run.outputs["package_path"] == run.outputs["file_count"] == ""
    create = calls(emu, "POST", "/v2/")[-1]
    assert create.json["depend_link"] == link
    assert calls(emu, "PUT", "/")[-1].path == f"/{BUCKET}/shared/deps.zip"  # no new upload


def test_legacy_api(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    run = run_action(workspace, inputs(emu, "aksk", api="legacy"), tmp=tmp_path)
    assert run.returncode == 0, run.log
    [create] = calls(emu, "POST", "/v2/")
    assert create.path == f"/v2/{PROJECT_ID}/fgs/dependencies"
    [stored] = emu.dependencies("routed-deps")
    assert run.outputs["dep_id"] == stored["id"]
    assert run.outputs["version"] == run.outputs["version_id"] == ""
    assert run.outputs["etag"] == stored["etag"]
    assert "· published a new dependency (api: legacy)" in run.summary.splitlines()[0]
    again = run_action(workspace, inputs(emu, "aksk", api="legacy"), tmp=tmp_path / "again")
    assert again.outputs["skipped"] == "true"
    assert len(emu.dependencies("routed-deps")) == 1


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({}, "exactly one way to sign in is needed, none was given"),
        ({"access-key": ACCESS_KEY}, "'access-key' given without 'secret-key'"),
        ({"iam-user": USER, "iam-domain": DOMAIN}, "without 'iam-password'"),
        ({"security-token": "t0ken", "auth-token": TOKEN}, "'security-token' goes with"),
        (
            {"auth-token": TOKEN, "access-key": ACCESS_KEY, "secret-key": SECRET_KEY},
            "'aksk' and 'token' were all given",
        ),
    ],
)
def test_credentials_must_be_one_complete_way(
    emu: Emulator, workspace: Path, tmp_path: Path, given: dict[str, str], words: str
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    base = {"name": "x", "runtime": "Python3.9", "path": ".", "region": REGION, "endpoint": emu.url}
    run = run_action(workspace, {**base, **given}, tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert words in error
    assert "'iam-user' + 'iam-password' + 'iam-domain'" in error  # lists the ways that work
    assert emu.requests == []
    no_secrets(run, emu)


def test_obs_signature_matches_the_official_sdk() -> None:
    from obs.auth import Authentication
    from obs.convertor import Adapter

    from fgs_dependency.huaweicloud.credentials import AkSk
    from fgs_dependency.huaweicloud.obs import sign

    date = "Mon, 23 Nov 2026 03:00:00 GMT"
    for key in ("plain.zip", "dir/with space/ü.zip", "a+b=c&d~e.zip"):
        for token in ("", "temporary-token"):
            headers = {"Content-Type": "application/zip", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}
            ours = sign(AkSk("AK", "S/K+=", token), "PUT", "bucket", key, headers, date)
            sdk_headers = {**headers, "Date": date}
            if token:
                sdk_headers["x-obs-security-token"] = token
            theirs = Authentication("AK", "S/K+=", True, Adapter("obs"), "", False).doAuth(
                "PUT", "bucket", key, {}, sdk_headers
            )
            assert ours["Authorization"] == theirs["Authorization"]


def test_obs_bucket_must_exist(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    big_tree(workspace, 10 * MB)
    run = run_action(
        workspace, inputs(emu, "aksk", **{"obs-bucket": "no-such-bucket"}), tmp=tmp_path
    )
    assert run.returncode == 1
    [error] = run.errors
    assert "NoSuchBucket" in error and "'obs-bucket'" in error
    assert calls(emu, "POST", "/v2/") == []


def test_ready_zip_through_obs(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    ready = workspace / "layer.zip"
    with zipfile.ZipFile(ready, "w") as archive:
        archive.writestr("python/x.py", "x = 1\n")
    run = run_action(
        workspace,
        inputs(emu, "token", path="layer.zip", **{"obs-bucket": BUCKET, "depend-type": "obs"}),
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["etag"] == hashlib.md5(ready.read_bytes()).hexdigest()


@pytest.mark.parametrize("how", ["aksk", "token", "iam", "keyless"])
@pytest.mark.parametrize("fails", [False, True])
def test_debug_logging_leaks_no_secret(
    emu: Emulator, workspace: Path, tmp_path: Path, how: str, fails: bool
) -> None:
    """RUNNER_DEBUG=1 (every file listed, tracebacks shown), on success and on failure,
    through OBS so that temporary keys are in play for token, IAM and keyless sign-in
    (keyless: GitHub's request token and ID token, and IAM's token, are checked too)."""
    from fgs_emulator import Status

    big_tree(workspace, 10 * MB)
    if fails:
        emu.inject("create", Status(403))
    env = {"RUNNER_DEBUG": "1", **(oidc_env(emu) if how == "keyless" else {})}
    run = run_action(workspace, inputs(emu, how, **{"obs-bucket": BUCKET}), env, tmp=tmp_path)
    assert run.returncode == (1 if fails else 0), run.log
    assert "All files:" in run.stdout
    if how == "keyless":
        assert len(emu.github.issued()) == 1
        assert any(s.startswith("MII") for s in emu.issued_secrets())
    no_secrets(run, emu)


def test_cancelled_step_still_removes_its_object(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    """SIGTERM (a cancelled job) while the create waits: the step stops with a clear error,
    writes no output, and the temporary OBS object is removed all the same."""
    from fgs_emulator import SlowReply

    big_tree(workspace, 10 * MB)
    emu.inject("create", SlowReply(20))
    run = run_action(
        workspace,
        inputs(emu, "aksk", **{"obs-bucket": BUCKET}),
        tmp=tmp_path,
        cancel_when=lambda: bool(calls(emu, "POST", "/v2/")),
    )
    error = run.errors[0] if run.errors else ""
    assert run.returncode == 1, run.log
    assert "cancelled (SIGTERM) before it finished" in error
    # A version being created may exist: the headline does not say "nothing published".
    assert "· cancelled before publishing finished" in run.summary
    assert run.outputs == {}
    assert calls(emu, "DELETE", f"/{BUCKET}/"), "the temporary object is removed"
    assert emu.objects() == {}
    assert "Traceback" not in run.log
