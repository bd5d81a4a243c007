"""The action's image, built from the real Dockerfile and run the way GitHub's runner runs it,
for each architecture of the runners that run Docker container actions (x64 and arm64 Linux).

The podman plumbing is scripts/container.sh (podman, runc and a debootstrapped stand-in for the
official base; `bash scripts/test.sh` installs the tools). The architecture this machine lacks
runs under qemu-user-static (container.sh sets it up). FGS_CONTAINER_ARCHES (default
"amd64 arm64") names the architectures to test; FGS_REAL_BASE=1 builds on the Dockerfile's own
base instead of the stand-in (as ci.yml does on GitHub). If an image cannot be built or run
here, these tests fail and say why: they are never skipped.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import pytest
from fgs_emulator import Emulator
from helpers import (
    DECLARED_INPUTS,
    PROJECT_ID,
    ROOT,
    Run,
    assert_no_secrets,
    load_script,
    make_tree,
    parse_outputs,
    publish_inputs,
    run_action,
)
from wheelhouse import build_wheelhouse, serve_index

CONTAINER_SH = ROOT / "scripts" / "container.sh"
PYTHON = "/usr/local/bin/python"
Arch = Literal["amd64", "arm64"]
# Python's name of each architecture (platform.machine()), as wheel tags spell it.
MACHINE: dict[Arch, str] = {"amd64": "x86_64", "arm64": "aarch64"}


def _arches() -> list[Arch]:
    names = os.environ.get("FGS_CONTAINER_ARCHES", "amd64 arm64").split()
    known = get_args(Arch)
    wrong = [name for name in names if name not in known]
    assert names and not wrong, f"FGS_CONTAINER_ARCHES must name some of {known}, not {wrong}"
    return [arch for arch in known if arch in names]


ARCHES = _arches()


@dataclass(frozen=True)
class Image:
    tag: str
    arch: Arch


# On GitHub-hosted machines the runner's own user (uid 1001) owns the workspace, and a root-owned
# file left there breaks later steps (actions/checkout's clean-up, caches).
RUNNER_UID = 1001
TREE: dict[str, str | bytes] = {
    "python/requests/__init__.py": "VERSION = '2.32'\n" * 200,
    "python/requests/api.py": "def get(url):\n    return url\n" * 50,
    "python/six.py": "six = 6\n",
    "python/data/table.bin": bytes(range(256)) * 64,
}


def container(*args: str, arch: Arch, timeout: float = 300) -> str:
    """`FGS_ARCH=ARCH scripts/container.sh ARGS`; its output, or a test failure that shows what
    went wrong."""
    done = subprocess.run(
        ["bash", str(CONTAINER_SH), *args],
        env={**os.environ, "FGS_ARCH": arch},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        pytest.fail(
            f"`FGS_ARCH={arch} scripts/container.sh {args[0]}` exited {done.returncode}:\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}",
            pytrace=False,
        )
    return done.stdout


def build_image(arch: Arch) -> Image:
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            pytest.fail(
                f"{tool} is not installed, so the action's container cannot be tested; "
                "`bash scripts/test.sh` installs podman, runc and debootstrap with apt-get",
                pytrace=False,
            )
    image = Image(f"localhost/fgs-dependency-action:test-{arch}", arch)
    # The first build on a machine debootstraps the stand-in base: one to two minutes for this
    # machine's architecture, ten for another under emulation (then kept in /var/tmp).
    container("build", image.tag, arch=arch, timeout=2400)
    found = image_python(image, "import platform; print(platform.machine())")
    assert found == MACHINE[arch], f"the {arch} image runs as {found}"
    return image


@pytest.fixture(scope="module")
def built() -> Callable[[Arch], Image]:
    """Each architecture's image, built once for the module: shared by the tests of one
    architecture and the test that needs every image."""
    images: dict[Arch, Image] = {}

    def get(arch: Arch) -> Image:
        if arch not in images:
            images[arch] = build_image(arch)
        return images[arch]

    return get


@pytest.fixture(scope="module", params=ARCHES)
def image(request: pytest.FixtureRequest, built: Callable[[Arch], Image]) -> Image:
    arch: Arch = request.param
    return built(arch)


@pytest.fixture(scope="module")
def images(built: Callable[[Arch], Image]) -> list[Image]:
    return [built(arch) for arch in ARCHES]


def image_python(image: Image, code: str) -> str:
    return container("run", "--entrypoint", PYTHON, image.tag, "-c", code, arch=image.arch).strip()


def run_container(
    image: Image,
    workspace: Path,
    inputs: Mapping[str, str],
    env: Mapping[str, str] | None = None,
    *,
    tmp: Path,
) -> Run:
    """Run the image as the runner does: `--workdir /github/workspace`, its five mounts, the
    GITHUB_* variables, and every declared input as INPUT_<NAME> (hyphens kept, '' when not
    given). Inputs reach podman through its environment (`-e NAME`), as the runner passes them,
    so secrets never appear on a command line."""
    unknown = set(inputs) - set(DECLARED_INPUTS)
    assert not unknown, f"inputs not declared in action.yml: {unknown}"
    mounts = {
        "workspace": workspace,
        "runner_temp": tmp / "runner_temp",
        "home": tmp / "home",
        "workflow": tmp / "workflow",
        "file_commands": tmp / "file_commands",
    }
    for path in mounts.values():
        path.mkdir(parents=True, exist_ok=True)
    (mounts["workflow"] / "event.json").write_text("{}")
    guid = uuid.uuid4()
    output_file = mounts["file_commands"] / f"set_output_{guid}"
    summary_file = mounts["file_commands"] / f"step_summary_{guid}"
    output_file.write_text("")
    summary_file.write_text("")
    runner_env = {
        "HOME": "/github/home",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": f"/github/file_commands/{output_file.name}",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary_file.name}",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REPOSITORY": "octo-org/app",
        "GITHUB_SHA": "0" * 40,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_RUN_ID": "1",
        "GITHUB_JOB": "deps",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": "/github/runner_temp",
    }
    passed = {
        **{f"INPUT_{name.upper()}": "" for name in DECLARED_INPUTS},
        **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
        **(env or {}),
    }
    args = ["run", "--workdir", "/github/workspace"]
    for name, path in mounts.items():
        args += ["-v", f"{path}:/github/{name}"]
    for name, value in runner_env.items():
        args += ["-e", f"{name}={value}"]
    for name in passed:
        args += ["-e", name]
    done = subprocess.run(
        ["bash", str(CONTAINER_SH), *args, image.tag],
        env={**os.environ, **passed, "FGS_ARCH": image.arch},
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Podman's own failures (exit 125-127) are not the action's: say so rather than compare them.
    assert done.returncode < 125, f"podman could not run the image:\n{done.stderr[-4000:]}"
    runner_temp = mounts["runner_temp"]
    return Run(
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        outputs=parse_outputs(output_file.read_text()),
        summary=summary_file.read_text(),
        runner_temp=runner_temp,
        files_left={
            str(p): p.read_bytes()
            for p in runner_temp.rglob("*")
            if p.is_file() and p.suffix != ".zip"
        },
    )


def on_host(run: Run, container_path: str) -> Path:
    """Where a path under the container's /github/runner_temp is on this machine."""
    return run.runner_temp / Path(container_path).relative_to("/github/runner_temp")


