"""Keyless sign-in: GitHub's OIDC token (from the emulator's stand-in for the runner's
endpoint) exchanged with IAM for a token, then used as an `auth-token` is: inline and
through OBS with temporary keys; each refusal explained; no token in what a run leaves."""

import http.server
import json
import os
import re
import threading
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from fgs_emulator import Emulator, Hostile, IdentityProvider, Status, rules_for_sub
from fgs_emulator.federation import map_user
from fgs_emulator.server import DEFAULT_OIDC_REQUEST_TOKEN
from helpers import (
    BUCKET,
    PROJECT_ID,
    REGION,
    Run,
    assert_no_secrets,
    calls,
    command_lines,
    emulator_fixture,
    make_tree,
    oidc_env,
    run_action,
    start_emulator,
)

IDP = "github-actions"
REPO = "octo-org/octo-deps"
MB = 1024 * 1024
# The repository's release tags only, as the README's rule does.
TAGS_ONLY = rf"repo:{REPO}:ref:refs/tags/v.*"


emu = emulator_fixture(
    credentials={},
    tokens=(),
    identity_providers={IDP: IdentityProvider(rules=rules_for_sub(TAGS_ONLY))},
)


def keyless_inputs(emu: Emulator, **more: str) -> dict[str, str]:
    return {
        "name": "keyless-deps",
        "runtime": "Python3.9",
        "path": ".",
        "region": REGION,
        "identity-provider": IDP,
        "endpoint": emu.url,
        "iam-endpoint": emu.url,
        "obs-endpoint": emu.url,
        **more,
    }


def no_secrets(run: Run, emu: Emulator) -> None:
    secrets = tuple(emu.issued_secrets())
    assert DEFAULT_OIDC_REQUEST_TOKEN in secrets
    assert_no_secrets(run, secrets)


def masked(run: Run) -> set[str]:
    return {line.removeprefix("::add-mask::") for line in command_lines(run.stdout)
            if line.startswith("::add-mask::")}  # fmt: skip


def publish(
    emu: Emulator, workspace: Path, tmp_path: Path, env: dict[str, str] | None = None, **more: str
) -> Run:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    environment = oidc_env(emu) if env is None else env
    return run_action(workspace, keyless_inputs(emu, **more), environment, tmp=tmp_path)


@pytest.mark.parametrize("with_project", [True, False])
def test_keyless_publishes_inline(
    emu: Emulator, workspace: Path, tmp_path: Path, with_project: bool
) -> None:
    more = {"project-id": PROJECT_ID} if with_project else {}
    run = publish(emu, workspace, tmp_path, **more)
    assert run.returncode == 0, run.log
    assert run.outputs["version"] == "1"
    # GitHub: the runner's URL with the audience added to its query, the request token sent.
    [fetch] = calls(emu, "GET", "/_github/idtoken")
    assert fetch.query == {"api-version": ["2.0"], "audience": ["iam.myhuaweicloud.com"]}
    assert fetch.headers["authorization"] == f"bearer {DEFAULT_OIDC_REQUEST_TOKEN}"
    [id_token] = emu.github.issued()
    # IAM: the JWT exchanged, scoped by project id or by the region's name.
    [exchange] = calls(emu, "POST", "/v3.0/OS-AUTH/id-token/tokens")
    assert exchange.headers["x-idp-id"] == IDP
    assert exchange.json["auth"]["id_token"] == {"id": id_token}
    scope = exchange.json["auth"]["scope"]["project"]
    assert scope == ({"id": PROJECT_ID} if with_project else {"name": REGION})
    # The project comes from the token: no lookup by region.
    assert calls(emu, "GET", "/v3/projects") == calls(emu, "GET", "/v3/auth/projects") == []
    [create] = calls(emu, "POST", f"/v2/{PROJECT_ID}/fgs/dependencies/version")
    [iam_token] = [s for s in emu.issued_secrets() if s.startswith("MII")]
    assert create.headers["x-auth-token"] == iam_token
    assert "authorization" not in create.headers
    assert f"through identity provider '{IDP}' (project {PROJECT_ID})" in run.stdout
    # Each secret is masked (the runner hides it from every later line).
    assert {DEFAULT_OIDC_REQUEST_TOKEN, id_token, iam_token} <= masked(run)
    no_secrets(run, emu)


