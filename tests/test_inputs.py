"""Bad inputs: exit 1, one `::error::` that names the input, and nothing sent."""

from pathlib import Path

import pytest
from fgs_emulator import Emulator
from helpers import SECRET_KEY, assert_no_secrets, make_tree, publish_inputs, run_action

BAD_VALUES = [
    ("name", "9starts-with-digit", "starting with a letter"),
    ("name", "ends-with-dash-", "ending with a letter or digit"),
    ("name", "has space", "letters, digits"),
    ("name", "x" * 97, "1-96 characters"),
    ("name", "", "is required"),
    ("runtime", "", "is required"),
    ("runtime", "Python3.9; rm -rf /", "not a FunctionGraph runtime"),
    ("runtime", "9.0", "not a FunctionGraph runtime"),
    ("runtime", "nodejs18", "did you mean Node.js18.15?"),
    ("runtime", "Node.js20", "did you mean Node.js20.15?"),
    ("runtime", "python39", "did you mean Python3.9?"),
    ("runtime", "Pyhton3.12", "did you mean Python3.12"),
    ("description", "d" * 513, "513 characters long; FunctionGraph accepts at most 512"),
    ("region", "North China", "region id such as 'cn-north-4'"),
    ("project-id", "not-a-project", "32 letters and digits"),
    ("access-key", "AK WITH SPACE", "access key id"),
    ("secret-key", "secret with space", "spaces or control characters"),
    ("security-token", "tokenĀ", "characters outside ASCII"),
    ("endpoint", "ftp://functiongraph.example.com", "https:// URL"),
    ("endpoint", "http://functiongraph.cn-north-4.myhuaweicloud.com", "only for a loopback host"),
    ("endpoint", "https://user:pw@example.com", "https:// URL"),
    ("endpoint", "https://example.com:notaport", "is not a URL"),
    ("prefix", "../outside", "no '..'"),
    ("prefix", "a\\b", "backslashes"),
    (
        "dry-run",
        "yes",
        "must be true (build and check the package, offline), false (publish), or plan",
    ),
    ("timeout", "soon", "seconds from 1 to 3600"),
    ("timeout", "0", "seconds from 1 to 3600"),
    ("path", "../elsewhere", "leads outside the workspace"),
    ("path", "missing-folder", "does not exist"),
    ("path", "notes.txt", "must be a folder, or a ready .zip"),
    ("path", "broken.zip", "not a valid zip"),
    ("path", "empty", "holds no files"),
    ("if-unchanged", "maybe", "must be 'skip'"),
    ("retries", "many", "whole number from 0 to 10"),
    ("retries", "11", "whole number from 0 to 10"),
    ("depend-type", "s3", "auto (inline when it fits"),
    ("api", "v3", "version (create dependency version"),
    ("obs-bucket", "Bad_Bucket", "OBS bucket name"),
    ("obs-key", "/absolute.zip", "not starting with '/'"),
    ("obs-endpoint", "http://obs.example.com", "only for a loopback host"),
    ("iam-endpoint", "https://iam.example.com/v3", "bare https://host"),
    ("depend-link", "ftp://bucket/x.zip", "https:// URL"),
    ("auth-token", "two words", "spaces or control characters"),
    ("iam-user", "u" * 65, "at most 64 characters"),
]


@pytest.mark.parametrize(("name", "value", "words"), BAD_VALUES)
def test_bad_value_names_the_input(
    emulator: Emulator, workspace: Path, tmp_path: Path, name: str, value: str, words: str
) -> None:
    make_tree(
        workspace, {"a.py": "a", "notes.txt": "n", "broken.zip": "not a zip", "empty/.git/x": ""}
    )
    (tmp_path / "elsewhere").mkdir()
    run = run_action(workspace, publish_inputs(emulator, **{name: value}), tmp=tmp_path)
    assert run.returncode == 1, run.log
    assert run.errors, run.log
    assert any(
        f"::error title=Invalid input::Input '{name}'" in e and words in e for e in run.errors
    ), run.errors
    assert emulator.requests == []
    assert run.outputs == {}
    assert "Traceback" not in run.log
    assert_no_secrets(run)


