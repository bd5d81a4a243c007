"""`dry-run: plan` signs in (every kind, keyless too) and only reads: it runs the real
run's pre-checks, finds the version `if-unchanged: skip` would reuse, each function's
dependencies before and after, and what `keep-versions` would delete; the emulator's request
log shows no write, and its state is unchanged."""

import json
from pathlib import Path

from fgs_emulator import Emulator, IdentityProvider, RecordedRequest, rules_for_sub
from helpers import (
    PROJECT_ID,
    REGION,
    TOKEN,
    Run,
    assert_no_secrets,
    emulator_fixture,
    make_tree,
    oidc_env,
    publish_inputs,
    run_action,
    summary_table,
)
from test_functions import CODES

# Sign-in: keys and tokens asked of IAM, which create nothing in the account.
SIGN_IN = ("/v3/auth/tokens", "/v3.0/OS-AUTH/id-token/tokens", "/v3.0/OS-CREDENTIAL/securitytokens")


def writes(emu: Emulator) -> list[RecordedRequest]:
    """Every request that is neither a read nor a sign-in."""
    return [
        r
        for r in emu.requests
        if r.method not in ("GET", "HEAD") and not (r.method == "POST" and r.path in SIGN_IN)
    ]


def state(emu: Emulator, *urns: str) -> object:
    return (emu.versions("demo-deps"), [emu.functions.config(u) for u in urns])


def plan(emu: Emulator, workspace: Path, tmp_path: Path, **more: str) -> Run:
    if not any(workspace.iterdir()):
        make_tree(workspace, {"lib/helper.py": "VALUE = 1\n"})
    inputs = publish_inputs(emu, **{"obs-endpoint": emu.url, "dry-run": "plan", **more})
    return run_action(workspace, inputs, tmp=tmp_path / f"run{len(list(tmp_path.iterdir()))}")


def test_a_plan_says_what_the_release_would_do_and_writes_nothing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    other = emulator.add_version("numpy-layer", "Python3.9")
    versions = [emulator.add_version("demo-deps", "Python3.9") for _ in range(3)]
    recent = emulator.add_version("demo-deps", "Python3.9", age=60)
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename,
        depend_version_list=(other["id"], versions[1]["id"]),
    )  # fmt: skip
    pinned = emulator.functions.add(
        "pinned", runtime="Python3.9", code_type="inline", code=b"x = 1\n",
        depend_version_list=(versions[2]["id"],),
    )  # fmt: skip
    before = state(emulator, urn, pinned)

    run = plan(emulator, workspace, tmp_path, functions="api", **{"keep-versions": "1"})

    assert run.returncode == 0, run.log
    assert writes(emulator) == []
    assert state(emulator, urn, pinned) == before
    # The real run's pre-checks read the function and its code (from OBS).
    assert [r for r in emulator.requests if r.path.endswith("/config")]
    assert [r for r in emulator.requests if r.path.startswith(f"/{emulator.code_bucket}/")]
    assert (run.outputs["dep_id"], run.outputs["version"], run.outputs["skipped"]) == (
        "",
        "",
        "false",
    )
    assert json.loads(run.outputs["plan"]) == {
        "route": "zip",
        "would_publish": True,
        "version": 5,
        "functions": [
            {"urn": urn, "before": ["numpy-layer 1", "demo-deps 2"],
             "after": ["numpy-layer 1", "demo-deps 5"]},
        ],
        "deletions": [1, 2],
    }  # fmt: skip
    assert "The real run would publish a new version (5) of demo-deps" in run.summary
    assert summary_table(run.summary, "Functions (planned)") == [
        ("api", "numpy-layer 1, demo-deps 2", "numpy-layer 1, demo-deps 5")
    ]
    assert "### demo-deps · Python3.9 · plan, would publish version 5" in run.summary
    fates = dict(summary_table(run.summary, "Versions (planned)"))
    assert fates["1"] == "would be deleted"
    assert fates["3"] == "kept: in use (a function or function version uses it)"
    assert fates["4"].startswith("kept: recent")
    # Only 'api' uses version 2, and the real run switches it to 5 before it retires.
    assert fates["2"] == "would be deleted"
    assert recent["version"] == 4 and "5" not in fates  # 5 does not exist yet
    assert_no_secrets(run)

    # The real run with the same inputs does what the plan said.
    real = run_action(
        workspace,
        publish_inputs(
            emulator, functions="api", **{"obs-endpoint": emulator.url, "keep-versions": "1"}
        ),
        tmp=tmp_path / "real",
    )
    assert real.returncode == 0, real.log
    assert real.outputs["version"] == "5"
    assert json.loads(real.outputs["deleted_versions"]) == [1, 2]