def owned_by_runner(workspace: Path) -> dict[str, int]:
    """Hand the workspace to the runner's user, as on GitHub; its paths and owners after."""
    for path in [workspace, *workspace.rglob("*")]:
        os.lchown(path, RUNNER_UID, RUNNER_UID)
    return owners(workspace)


def owners(workspace: Path) -> dict[str, int]:
    return {str(p): p.lstat().st_uid for p in [workspace, *workspace.rglob("*")]}


_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _names(lines: list[str]) -> set[str]:
    """Normalised project names of the requirement lines (comments and hashes are not)."""
    found = (_REQUIREMENT.match(line) for line in lines)
    return {re.sub(r"[-_.]+", "-", match[0]).lower() for match in found if match}


def test_lock_pins_every_declared_dependency() -> None:
    """requirements.lock, which the image installs, is regenerated (bash scripts/lock.sh)
    whenever pyproject's dependencies change; PyGithub's tree stays out of it."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    pinned = _names(lock)
    missing = _names(declared) - pinned
    assert not missing, f"requirements.lock lacks {missing}: run `bash scripts/lock.sh`"
    assert not pinned & {"pygithub", "cryptography", "pynacl", "pyjwt"}
    assert all("==" in line for line in lock if _REQUIREMENT.match(line))


def test_image_is_built_as_the_runner_needs(image: Image) -> None:
    inspected = json.loads(container("podman", "image", "inspect", image.tag, arch=image.arch))[0]
    assert (inspected["Os"], inspected["Architecture"]) == ("linux", image.arch)
    config = inspected["Config"]
    assert not config.get("User"), "a USER line loses access to the workspace and file commands"
    entrypoint = config["Entrypoint"]
    assert entrypoint[0].startswith("/") and entrypoint[-2:] == ["-m", "fgs_dependency"]
    assert {"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"} <= set(config["Env"])
    # What the image holds: the action's imports, none of PyGithub's tree, no stray `tests`
    # package, no pip cache, no compiler.
    found = image_python(
        image,
        "import importlib.util as u, os, shutil;"
        "import fgs_dependency.__main__, actions_toolkit.core;"
        "print([m for m in ('github', 'cryptography', 'nacl', 'jwt', 'tests') if u.find_spec(m)],"
        " os.path.exists('/root/.cache'), [c for c in ('cc', 'gcc') if shutil.which(c)])",
    )
    assert found == "[] False []"


def test_publish_through_the_container(
    image: Image, emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace / "deps", TREE)
    before = owned_by_runner(workspace)
    run = run_container(
        image,
        workspace,
        publish_inputs(emulator, path="deps", description="Shared libraries"),
        tmp=tmp_path / "github",
    )
    assert run.returncode == 0, run.log
    assert not run.errors
    [version] = emulator.versions("demo-deps")
    package = on_host(run, run.outputs["package_path"])
    md5 = hashlib.md5(package.read_bytes()).hexdigest()
    assert run.outputs["package_path"].startswith("/github/runner_temp/")
    assert {k: run.outputs[k] for k in ("dep_id", "version", "version_id", "link")} == {
        "dep_id": version["dep_id"],
        "version": "1",
        "version_id": version["id"],
        "link": version["link"],
    }
    assert run.outputs["etag"] == run.outputs["package_md5"] == md5
    assert run.outputs["size"] == str(package.stat().st_size)
    assert run.outputs["file_count"] == str(len(TREE))
    assert run.outputs["file_name"] == "demo-deps.zip"
    assert run.summary.startswith("### demo-deps · Python3.9 · published version 1\n")
    assert md5 in run.summary
    assert_no_secrets(run)
    # Nothing added to the workspace, and nothing in it now owned by root.
    assert owners(workspace) == before


@pytest.mark.parametrize("arch", [arch for arch in ARCHES if arch == "amd64"])
def test_requirements_through_the_container(
    arch: Arch,
    built: Callable[[Arch], Image],
    emulator: Emulator,
    workspace: Path,
    tmp_path: Path,
) -> None:
    """'requirements' in the image: the locked uv installs from an index on 127.0.0.1 (basic
    auth) for Python3.9 on the default platform, with the image's own Python 3.13 only running
    uv; the zip is the one this machine builds, published once, skipped on the re-run."""
    image = built(arch)
    # The locked uv is the one the action finds; uvx and uv's SBOM are left out of the image.
    found = image_python(
        image,
        "import glob, shutil, uv; print(uv.find_uv_bin(), shutil.which('uvx'),"
        " glob.glob('/usr/local/lib/python3*/site-packages/uv-*.dist-info/sboms'))",
    )
    assert found == "/usr/local/bin/uv None []"
    wheelhouse = build_wheelhouse(tmp_path / "wheelhouse")
    password = "container-index-Pa55"
    (workspace / "requirements.txt").write_text("tinyext==1.0\n")
    with serve_index(wheelhouse, ("reader", password)) as index:
        inputs = publish_inputs(
            emulator, requirements="requirements.txt", **{"index-url": index.url}
        )
        first = run_container(image, workspace, inputs, tmp=tmp_path / "first")
        again = run_container(image, workspace, inputs, tmp=tmp_path / "again")
        host = run_action(workspace, {**inputs, "dry-run": "true"}, tmp=tmp_path / "host")
    assert first.returncode == 0, first.log
    with zipfile.ZipFile(on_host(first, first.outputs["package_path"])) as zipped:
        names = zipped.namelist()
        core = zipped.read("tinyext/_core.py").decode()
    assert "tinyext/_core.cp39-manylinux_2_17_x86_64.so" in names
    assert core == "BUILT_FOR = 'cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64'\n"
    assert not [name for name in names if name.startswith("bin/") or ".pyc" in name]
    assert "Wheels are chosen for Python 3.9 on x86_64-manylinux2014" in first.log
    assert first.outputs["version"] == "1"
    assert again.returncode == 0, again.log
    assert again.outputs["skipped"] == "true"
    assert host.returncode == 0, host.log
    assert host.outputs["package_md5"] == first.outputs["package_md5"]
    created = [
        r
        for r in emulator.requests
        if r.method == "POST" and r.path == f"/v2/{PROJECT_ID}/fgs/dependencies/version"
    ]
    assert len(created) == 1
    for run in (first, again):
        assert_no_secrets(run, (password, f"reader:{password}"))


@pytest.mark.parametrize(
    "bad",
    [{"name": "9-starts-with-a-digit"}, {"dry-run": "yes"}, {"path": ".."}],
    ids=["name", "dry-run", "path"],
)
def test_bad_input_fails_as_outside(
    image: Image, workspace: Path, tmp_path: Path, bad: dict[str, str]
) -> None:
    make_tree(workspace, {"deps/a.py": "a = 1\n"})
    inputs = {"name": "demo-deps", "runtime": "Python3.9", "path": "deps", "dry-run": "true", **bad}
    outside = run_action(workspace, inputs, tmp=tmp_path / "host")
    inside = run_container(image, workspace, inputs, tmp=tmp_path / "image")
    assert outside.returncode == inside.returncode == 1
    assert outside.errors, outside.log
    assert inside.errors == outside.errors
    assert inside.outputs == {}


# The build of the compressor the zip's bytes depend on: libdeflate, inside the `deflate` wheel.
COMPRESSOR = (
    "import deflate, hashlib, pathlib;"
    "so = next(pathlib.Path(deflate.__file__).parent.glob('_deflate*.so'));"
    "print(hashlib.sha256(so.read_bytes()).hexdigest())"
)


def test_same_tree_same_zip(image: Image, workspace: Path, tmp_path: Path) -> None:
    """Two runs of the image give one zip, and the same zip as this machine: a package_md5
    computed in a test job or locally must match the one the action publishes."""
    make_tree(workspace / "deps", TREE)
    inputs = {"name": "demo-deps", "runtime": "Python3.9", "path": "deps", "dry-run": "true"}
    runs = [run_container(image, workspace, inputs, tmp=tmp_path / f"run{i}") for i in (1, 2)]
    for run in runs:
        assert run.returncode == 0, run.log
    zips = [on_host(run, run.outputs["package_path"]).read_bytes() for run in runs]
    assert zips[0] == zips[1]
    assert runs[0].outputs["package_md5"] == runs[1].outputs["package_md5"]
    host = run_action(workspace, inputs, tmp=tmp_path / "host")
    assert host.returncode == 0, host.log
    here = subprocess.run(
        [sys.executable, "-c", COMPRESSOR], capture_output=True, text=True, check=True
    ).stdout.strip()
    # TREE's files are far below the 32 MiB up to which libdeflate compresses them all, so
    # zlib, which differs here (Debian 12's 1.2.13, trixie's 1.3.1), plays no part; and the
    # `deflate` wheel is abi3, one build for Python 3.11 to 3.13.
    builds = "the same" if image_python(image, COMPRESSOR) == here else "different"
    assert runs[0].outputs["package_md5"] == host.outputs["package_md5"], (
        f"the image and this machine zip one tree differently ({builds} libdeflate builds)"
    )


# Above the 32 MiB up to which libdeflate (the `deflate` wheel) compresses a whole file, the
# packager streams through zlib (the base's libz): a tree with both exercises both compressors.
BIG = 33 * 1024 * 1024


def big_file() -> bytes:
    """33 MiB of text that compresses (about 2:1), reproducibly, with no run longer than a line."""
    lines = (
        f"{i:08d} {hashlib.sha256(str(i).encode()).hexdigest()}\n" for i in range(BIG // 74 + 1)
    )
    return "".join(lines).encode()[:BIG]


def test_one_tree_one_zip_on_every_architecture(
    images: list[Image], workspace: Path, tmp_path: Path
) -> None:
    """A runner of either architecture publishes the same bytes for the same tree, so
    `if-unchanged` and package_md5 hold across a mixed fleet of runners."""
    make_tree(workspace / "deps", {**TREE, "python/data/model.bin": big_file()})
    inputs = {"name": "demo-deps", "runtime": "Python3.9", "path": "deps", "dry-run": "true"}
    md5s: dict[Arch, str] = {}
    for image in images:
        run = run_container(image, workspace, inputs, tmp=tmp_path / image.arch)
        assert run.returncode == 0, run.log
        package = on_host(run, run.outputs["package_path"])
        assert hashlib.md5(package.read_bytes()).hexdigest() == run.outputs["package_md5"]
        with zipfile.ZipFile(package) as zipped:
            big = zipped.getinfo("python/data/model.bin")
            assert big.file_size == BIG
            assert big.compress_type == zipfile.ZIP_DEFLATED and big.compress_size < BIG * 0.7
            assert zipped.testzip() is None
        md5s[image.arch] = run.outputs["package_md5"]
    assert set(md5s) == set(ARCHES)
    assert len(set(md5s.values())) == 1, f"one tree zipped differently by architecture: {md5s}"


@pytest.mark.parametrize("arch", ARCHES)
def test_locked_dependencies_are_wheels_for_every_architecture(arch: Arch, tmp_path: Path) -> None:
    """requirements.lock installs with --require-hashes from wheels alone on either runner, for
    the image's CPython 3.13 and every manylinux tag that trixie's glibc (2.41) accepts."""
    lock = ROOT / "requirements.lock"
    machine = MACHINE[arch]
    # pip expands no manylinux_2_X tag to the older ones that the same glibc runs.
    platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(41, 16, -1)]
    platforms.append(f"manylinux2014_{machine}")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            "3.13",
            *(arg for platform in platforms for arg in ("--platform", platform)),
            "--dest",
            str(tmp_path),
            "-r",
            str(lock),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"the lock does not install on {arch}:\n{done.stderr[-4000:]}"
    wheels = sorted(path.name for path in tmp_path.iterdir())
    assert all(name.endswith(".whl") for name in wheels), wheels
    assert _names([name.split("-")[0] for name in wheels]) == _names(lock.read_text().splitlines())
    # The compiled ones are this architecture's builds (libdeflate among them), not another's.
    compiled = [name for name in wheels if not name.endswith("-none-any.whl")]
    assert any(name.startswith("deflate-") for name in compiled), compiled
    assert all(machine in name for name in compiled), compiled


def test_an_index_of_these_images_is_what_the_release_pins(
    images: list[Image], tmp_path: Path
) -> None:
    """The images built here, gathered in one OCI image index as a registry serves it: the
    release's check (scripts/pin_image.py) accepts its digest when it has both architectures,
    and names the one missing otherwise."""
    pin_image = load_script("pin_image")
    arch = images[0].arch
    index = f"localhost/fgs-dependency-action:index-{uuid.uuid4().hex[:8]}"
    container("podman", "manifest", "create", index, arch=arch)
    try:
        for image in images:
            container(
                "podman", "manifest", "add", index, f"containers-storage:{image.tag}", arch=arch
            )
        layout, digest_file = tmp_path / "layout", tmp_path / "digest"
        container(
            "podman",
            "manifest",
            "push",
            "--quiet",
            "--all",
            "--format",
            "oci",
            "--digestfile",
            str(digest_file),
            index,
            f"oci:{layout}:index",
            arch=arch,
            timeout=600,
        )
    finally:
        container("podman", "manifest", "rm", index, arch=arch)
    digest = digest_file.read_text().strip()
    raw = (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()
    if {image.arch for image in images} == {"amd64", "arm64"}:
        platforms = pin_image.index_platforms(raw, digest)
        assert sorted(platforms) == ["linux/amd64", "linux/arm64"]
    else:
        with pytest.raises(pin_image.PinError, match="no image for linux/"):
            pin_image.index_platforms(raw, digest)


def test_a_changed_recipe_names_another_stand_in_tarball(tmp_path: Path) -> None:
    """The stand-in tarballs kept in /var/tmp are named by a hash of the recipe that made them
    (and the architecture): a changed recipe is never served an old tarball, and a changed
    comment costs no new debootstrap."""
    script = CONTAINER_SH.read_text()
    include = "--include=python3,python3-venv,ca-certificates"
    variants = {
        "as it is": script,
        "another package": script.replace(include, include + ",curl"),
        "another comment": script.replace("# python and pip on PATH", "# pip and python on PATH"),
    }
    assert len(set(variants.values())) == 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_STANDIN_")}
    names: dict[tuple[str, Arch], str] = {}
    for variant, text in variants.items():
        copy = tmp_path / variant.replace(" ", "-") / "scripts" / "container.sh"
        copy.parent.mkdir(parents=True)
        copy.write_text(text)
        for arch in get_args(Arch):
            names[variant, arch] = subprocess.run(
                ["bash", str(copy), "tarball"],
                env={**env, "FGS_ARCH": arch},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
    assert names["as it is", "arm64"].startswith("/var/tmp/fgs-dependency/python-standin-arm64-")
    for arch in get_args(Arch):
        assert names["another package", arch] != names["as it is", arch]
        assert names["another comment", arch] == names["as it is", arch]
    assert names["as it is", "amd64"] != names["as it is", "arm64"]
