"""Packaging internals: the bytes do not depend on how the work is split among threads,
files over the whole-file limit are streamed, and a file that changes is caught."""

import os
import zipfile
from pathlib import Path

import pytest
from helpers import make_tree

from fgs_dependency import packaging
from fgs_dependency.errors import ActionError
from fgs_dependency.packaging import compress, zipwrite


def files() -> dict[str, bytes | str]:
    tree: dict[str, bytes | str] = {
        f"pkg{i % 7}/mod{i:03d}.py": f"VALUE_{i} = {i}\n" * (i % 50 + 1) for i in range(300)
    }
    tree["big/text.txt"] = "a line of text that repeats\n" * 100_000  # 2.8 MB: compressed
    tree["big/random.bin"] = os.urandom(1_500_000)  # does not shrink: stored
    tree["empty"] = b""
    return tree


def build(root: Path, destination: Path) -> packaging.Package:
    return packaging.build(
        root,
        exclude=(),
        prefix="python",
        destination=destination,
        source_date_epoch=None,
        path_input=".",
    )


def test_thread_and_batch_settings_do_not_change_the_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "src", files())
    reference = build(root, tmp_path / "reference.zip")
    for workers, batch, ahead in ((1, 1, 1), (3, 10_000, 2), (2, 1 << 30, 1 << 30)):
        monkeypatch.setattr(zipwrite, "_workers", lambda w=workers: w)
        monkeypatch.setattr(zipwrite, "_BATCH_BYTES", batch)
        monkeypatch.setattr(zipwrite, "_AHEAD_BYTES", ahead)
        monkeypatch.setattr(zipwrite, "_AHEAD_BATCHES", ahead)
        other = build(root, tmp_path / f"{workers}.zip")
        assert (tmp_path / f"{workers}.zip").read_bytes() == reference.path.read_bytes()
        assert other.md5 == reference.md5


def test_files_over_the_whole_file_limit_are_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compress, "_WHOLE_FILE", 1_000_000)
    content = files()
    package = build(make_tree(tmp_path / "src", content), tmp_path / "out.zip")
    with zipfile.ZipFile(package.path) as archive:
        assert archive.testzip() is None
        methods = {i.filename: i.compress_type for i in archive.infolist()}
        assert archive.read("python/big/random.bin") == content["big/random.bin"]
        assert archive.read("python/big/text.txt") == str(content["big/text.txt"]).encode()
    assert methods["python/big/text.txt"] == zipfile.ZIP_DEFLATED
    assert methods["python/big/random.bin"] == zipfile.ZIP_STORED
    assert methods["python/empty"] == zipfile.ZIP_STORED


@pytest.mark.parametrize("whole_file", [compress._WHOLE_FILE, 10])
@pytest.mark.parametrize("change", [b"more", b""])
def test_a_file_that_changes_size_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whole_file: int, change: bytes
) -> None:
    monkeypatch.setattr(compress, "_WHOLE_FILE", whole_file)
    root = make_tree(tmp_path / "src", {"a.py": "x = 1\n" * 10})
    entries, _ = packaging.collect(root, (), "")
    (root / "a.py").write_bytes(b"x = 1\n" * 10 + change if change else b"x")
    with pytest.raises(ActionError, match=r"'a\.py' changed size while it was being packaged"):
        packaging.write_zip(entries, tmp_path / "out.zip", (0, 33))


def test_entries_come_out_in_byte_order_with_prefix_and_symlinks(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "src", {"a-b": "1", "a/x": "2", "ab/y": "3", "é": "4", "z": "5"})
    (root / "link").symlink_to("a", target_is_directory=True)
    entries, _ = packaging.collect(root, (), "p")
    names = [e.name for e in entries]
    assert names == sorted(names, key=str.encode)
    assert names == ["p/a-b", "p/a/x", "p/ab/y", "p/link/x", "p/z", "p/é"]
