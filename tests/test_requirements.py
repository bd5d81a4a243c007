"""'requirements': the action installs a requirements file with uv for the runtime's Python and
the platform, from the tests' own index (tests/wheelhouse.py, on 127.0.0.1), and publishes
what was installed. Each test runs the action as the runner does and reads what a user sees:
the zip's files and bytes, the exit code, the log's error annotations, outputs and summary."""

import hashlib
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from fgs_emulator import Emulator
from helpers import (
    PROJECT_ID,
    Run,
    assert_no_secrets,
    calls,
    executed,
    make_tree,
    publish_inputs,
    run_action,
)
from wheelhouse import EXPECTED_TINYEXT, Index, build_wheelhouse, serve_index, wheel_bytes

USER, PASSWORD = "ci-reader", "Pa55-w0rd-of-the-index"
RUNTIMES = {"Python3.9": "cp39", "Python3.12": "cp312"}
PLATFORMS = ("x86_64-manylinux2014", "aarch64-manylinux2014")


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="module")
def index(wheelhouse: Path) -> Iterator[Index]:
    with serve_index(wheelhouse) as served:
        yield served


@pytest.fixture(scope="module")
def private_index(wheelhouse: Path) -> Iterator[Index]:
    with serve_index(wheelhouse, (USER, PASSWORD)) as served:
        yield served


def build(
    workspace: Path,
    tmp: Path,
    requirements: str,
    index_url: str,
    env: Mapping[str, str] | None = None,
    **inputs: str,
) -> Run:
    """A dry run of the action with `requirements` as requirements.txt."""
    (workspace / "requirements.txt").write_text(requirements)
    given = {
        "name": "deps",
        "runtime": "Python3.9",
        "requirements": "requirements.txt",
        "index-url": index_url,
        "dry-run": "true",
        **{name.replace("_", "-"): value for name, value in inputs.items()},
    }
    return run_action(workspace, given, env, tmp=tmp)


def zip_of(run: Run) -> zipfile.ZipFile:
    assert run.returncode == 0, run.log
    return zipfile.ZipFile(run.outputs["package_path"])


def error_text(run: Run) -> str:
    assert run.returncode == 1, run.log
    assert run.outputs == {}, "a failed build sets no outputs"
    return "\n".join(c.data for c in executed(run.log) if c.name == "error")


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_zip_holds_the_wheel_for_the_runtime_and_platform(
    runtime: str, platform: str, private_index: Index, workspace: Path, tmp_path: Path
) -> None:
    run = build(workspace, tmp_path, "tinyext==1.0\n", private_index.url, runtime=runtime,
                platform=platform)  # fmt: skip
    python = RUNTIMES[runtime]
    wheel_platform = EXPECTED_TINYEXT[platform]
    tag = f"{python}-{python}-{wheel_platform}"
    with zip_of(run) as zipped:
        names = sorted(zipped.namelist())
        core = zipped.read("tinyext/_core.py").decode()
    # Exactly the right wheel's files, site-packages contents at the root: no bin/ script for
    # the console entry point, no byte-code, no installer records.
    assert names == sorted(
        [
            "purelib-2.0.dist-info/METADATA",
            "purelib-2.0.dist-info/WHEEL",
            "purelib.py",
            "tinyext-1.0.dist-info/METADATA",
            "tinyext-1.0.dist-info/WHEEL",
            "tinyext-1.0.dist-info/entry_points.txt",
            "tinyext/__init__.py",
            "tinyext/_core.py",
            f"tinyext/_core.{python}-{wheel_platform.split('.')[0]}.so",
        ]
    )
    assert core == f"BUILT_FOR = {tag!r}\n"
    # The summary says what was installed, and for what.
    python_version = runtime.removeprefix("Python")
    assert f"| built for | `Python {python_version} on {platform}` |" in run.summary
    assert f"| `tinyext` | `1.0` | `{tag}` |" in run.summary
    assert "| `purelib` | `2.0` | `py3-none-any` |" in run.summary
    # The index's password: masked at once, then nowhere in the log, outputs or summary.
    masks = [c.data for c in executed(run.log) if c.name == "add-mask"]
    assert PASSWORD in masks
    assert_no_secrets(run, (PASSWORD, f"{USER}:{PASSWORD}"))
    assert any(path.startswith("/simple/tinyext") for path in private_index.requests)