def test_a_plan_finds_the_version_skip_would_reuse(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    first = run_action(workspace, publish_inputs(emulator), tmp=tmp_path / "first")
    assert first.returncode == 0, first.log
    code, filename = CODES["zip"]
    urn = emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename
    )
    emulator.requests.clear()

    run = plan(emulator, workspace, tmp_path, functions=urn, **{"keep-versions": "3"})

    assert run.returncode == 0, run.log
    assert writes(emulator) == []
    result = json.loads(run.outputs["plan"])
    assert (result["would_publish"], result["version"], result["deletions"]) == (False, 1, [])
    assert result["functions"] == [{"urn": urn, "before": [], "after": ["demo-deps 1"]}]
    assert "would reuse version 1 of demo-deps (if-unchanged: skip)" in run.summary
    assert summary_table(run.summary, "Versions (planned)")[0][1] == (
        "kept: this run's (published or reused by this run)"
    )


def test_a_plan_fails_where_the_real_run_would_before_publishing(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emulator.functions.add("web", runtime="Node.js18.15", code_type="inline", code=b"x\n")
    make_tree(workspace, {"mod.py": "x = 1\n"})
    real = run_action(workspace, publish_inputs(emulator, functions="web"), tmp=tmp_path / "real")
    run = plan(emulator, workspace, tmp_path, functions="web")
    assert real.returncode == run.returncode == 1
    assert run.errors == real.errors
    assert "Function 'web' runs Node.js18.15" in run.errors[0]
    assert writes(emulator) == []


def test_a_plan_with_a_token_reads_code_with_temporary_keys(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    code, filename = CODES["zip"]
    emulator.functions.add(
        "api", runtime="Python3.9", code_type="zip", code=code, code_filename=filename
    )
    run = plan(
        emulator, workspace, tmp_path, functions="api",
        **{"access-key": "", "secret-key": "", "auth-token": TOKEN, "iam-endpoint": emulator.url},
    )  # fmt: skip
    assert run.returncode == 0, run.log
    assert writes(emulator) == []
    assert emulator.versions("demo-deps") == []
    assert json.loads(run.outputs["plan"])["version"] == 1
    assert_no_secrets(run, (TOKEN, *emulator.issued_secrets()))


REPO = "octo-org/octo-deps"
IDP = "github-actions"
# A same-repository pull request: the rule admits the repository's pull requests.
keyless = emulator_fixture(
    credentials={},
    tokens=(),
    identity_providers={IDP: IdentityProvider(rules=rules_for_sub(rf"repo:{REPO}:pull_request"))},
)


def test_keyless_plans_a_same_repository_pull_request(
    keyless: Emulator, workspace: Path, tmp_path: Path
) -> None:
    keyless.github.ref = "refs/pull/7/merge"
    keyless.github.sub = f"repo:{REPO}:pull_request"
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = {
        "name": "demo-deps", "runtime": "Python3.9", "path": ".", "region": REGION,
        "identity-provider": IDP, "endpoint": keyless.url, "iam-endpoint": keyless.url,
        "dry-run": "plan",
    }  # fmt: skip
    run = run_action(workspace, inputs, oidc_env(keyless), tmp=tmp_path)
    assert run.returncode == 0, run.log
    assert writes(keyless) == []
    assert [r for r in keyless.requests if r.path == "/v3.0/OS-AUTH/id-token/tokens"]
    assert [r for r in keyless.requests if r.path.startswith(f"/v2/{PROJECT_ID}/fgs/")]
    assert json.loads(run.outputs["plan"])["would_publish"] is True
    assert_no_secrets(run, tuple(keyless.issued_secrets()))


def test_a_plan_needs_what_a_publish_needs(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    inputs = {"name": "demo-deps", "runtime": "Python3.9", "path": ".", "dry-run": "plan"}
    run = run_action(workspace, inputs, tmp=tmp_path)
    assert run.returncode == 1
    assert any("Input 'region'" in e for e in run.errors), run.errors
