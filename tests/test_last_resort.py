"""The last-resort path of __main__: an exception the action did not foresee still ends in
one titled error annotation and the job summary, exit 1; under RUNNER_DEBUG the traceback
is shown too, fenced off from command parsing and with secrets starred out."""

from pathlib import Path

import pytest
from helpers import ACCESS_KEY, SECRET_KEY, assert_no_secrets, make_tree, run_action


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "runner-debug"])
def test_an_unforeseen_failure_is_reported_and_its_traceback_redacted(
    workspace: Path, tmp_path: Path, debug: bool
) -> None:
    # The output file is missing, so actions-toolkit raises a bare Exception naming its
    # path; the path holds the secret key, so the message and the traceback both do.
    make_tree(workspace, {"a.py": "a"})
    inputs = {
        "name": "dry", "runtime": "Python3.9", "path": ".", "dry-run": "true",
        "access-key": ACCESS_KEY, "secret-key": SECRET_KEY,
    }  # fmt: skip
    env = {"GITHUB_OUTPUT": str(tmp_path / SECRET_KEY / "output")}
    if debug:
        env["RUNNER_DEBUG"] = "1"
    run = run_action(workspace, inputs, env, tmp=tmp_path)
    assert run.returncode == 1, run.log
    [error] = run.errors
    assert error.startswith(
        "::error title=Dependency 'dry' not published::"
        "Unexpected failure (Exception: Missing file at path: "
    )
    assert f"{tmp_path}/***/output" in error
    assert run.summary.startswith("### :x: dry · Python3.9 · failed, nothing published\n")
    assert "Unexpected failure" in run.summary
    assert_no_secrets(run, (SECRET_KEY,))
    if not debug:
        assert "Traceback" not in run.log
        return
    lines = run.stdout.splitlines()
    start = lines.index("Traceback (most recent call last):")
    assert lines[start - 1].startswith("::stop-commands::"), "the traceback is not fenced"
    token = lines[start - 1].removeprefix("::stop-commands::")
    end = lines.index(f"::{token}::")
    assert any("raise Exception(f'Missing file at path" in line for line in lines[start:end])
    assert lines[end - 1] == f"Exception: Missing file at path: {tmp_path}/***/output"
