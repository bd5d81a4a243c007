"""'requirements' installs what the file says and nothing reaches the build code that it should
not: the build's environment is allow-listed, every file the requirements read is inside the
workspace, editable and half-hashed installs are refused, and source builds happen only where
allow-source lets them and no wheel fits. Run as the runner does, against the tests' own index
(tests/wheelhouse.py)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from elf_files import glibc_object, musl_object
from helpers import make_tree
from test_requirements import build, error_text, zip_of
from wheelhouse import Index, build_wheelhouse, serve_index, sha256_of, wheel_bytes

SECRET = "sk-the-secret-key-value"


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="module")
def index(wheelhouse: Path) -> Iterator[Index]:
    with serve_index(wheelhouse) as served:
        yield served


def test_build_code_sees_only_the_allow_listed_environment(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    job = {
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/",
        "GITHUB_ENV": str(tmp_path / "env_file"),
        "GITHUB_PATH": str(tmp_path / "path_file"),
        "GITHUB_TOKEN": "ghs_job_token",
        "no_proxy": "127.0.0.1",
    }
    run = build(workspace, tmp_path, "envsdist\n", index.url, env=job, allow_source="true",
                secret_key=SECRET)  # fmt: skip
    with zip_of(run) as zipped:
        raw = zipped.read("envsdist/environ.json").decode()
    seen = json.loads(raw)
    leaked = sorted(
        name
        for name in seen
        if name.startswith(("INPUT_", "ACTIONS_", "GITHUB_", "RUNNER_")) or name == "CI"
    )
    assert leaked == [], leaked
    assert SECRET not in raw and "oidc-request-token" not in raw and "ghs_job_token" not in raw
    # What a build needs is there: where programs are, a home, the proxy settings.
    assert seen["PATH"] and seen["HOME"] and seen["no_proxy"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ({"requirements.txt": "purelib\n-r ../outside.txt\n"}, "line 2 of 'requirements.txt'"),
        ({"requirements.txt": "-r sub/more.txt\n", "sub/more.txt": "purelib\n-c ../../outside.txt"},
         "line 2 of 'sub/more.txt'"),
        ({"requirements.txt": "purelib\n--find-links ../wheels\n"}, "line 2 of 'requirements.txt'"),
        ({"requirements.txt": "purelib\n-r ${HOME}/outside.txt\n"}, "line 2 of 'requirements.txt'"),
    ],
)  # fmt: skip
def test_a_file_outside_the_workspace_is_refused(
    files: dict[str, str], where: str, index: Index, workspace: Path, tmp_path: Path
) -> None:
    (workspace.parent / "outside.txt").write_text("purelib\n")
    (tmp_path / "outside.txt").write_text("purelib\n")
    make_tree(workspace, {k: v for k, v in files.items() if k != "requirements.txt"})
    asked = len(index.requests)
    run = build(workspace, tmp_path, files["requirements.txt"], index.url)
    error = error_text(run)
    assert "Input 'requirements'" in error and where in error and "outside the workspace" in error
    assert len(index.requests) == asked, "uv never ran"


@pytest.mark.parametrize("line", ["-e ./pkg", "--editable=./pkg", "-e ."])
def test_an_editable_line_is_refused(
    line: str, index: Index, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "pkg", {"pyproject.toml": "[project]\nname = 'pkg'\nversion = '1'\n"})
    run = build(workspace, tmp_path, f"purelib\n{line}\n", index.url, allow_source="true")
    error = error_text(run)
    assert "Input 'requirements'" in error and "line 2 of 'requirements.txt'" in error
    assert line in error and "editable" in error


def test_hashes_are_all_or_nothing(
    index: Index, wheelhouse: Path, workspace: Path, tmp_path: Path
) -> None:
    purelib = sha256_of(wheelhouse / "purelib-2.0-py3-none-any.whl")
    tinyext = sha256_of(
        wheelhouse / "tinyext-1.0-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    # A listed requirement without a hash: named with its line.
    lines = f"purelib==2.0 --hash=sha256:{purelib}\ntinyext==1.0\n"
    error = error_text(build(workspace, tmp_path / "line", lines, index.url))
    assert "Input 'requirements'" in error and "line 2 of 'requirements.txt': 'tinyext'" in error
    # A dependency the file does not list (tinyext needs purelib): named too.
    error = error_text(build(workspace, tmp_path / "dep",
                             f"tinyext==1.0 --hash=sha256:{tinyext}\n", index.url))  # fmt: skip
    assert "purelib has none" in error and "--generate-hashes" in error
    # All hashed: installed.
    lines = f"tinyext==1.0 --hash=sha256:{tinyext}\npurelib==2.0 --hash=sha256:{purelib}\n"
    with zip_of(build(workspace, tmp_path / "all", lines, index.url)) as zipped:
        assert "tinyext/_core.py" in zipped.namelist()


def test_a_no_binary_line_needs_allow_source(index: Index, workspace: Path, tmp_path: Path) -> None:
    run = build(workspace, tmp_path, "--no-binary mixed\nmixed\n", index.url)
    error = error_text(run)
    assert "line 1 of 'requirements.txt'" in error and "allow-source: true" in error


def test_allow_source_builds_only_what_has_no_wheel(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    """mixed 2.0 is an sdist, 1.0 a wheel: the wheel is taken; puresdist has only an sdist:
    it is built."""
    run = build(workspace, tmp_path, "mixed\npuresdist\n", index.url, allow_source="true")
    with zip_of(run) as zipped:
        names = zipped.namelist()
    assert "mixed.py" in names and "mixed/__init__.py" not in names
    assert "puresdist/__init__.py" in names
    assert "| `mixed` | `1.0` | `py3-none-any` |" in run.summary


@pytest.mark.parametrize(
    ("own", "named"),
    [("purelib/__init__.py", "'purelib/'"), ("tinyext.py", "'tinyext.py'")],
)
def test_a_path_module_shadowing_an_installed_one_is_refused(
    own: str, named: str, index: Index, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "shared", {own: "mine = True\n"})
    run = build(workspace, tmp_path, "tinyext\n", index.url, path="shared")
    error = error_text(run)
    assert "Input 'path'" in error and named in error


@pytest.mark.parametrize("text", ["", "# nothing yet\n\n   # still nothing\n", "--no-index\n"])
def test_a_file_without_packages_is_named(
    text: str, index: Index, workspace: Path, tmp_path: Path
) -> None:
    error = error_text(build(workspace, tmp_path, text, index.url))
    assert "Input 'requirements'" in error and "lists no package" in error


def test_a_local_project_needs_allow_source(index: Index, workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace / "pkg", {"pyproject.toml": "[project]\nname = 'pkg'\nversion = '1'\n"})
    error = error_text(build(workspace, tmp_path, "purelib\n./pkg\n", index.url))
    assert "Input 'requirements'" in error and "line 2 of 'requirements.txt'" in error
    assert "allow-source: true" in error


def test_an_unreachable_index_in_the_file_is_named(workspace: Path, tmp_path: Path) -> None:
    # Input 'index-url' not given: the file's own --index-url is the one uv asks.
    text = "--index-url http://127.0.0.1:9/simple\npurelib\n"
    error = error_text(build(workspace, tmp_path, text, ""))
    assert "index http://127.0.0.1:9/simple, named on line 1 of 'requirements.txt'" in error
    assert "could not be reached" in error


def test_the_glibc_an_installed_wheel_needs_is_checked(workspace: Path, tmp_path: Path) -> None:
    """A wheel tagged manylinux2014 whose library needs GLIBC_2.28 (a mislabelled build): a
    warning naming it with the default platform, and the summary says what is needed; a
    musl-linked module in a wheel tagged for glibc is refused."""
    house = tmp_path / "house"
    house.mkdir()
    tag = "cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64"
    (house / f"needsnew-1.0-{tag}.whl").write_bytes(
        wheel_bytes("needsnew", "1.0", tag, {"needsnew/_c.so": glibc_object("2.28")})
    )
    (house / f"muslinside-1.0-{tag}.whl").write_bytes(
        wheel_bytes("muslinside", "1.0", tag, {"muslinside/_c.so": musl_object()})
    )
    with serve_index(house) as own:
        run = build(workspace, tmp_path / "glibc", "needsnew\n", own.url)
        refused = build(workspace, tmp_path / "musl", "muslinside\n", own.url)
    assert run.returncode == 0, run.log
    [warning] = run.warnings
    assert "needsnew/_c.so (GLIBC_2.28)" in warning
    assert "| highest glibc needed | `GLIBC_2.28 (needsnew/_c.so)` |" in run.summary
    assert "muslinside/_c.so (linked against musl libc" in error_text(refused)