def test_secret_values_are_never_echoed_in_errors(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a"})
    bad_secret = "leaked secret\twith tab"
    run = run_action(
        workspace, publish_inputs(emulator, **{"secret-key": bad_secret}), tmp=tmp_path
    )
    assert run.returncode == 1
    assert "leaked secret" not in run.log


def test_all_bad_inputs_are_reported_at_once(workspace: Path, tmp_path: Path) -> None:
    run = run_action(
        workspace,
        {"name": "-bad", "runtime": "", "path": ".", "dry-run": "maybe", "timeout": "x"},
        tmp=tmp_path,
    )
    assert run.returncode == 1
    named = sorted(e.split("'")[1] for e in run.errors)
    assert named == ["dry-run", "name", "runtime", "timeout"]


def test_missing_region_names_the_input_and_variable(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(workspace, {"name": "x", "runtime": "Python3.9", "path": "."}, tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "Input 'region'" in error and "HUAWEI_CLOUD_REGION" in error
    assert "dry-run: true" in error


def test_half_given_keys_name_the_missing_input(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(
        workspace,
        {
            "name": "x",
            "runtime": "Python3.9",
            "path": ".",
            "region": "cn-north-4",
            "secret-key": SECRET_KEY,
        },
        tmp=tmp_path,
    )
    assert run.returncode == 1
    [error] = run.errors
    assert "'secret-key' given without 'access-key'" in error
    assert "HUAWEI_CLOUD_ACCESS_KEY_ID" in error
    assert_no_secrets(run)


def test_inputs_are_trimmed_and_multiline_exclude_split(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"keep.py": "k", "drop.md": "d", "tests/t.py": "t"})
    run = run_action(
        workspace,
        {
            "name": "  trimmed \n",
            "runtime": " python3.12 ",
            "path": ".",
            "dry-run": " true\n",
            "exclude": "\n  *.md  \n\ntests/\n",
        },
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["file_count"] == "1"
    assert Path(run.outputs["package_path"]).name == "trimmed.zip"


def test_bad_source_date_epoch_names_the_variable(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(
        workspace,
        {"name": "x", "runtime": "Python3.9", "path": ".", "dry-run": "true"},
        {"SOURCE_DATE_EPOCH": "yesterday"},
        tmp=tmp_path,
    )
    assert run.returncode == 1
    assert "SOURCE_DATE_EPOCH" in run.errors[0]


def test_obs_without_bucket_names_the_bucket_input(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"a.py": "a"})
    run = run_action(workspace, publish_inputs(emulator, **{"depend-type": "obs"}), tmp=tmp_path)
    assert run.returncode == 1
    assert run.errors == [
        "::error title=Invalid input::Input 'obs-bucket': "
        "depend-type 'obs' needs the bucket to upload to"
    ]
    assert emulator.requests == []


def test_a_near_miss_runtime_fails_before_packaging(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"node_modules/left-pad/index.js": "module.exports = 1"})
    run = run_action(workspace, publish_inputs(emulator, runtime="nodejs18"), tmp=tmp_path)
    assert run.returncode == 1
    [error] = run.errors
    assert "Input 'runtime'" in error and "did you mean Node.js18.15?" in error
    assert "Package:" not in run.log  # refused before the tree was read
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("given", "named", "says"),
    [
        ({}, "path", "nothing says what to publish. Give 'path'"),
        ({"path": ".", "depend-link": "https://b.obs.cn-north-4.myhuaweicloud.com/x.zip"},
         "depend-link", "give one of the two"),
    ],
)  # fmt: skip
def test_exactly_one_thing_says_what_to_publish(
    workspace: Path, tmp_path: Path, given: dict[str, str], named: str, says: str
) -> None:
    make_tree(workspace, {"secret-notes.txt": "never published by default"})
    run = run_action(
        workspace, {"name": "x", "runtime": "Python3.9", "dry-run": "true", **given}, tmp=tmp_path
    )
    assert run.returncode == 1
    [error] = run.errors
    assert f"Input '{named}'" in error and says in error
    assert "Package:" not in run.log