def test_the_audience_is_the_input_and_must_be_the_client_id(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    run = publish(emu, workspace, tmp_path, **{"oidc-audience": "my-client-id"})
    assert run.returncode == 1
    [fetch] = calls(emu, "GET", "/_github/idtoken")
    assert fetch.query["audience"] == ["my-client-id"]
    assert jwt.decode(emu.github.issued()[0], options={"verify_signature": False})["aud"] == (
        "my-client-id"
    )
    [error] = run.errors
    assert "IAM refused the keyless sign-in: HTTP 401" in error
    assert "audience is 'my-client-id' ('oidc-audience')" in error
    assert "Client ID" in error and f"'{IDP}'" in error
    assert calls(emu, "POST", "/v2/") == []
    no_secrets(run, emu)


@pytest.mark.parametrize("with_project", [True, False])
def test_large_package_through_obs_with_temporary_keys(
    emu: Emulator, workspace: Path, tmp_path: Path, with_project: bool
) -> None:
    make_tree(workspace, {"blob.bin": os.urandom(41 * MB)})
    more = {"project-id": PROJECT_ID} if with_project else {}
    run = run_action(
        workspace,
        keyless_inputs(emu, **{"obs-bucket": BUCKET}, **more),
        {**oidc_env(emu), "RUNNER_DEBUG": "1"},
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert "Sending the package through OBS" in run.stdout
    [keys] = calls(emu, "POST", "/v3.0/OS-CREDENTIAL/securitytokens")
    [iam_token] = [s for s in emu.issued_secrets() if s.startswith("MII")]
    assert keys.headers["x-auth-token"] == iam_token
    [put] = calls(emu, "PUT", f"/{BUCKET}/")
    assert put.headers["x-obs-security-token"] in emu.issued_secrets()
    [create] = calls(emu, "POST", f"/v2/{PROJECT_ID}/")
    assert create.json["depend_type"] == "obs"
    assert int(run.outputs["size"]) > 40 * MB
    assert calls(emu, "GET", "/v3/projects") == calls(emu, "GET", "/v3/auth/projects") == []
    no_secrets(run, emu)


@pytest.mark.parametrize(
    "missing",
    [
        ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN",),
    ],
)
def test_without_id_token_permission(
    emu: Emulator, workspace: Path, tmp_path: Path, missing: tuple[str, ...]
) -> None:
    env = {k: v for k, v in oidc_env(emu).items() if k not in missing}
    run = publish(emu, workspace, tmp_path, env=env)
    assert run.returncode == 1
    [error] = run.errors
    assert "add `permissions: id-token: write` to the job" in error.replace("Add", "add")
    assert "Pull requests from forks never get a token" in error
    assert " and ".join(missing) + " not set" in error
    assert emu.requests == []
    no_secrets(run, emu)


def test_expired_token(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    emu.github.lifetime = timedelta(seconds=-60)
    run = publish(emu, workspace, tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "HTTP 401 IAM.1105: The id_token has expired." in error
    assert "clock" in error and "Re-run the job" in error
    assert calls(emu, "POST", "/v2/") == []
    no_secrets(run, emu)


def test_forged_signature(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    emu.github.forge = True
    run = publish(emu, workspace, tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "Verify id_token signature failed" in error
    assert "GitHub rotates its keys" in error
    assert "https://token.actions.githubusercontent.com/.well-known/jwks" in error
    assert calls(emu, "POST", "/v2/") == []
    no_secrets(run, emu)


def test_a_rule_that_allows_only_tags_refuses_a_branch(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emu.github.ref = "refs/heads/main"
    emu.github.sub = f"repo:{REPO}:ref:refs/heads/main"
    run = publish(emu, workspace, tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "HTTP 403 IAM.1106" in error
    assert "identity conversion rules" in error and "'sub'" in error
    assert calls(emu, "POST", "/v2/") == []
    # The same rule admits a tag of the repository, and nothing of another repository.
    rules = rules_for_sub(TAGS_ONLY)
    assert map_user(rules, {"sub": f"repo:{REPO}:ref:refs/tags/v2.1.0", "repository": REPO})
    assert not map_user(rules, {"sub": "repo:evil/octo-deps:ref:refs/tags/v1", "repository": REPO})
    assert not map_user(rules, {"sub": f"repo:{REPO}:pull_request", "repository": REPO})
    no_secrets(run, emu)


def test_unknown_identity_provider(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    run = publish(emu, workspace, tmp_path, **{"identity-provider": "gh-typo"})
    assert run.returncode == 1
    [error] = run.errors
    assert "HTTP 404" in error and "no identity provider called 'gh-typo'" in error
    assert "'identity-provider'" in error


def test_wrong_issuer(workspace: Path, tmp_path: Path) -> None:
    provider = IdentityProvider(
        rules=rules_for_sub(TAGS_ONLY), issuer="https://token.actions.githubusercontent.com/"
    )
    with start_emulator(
        credentials={}, tokens=(), buckets=(), identity_providers={IDP: provider}
    ) as emu:
        run = publish(emu, workspace, tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "IAM.1103" in error and "Identity Provider URL" in error and "trailing slash" in error


def test_iam_unavailable_is_retried(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    emu.inject("keyless_sign_in", Status(503))
    run = publish(emu, workspace, tmp_path)
    assert run.returncode == 0, run.log
    assert len(calls(emu, "POST", "/v3.0/OS-AUTH/id-token/tokens")) == 2
    # The same ID token serves the second try: GitHub is asked once.
    assert len(calls(emu, "GET", "/_github/idtoken")) == 1


def test_request_token_refused_by_github(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    env = {**oidc_env(emu), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "stale-request-token-000"}
    run = publish(emu, workspace, tmp_path, env=env)
    assert run.returncode == 1
    [error] = run.errors
    assert "GitHub's OIDC token service refused the token request: HTTP 401" in error
    assert calls(emu, "POST", "/v3.0/") == []
    assert_no_secrets(run, ("stale-request-token-000",))


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"identity-provider": "has space"}, "Input 'identity-provider': must be the name"),
        (
            {"identity-provider": IDP, "auth-token": "MIIsometoken"},
            "'token' and 'keyless' were all given",
        ),
        (
            {"identity-provider": "", "oidc-audience": "custom", "auth-token": "MIIsometoken"},
            "Input 'oidc-audience': is used only for keyless sign-in",
        ),
        ({"identity-provider": IDP, "oidc-audience": "a b"}, "Input 'oidc-audience': must be"),
    ],
)
def test_bad_keyless_inputs_fail_before_any_request(
    emu: Emulator, workspace: Path, tmp_path: Path, given: dict[str, str], words: str
) -> None:
    run = publish(emu, workspace, tmp_path, **given)
    assert run.returncode == 1
    assert any(words in e for e in run.errors), run.errors
    assert emu.requests == []


def test_plain_http_token_url_is_refused(emu: Emulator, workspace: Path, tmp_path: Path) -> None:
    env = {**oidc_env(emu), "ACTIONS_ID_TOKEN_REQUEST_URL": "http://example.com/x?a=1"}
    run = publish(emu, workspace, tmp_path, env=env)
    assert run.returncode == 1
    [error] = run.errors
    assert "ACTIONS_ID_TOKEN_REQUEST_URL is not an https:// address" in error
    assert emu.requests == []


def test_a_create_error_echoing_the_iam_token_is_redacted(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    from fgs_emulator import Hostile

    emu.inject("create", Hostile("echo_auth"))
    run = publish(emu, workspace, tmp_path, env={**oidc_env(emu), "RUNNER_DEBUG": "1"})
    assert run.returncode == 1
    [error] = run.errors
    assert "x-auth-token=***" in error
    no_secrets(run, emu)


def _echo_server(status: int) -> "http.server.ThreadingHTTPServer":
    """Answers every request with an error that repeats its headers and body."""

    class Echo(http.server.BaseHTTPRequestHandler):
        def _echo(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            said = f"{dict(self.headers)} {body}"
            data = json.dumps(
                {"error_code": "IAM.0000", "error_msg": said, "message": said}
            ).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _echo

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_iam_echoing_the_id_token_is_redacted(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    server = _echo_server(400)
    try:
        iam = f"http://127.0.0.1:{server.server_address[1]}"
        run = publish(emu, workspace, tmp_path, **{"iam-endpoint": iam})
    finally:
        server.shutdown()
    assert run.returncode == 1
    [error] = run.errors
    assert "IAM refused the keyless sign-in: HTTP 400" in error and "***" in error
    assert len(emu.github.issued()) == 1  # no_secrets checks it among the others
    no_secrets(run, emu)


def test_token_endpoint_echoing_the_request_token_is_redacted(
    workspace: Path, tmp_path: Path
) -> None:
    server = _echo_server(403)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/idtoken?api-version=2.0"
        env = {
            "ACTIONS_ID_TOKEN_REQUEST_URL": url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": DEFAULT_OIDC_REQUEST_TOKEN,
        }
        make_tree(workspace, {"mod.py": "x = 1\n"})
        inputs = {
            "name": "keyless-deps", "runtime": "Python3.9", "path": ".", "region": REGION,
            "identity-provider": IDP,
        }  # fmt: skip
        run = run_action(workspace, inputs, env, tmp=tmp_path)
    finally:
        server.shutdown()
    assert run.returncode == 1
    [error] = run.errors
    assert "refused the token request: HTTP 403" in error and "bearer ***" in error
    assert_no_secrets(run, (DEFAULT_OIDC_REQUEST_TOKEN,))


def test_the_readme_rule_admits_release_tags_only() -> None:
    """The conversion rule the keyless set-up (docs/keyless.md, linked from the README's quick
    start) tells users to paste, read from there."""
    readme = (Path(__file__).resolve().parent.parent / "docs" / "keyless.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", readme, flags=re.S)
    [rule_text] = [b for b in blocks if '"local"' in b]
    rules = json.loads(rule_text.replace("OWNER/REPO", REPO))
    assert rules == list(rules_for_sub(rf"repo:{REPO}:ref:refs/tags/v[0-9].*"))
    admitted = {
        f"repo:{REPO}:ref:refs/tags/v1.2.3": True,
        f"repo:{REPO}:ref:refs/tags/latest": False,
        f"repo:{REPO}:ref:refs/heads/main": False,
        f"repo:{REPO}:pull_request": False,
        f"repo:{REPO}:environment:prod": False,
        "repo:octo-org/octo-deps-fork:ref:refs/tags/v1.2.3": False,
    }
    for sub, expected in admitted.items():
        assert (map_user(rules, {"sub": sub}) == "github-fgs-publisher") is expected, sub


def test_conversion_rules_substitute_and_exclude() -> None:
    rules = [
        {
            "local": [{"user": {"name": "gh-{0}"}}],
            "remote": [
                {"type": "repository_owner"},
                {"type": "sub", "not_any_of": [".*:pull_request"], "regex": True},
            ],
        }
    ]
    assert map_user(rules, {"repository_owner": "octo", "sub": "repo:o/r:ref:x"}) == "gh-octo"
    assert map_user(rules, {"repository_owner": "octo", "sub": "repo:o/r:pull_request"}) is None
    assert map_user(rules, {"sub": "repo:o/r:ref:x"}) is None  # the claim is missing


def test_a_sign_in_reply_whose_token_is_not_an_object(
    emu: Emulator, workspace: Path, tmp_path: Path
) -> None:
    emu.inject("keyless_sign_in", Hostile("token_not_object"))
    run = publish(emu, workspace, tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "names no project (token.project.id)" in error and "'project-id'" in error
    assert "Unexpected failure" not in run.log
    assert calls(emu, "POST", "/v2/") == []
