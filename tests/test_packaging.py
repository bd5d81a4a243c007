"""Packaging: deterministic bytes, the zip's layout, what is left out, and the service's rules."""

import hashlib
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from helpers import make_tree, run_action

from fgs_dependency import packaging
from fgs_dependency.errors import ActionError, InputError
from fgs_dependency.packaging import compress

FILES = {
    "requests/__init__.py": "from .api import get\n" * 50,
    "requests/api.py": "def get(url):\n    return url\n",
    "bin/tool": "#!/bin/sh\necho tool\n",
    "data/blob.bin": os.urandom(300_000),  # does not shrink: stored
    "données/é.txt": "unicode names\n",
    # Over the size up to which a file is read whole: streamed through zlib and a spool, so
    # that path's bytes are held to the same rules (layout, determinism, time zones).
    "big/large.txt": "line of a large file\n" * (compress._WHOLE_FILE // 21 + 50_000),
}
assert len(FILES["big/large.txt"]) > compress._WHOLE_FILE


def build(root: Path, tmp: Path, **kw: object) -> packaging.Package:
    options: dict[str, object] = {
        "exclude": (),
        "prefix": "",
        "destination": tmp / "out.zip",
        "source_date_epoch": None,
        "path_input": ".",
    }
    options.update(kw)
    return packaging.build(root, **options)  # type: ignore[arg-type]


def copy_tree(files: dict[str, bytes | str], root: Path, order: list[str], mtime: int) -> Path:
    for name in order:
        make_tree(root, {name: files[name]})
        os.utime(root / name, (mtime, mtime))
    (root / "bin/tool").chmod(0o755)
    return root


def test_same_files_give_identical_bytes(tmp_path: Path) -> None:
    names = list(FILES)
    old_umask = os.umask(0o077)
    try:
        first = copy_tree(FILES, tmp_path / "a", names, 1_000_000_000)
    finally:
        os.umask(old_umask)
    second = copy_tree(FILES, tmp_path / "b", list(reversed(names)), 1_700_000_000)
    (second / "requests/api.py").chmod(0o664)
    zip_a = build(first, tmp_path, destination=tmp_path / "a.zip")
    zip_b = build(second, tmp_path, destination=tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert zip_a.md5 == zip_b.md5 == hashlib.md5((tmp_path / "a.zip").read_bytes()).hexdigest()
    assert zip_a.size == (tmp_path / "a.zip").stat().st_size


def test_time_zone_does_not_change_the_bytes(tmp_path: Path, workspace: Path) -> None:
    copy_tree(FILES, workspace / "deps", list(FILES), 1_600_000_000)
    md5s = set()
    for zone in ("UTC", "Asia/Shanghai", "America/Los_Angeles"):
        run = run_action(
            workspace,
            {"name": "tz", "runtime": "Python3.9", "path": "deps", "dry-run": "true"},
            {"TZ": zone},
            tmp=tmp_path / zone.replace("/", "_"),
        )
        assert run.returncode == 0, run.log
        md5s.add(run.outputs["package_md5"])
    assert len(md5s) == 1


def test_zip_layout(tmp_path: Path) -> None:
    root = copy_tree(FILES, tmp_path / "src", list(FILES), 1_600_000_000)
    package = build(root, tmp_path, prefix="python")
    with zipfile.ZipFile(package.path) as archive:
        infos = archive.infolist()
        assert archive.testzip() is None
        assert [i.filename for i in infos] == sorted(
            (f"python/{n}" for n in FILES), key=lambda n: n.encode()
        )
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.create_system == 3
            assert info.extra == b""
            assert info.flag_bits & 0x800
            mode = info.external_attr >> 16
            assert mode == (0o100755 if info.filename.endswith("bin/tool") else 0o100644)
            assert archive.read(info) == (
                FILES[info.filename.removeprefix("python/")]
                if isinstance(FILES[info.filename.removeprefix("python/")], bytes)
                else FILES[info.filename.removeprefix("python/")].encode()  # type: ignore[union-attr]
            )
        methods = {i.filename: i.compress_type for i in infos}
    assert methods["python/data/blob.bin"] == zipfile.ZIP_STORED
    assert methods["python/requests/__init__.py"] == zipfile.ZIP_DEFLATED
    assert methods["python/big/large.txt"] == zipfile.ZIP_DEFLATED
    assert package.file_count == len(FILES)
    assert package.largest[0][0] == "python/big/large.txt"


def test_info_zip_agrees(tmp_path: Path) -> None:
    root = copy_tree(FILES, tmp_path / "src", list(FILES), 1_600_000_000)
    package = build(root, tmp_path)
    listing = subprocess.run(
        ["unzip", "-Z", "-l", str(package.path)], capture_output=True, text=True, check=True
    ).stdout
    assert "-rwxr-xr-x" in listing
    assert "unx" in listing
    check = subprocess.run(["unzip", "-t", str(package.path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [
        (1_700_000_000, (2023, 11, 14, 22, 13, 20)),
        (0, (1980, 1, 1, 0, 0, 0)),  # clamped up to the DOS epoch
        (5_000_000_000, (2107, 12, 31, 23, 59, 58)),  # clamped down
    ],
)
def test_source_date_epoch(tmp_path: Path, epoch: int, expected: tuple[int, ...]) -> None:
    root = make_tree(tmp_path / "src", {"a.py": "x"})
    package = build(root, tmp_path, source_date_epoch=epoch)
    with zipfile.ZipFile(package.path) as archive:
        assert archive.infolist()[0].date_time == expected


def test_exclude_patterns_and_vcs_folders(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path / "src",
        {
            "keep.py": "k",
            "tests/test_a.py": "t",
            "docs/readme.md": "d",
            "docs/keep.md": "k",
            "pkg/a.pyc": "c",
            "pkg/b.py": "b",
            ".git/config": "g",
            "sub/.hg/store": "h",
            ".svn/entries": "s",
            ".gitignore": "i",
        },
    )
    package = build(root, tmp_path, exclude=("tests/", "docs/*", "!docs/keep.md", "*.pyc"))
    assert package.names == (".gitignore", "docs/keep.md", "keep.py", "pkg/b.py")


def test_symlinks_inside_are_stored_as_files(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"lib/real.js": "module.exports = 1\n"})
    (root / ".bin").mkdir()
    (root / ".bin/tool").symlink_to("../lib/real.js")
    (root / "alias").symlink_to("lib", target_is_directory=True)
    package = build(root, tmp_path)
    with zipfile.ZipFile(package.path) as archive:
        assert archive.namelist() == [".bin/tool", "alias/real.js", "lib/real.js"]
        assert archive.read(".bin/tool") == b"module.exports = 1\n"


@pytest.mark.parametrize(
    ("make_link", "words"),
    [
        (lambda root, outside: (root / "out").symlink_to(outside / "secret.txt"), "outside"),
        (lambda root, outside: (root / "gone").symlink_to(root / "missing"), "does not exist"),
        (lambda root, outside: (root / "sub" / "up").symlink_to(root), "loops"),
        (lambda root, outside: (root / "self").symlink_to("self"), "loops"),
        (lambda root, outside: (root / "etc").symlink_to("/etc"), "outside"),
    ],
)
def test_bad_symlinks_are_errors_that_name_them(tmp_path: Path, make_link, words: str) -> None:  # type: ignore[no-untyped-def]
    outside = make_tree(tmp_path / "outside", {"secret.txt": "do not read"})
    root = make_tree(tmp_path / "src", {"sub/a.py": "a"})
    make_link(root, outside)
    with pytest.raises(ActionError, match=words):
        build(root, tmp_path)


def test_service_rules(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no files"):
        build(make_tree(tmp_path / "empty", {".git/x": "only vcs"}), tmp_path)
    with pytest.raises(ActionError, match=r"ending in '~'.*'a\.py~'"):
        build(make_tree(tmp_path / "tilde", {"a.py~": "backup", "a.py": "a"}), tmp_path)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(packaging.MAX_FILES + 1):
        (many / f"{i}").touch()
    with pytest.raises(ActionError, match="30,001 files; FunctionGraph accepts at most 30,000"):
        build(many, tmp_path)


def test_non_regular_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"a.py": "a"})
    os.mkfifo(root / "pipe")
    package = build(root, tmp_path)
    assert package.names == ("a.py",)
    assert any("'pipe' is not a regular file" in w for w in package.warnings)


def test_ready_zip_is_sent_as_is(tmp_path: Path) -> None:
    ready = tmp_path / "ready.zip"
    with zipfile.ZipFile(ready, "w") as archive:
        archive.writestr("python/mod.py", "x = 1\n")
        archive.writestr("python/", "")
    package = packaging.inspect_ready_zip(ready, "ready.zip")
    assert package.md5 == hashlib.md5(ready.read_bytes()).hexdigest()
    assert package.file_count == 1
    assert package.path == ready


@pytest.mark.parametrize("bad_name", ["../evil.py", "/etc/passwd", "a/../../b", "C:/win.ini"])
def test_ready_zip_with_escaping_names_is_refused(tmp_path: Path, bad_name: str) -> None:
    ready = tmp_path / "ready.zip"
    with zipfile.ZipFile(ready, "w") as archive:
        archive.writestr("ok.py", "x")
        archive.writestr(bad_name, "y")
    with pytest.raises(InputError, match="would unpack outside"):
        packaging.inspect_ready_zip(ready, "ready.zip")


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_text("not a zip")
    with pytest.raises(InputError, match="not a valid zip"):
        packaging.inspect_ready_zip(fake, "fake.zip")


@pytest.mark.parametrize("path", ["../..", "/etc", "link-out", "missing"])
def test_path_must_stay_in_the_workspace(tmp_path: Path, path: str) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "link-out").symlink_to(tmp_path)
    with pytest.raises(InputError, match="Input 'path'"):
        packaging.locate_source(workspace, path)