def test_same_requirements_same_bytes(index: Index, workspace: Path, tmp_path: Path) -> None:
    """Two builds, each with a cold cache of its own: one zip, byte for byte (RECORD, INSTALLER
    and the like, which vary with the machine and the installer, are left out)."""
    runs = [build(workspace, tmp_path / str(i), "tinyext\n", index.url) for i in (1, 2)]
    zips = [Path(run.outputs["package_path"]).read_bytes() for run in runs if run.returncode == 0]
    assert len(zips) == 2, runs[0].log + runs[1].log
    assert zips[0] == zips[1]
    assert runs[0].outputs["package_md5"] == hashlib.md5(zips[0]).hexdigest()


def test_the_jobs_uv_and_pip_settings_do_not_reach_uv(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    """Only the inputs decide what is installed: a job's `env:` with UV_* or PIP_* settings
    (here constraint files that do not exist, which uv would fail to read) changes nothing."""
    missing = str(tmp_path / "no-such-constraints.txt")
    env = {"UV_CONSTRAINT": missing, "PIP_CONSTRAINT": missing, "UV_NO_INDEX": "1"}
    with zip_of(build(workspace, tmp_path, "purelib\n", index.url, env=env)) as zipped:
        assert "purelib.py" in zipped.namelist()


def test_manylinux_2_34_is_never_chosen_for_the_default_platform(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    with zip_of(build(workspace, tmp_path, "tinyext\n", index.url, runtime="Python3.12")) as z:
        assert "manylinux_2_34" not in " ".join(z.namelist())
    # ... and is what a newer platform asks for.
    run = build(workspace, tmp_path / "new", "tinyext\n", index.url, runtime="Python3.12",
                platform="x86_64-manylinux_2_34")  # fmt: skip
    with zip_of(run) as zipped:
        assert "tinyext/_core.cp312-manylinux_2_34_x86_64.so" in zipped.namelist()


def test_no_wheel_for_the_target_names_what_exists(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    run = build(workspace, tmp_path, "newglibc==1.0\n", index.url, runtime="Python3.12")
    error = error_text(run)
    assert "newglibc 1.0" in error
    assert "Python 3.12 on x86_64-manylinux2014" in error
    assert "manylinux_2_34_x86_64" in error and "macosx_11_0_arm64" in error
    assert "platform: x86_64-manylinux_2_34" in error  # the value that takes that wheel
    assert "newglibc" in run.summary


def test_an_sdist_is_refused_by_default_and_built_with_allow_source(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    refused = build(workspace, tmp_path / "refused", "puresdist\n", index.url)
    error = error_text(refused)
    assert "puresdist" in error and "allow-source: true" in error
    built = build(workspace, tmp_path / "built", "puresdist\n", index.url, allow_source="true")
    with zip_of(built) as zipped:
        assert sorted(zipped.namelist()) == [
            "puresdist-1.0.dist-info/METADATA",
            "puresdist-1.0.dist-info/WHEEL",
            "puresdist/__init__.py",
        ]
    assert "| `puresdist` | `1.0` | `py3-none-any` |" in built.summary


def test_an_sdist_with_a_c_extension_is_refused_even_with_allow_source(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    run = build(workspace, tmp_path, "cextsdist\n", index.url, allow_source="true")
    error = error_text(run)
    assert "cextsdist-1.0-cp" in error and "platform-specific" in error
    assert "Python 3.9 on x86_64-manylinux2014" in error


def test_a_wrong_hash_is_refused(index: Index, workspace: Path, tmp_path: Path) -> None:
    run = build(workspace, tmp_path, f"purelib==2.0 --hash=sha256:{'0' * 64}\n", index.url)
    error = error_text(run)
    assert "purelib==2.0" in error and "'requirements'" in error and "--hash" in error


def test_a_conflict_shows_uvs_explanation(index: Index, workspace: Path, tmp_path: Path) -> None:
    error = error_text(build(workspace, tmp_path, "needsold\n", index.url))
    assert "cannot be installed together" in error
    assert "needsold depend on purelib<2" in error


def test_wrong_credentials_name_the_input_and_stay_hidden(
    private_index: Index, workspace: Path, tmp_path: Path
) -> None:
    wrong = "not-the-Pa55word"
    url = private_index.url.replace(PASSWORD, wrong)
    run = build(workspace, tmp_path, "purelib\n", url)
    error = error_text(run)
    assert "input 'index-url'" in error and "401" in error
    assert_no_secrets(run, (wrong, PASSWORD))


def test_a_wrong_extra_index_is_named(
    index: Index, private_index: Index, workspace: Path, tmp_path: Path
) -> None:
    wrong = "also-wrong-Pa55"
    extra = private_index.url.replace(PASSWORD, wrong)
    run = build(workspace, tmp_path, "newglibc\n", index.url, extra_index_url=extra,
                runtime="Python3.12", platform="x86_64-manylinux_2_34")  # fmt: skip
    assert "input 'extra-index-url'" in error_text(run)
    assert_no_secrets(run, (wrong,))


def test_a_public_package_does_not_shadow_a_private_one(
    private_index: Index, workspace: Path, tmp_path: Path
) -> None:
    """'extra-index-url' is asked first: its purelib 2.0 wins over a 'public' purelib 9.0
    at 'index-url', though the public one is newer (dependency confusion)."""
    public = tmp_path / "public"
    public.mkdir()
    (public / "purelib-9.0-py3-none-any.whl").write_bytes(
        wheel_bytes("purelib", "9.0", "py3-none-any", {"purelib.py": "VERSION = '9.0'\n"})
    )
    with serve_index(public) as index:
        run = build(workspace, tmp_path / "run", "purelib\n", index.url,
                    extra_index_url=private_index.url)  # fmt: skip
        with zip_of(run) as zipped:
            assert zipped.read("purelib.py") == b"VERSION = '2.0'\n"
    assert "| `purelib` | `2.0` |" in run.summary


def test_an_unreachable_index_names_the_input(workspace: Path, tmp_path: Path) -> None:
    # Port 9 (discard) on the loopback: nothing listens there.
    run = build(workspace, tmp_path, "purelib\n", "http://127.0.0.1:9/simple")
    error = error_text(run)
    assert "http://127.0.0.1:9/simple could not be reached" in error
    assert "input 'index-url'" in error


@pytest.mark.parametrize(
    ("inputs", "named", "accepted"),
    [
        ({"platform": "linux"}, "platform", "x86_64-manylinux2014"),
        ({"platform": "win_amd64"}, "platform", "aarch64-manylinux2014"),
        ({"runtime": "Python2.7", "path": "."}, "runtime", "use Python3.9 or later"),
        ({"runtime": "Python3.8", "path": "."}, "runtime", "use Python3.9 or later"),
        ({"runtime": "Node.js20.15", "path": "."}, "runtime", "Python3.12"),
        ({"index-url": "ftp://mirror/simple"}, "index-url", "https://"),
        (
            {"requirements": "", "path": ".", "index-url": "", "allow-source": "true"},
            "allow-source",
            "'requirements'",
        ),
        ({"requirements": "missing.txt"}, "requirements", "does not exist"),
        ({"requirements": "../outside.txt"}, "requirements", "outside the workspace"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(
    inputs: dict[str, str], named: str, accepted: str, index: Index, workspace: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    asked = len(index.requests)
    (tmp_path / "outside.txt").write_text("purelib\n")
    (workspace / "requirements.txt").write_text("purelib\n")
    given = {"name": "deps", "runtime": "Python3.9", "requirements": "requirements.txt",
             "index-url": index.url, "dry-run": "true", **inputs}  # fmt: skip
    run = run_action(workspace, given, tmp=tmp_path)
    error = error_text(run)
    assert f"Input '{named}'" in error and accepted in error
    assert len(index.requests) == asked, "nothing was asked of the index"


def test_path_adds_its_files_and_a_clash_is_named(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "shared", {"myhelpers/__init__.py": "X = 1\n", "conf.json": "{}"})
    run = build(workspace, tmp_path / "ok", "purelib\n", index.url, path="shared")
    with zip_of(run) as zipped:
        assert sorted(zipped.namelist()) == [
            "conf.json",
            "myhelpers/__init__.py",
            "purelib-2.0.dist-info/METADATA",
            "purelib-2.0.dist-info/WHEEL",
            "purelib.py",
        ]
    make_tree(workspace / "shared", {"purelib.py": "mine = True\n"})
    error = error_text(build(workspace, tmp_path / "clash", "purelib\n", index.url,
                             path="shared"))  # fmt: skip
    assert "Input 'path'" in error and "'purelib.py'" in error


def test_without_path_the_workspace_is_not_packaged(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"app.py": "print('the function')\n"})
    with zip_of(build(workspace, tmp_path, "purelib\n", index.url)) as zipped:
        assert "app.py" not in zipped.namelist()
        assert "requirements.txt" not in zipped.namelist()


def test_exclude_and_prefix_apply_to_the_result(
    index: Index, workspace: Path, tmp_path: Path
) -> None:
    run = build(workspace, tmp_path, "tinyext\n", index.url, exclude="*.dist-info/",
                prefix="python")  # fmt: skip
    with zip_of(run) as zipped:
        names = zipped.namelist()
    assert names and all(name.startswith("python/") for name in names)
    assert not [name for name in names if ".dist-info" in name]
    assert "python/tinyext/_core.py" in names


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


def test_a_cancelled_install_stops_uv(wheelhouse: Path, workspace: Path, tmp_path: Path) -> None:
    with serve_index(wheelhouse, stall=True) as hung:
        (workspace / "requirements.txt").write_text("purelib\n")
        inputs = {"name": "deps", "runtime": "Python3.9", "requirements": "requirements.txt",
                  "index-url": hung.url, "dry-run": "true"}  # fmt: skip
        run = run_action(workspace, inputs, tmp=tmp_path, cancel_when=lambda: bool(hung.requests))
    assert hung.requests, "uv never asked the index"
    error = error_text(run)
    assert "cancelled" in error
    assert not _processes_mentioning(str(tmp_path / "runner_temp")), "uv outlived the step"


def test_requirements_publish_then_skip_on_rerun(
    emulator: Emulator, index: Index, workspace: Path, tmp_path: Path
) -> None:
    (workspace / "requirements.txt").write_text("tinyext==1.0\n")
    inputs = publish_inputs(emulator, requirements="requirements.txt", **{"index-url": index.url})
    first = run_action(workspace, inputs, tmp=tmp_path / "first")
    assert first.returncode == 0, first.log
    assert first.outputs["version"] == "1" and first.outputs["skipped"] == "false"
    second = run_action(workspace, inputs, tmp=tmp_path / "second")
    assert second.returncode == 0, second.log
    assert second.outputs["skipped"] == "true"
    assert second.outputs["package_md5"] == first.outputs["package_md5"]
    [version] = emulator.versions("demo-deps")
    assert version["etag"] == first.outputs["package_md5"]
    created = calls(emulator, "POST", f"/v2/{PROJECT_ID}/fgs/dependencies/version")
    assert len(created) == 1, "one version created, none on the re-run"
