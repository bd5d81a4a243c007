"""'requirements': when no wheel fits the target, the error says what would: the platforms that
do have wheels for the release, the 'platform' value that takes them, a release with a wheel
for this Python and platform, or the Python a release needs. The action reads the index's
simple page itself for this (uv only says "has no usable wheels"); the tests' own index
(tests/wheelhouse.py) has releases shaped like numpy 2.3.0, PyYAML 5.3.1 and numpy>=2.1 on
Python 3.9."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import assert_no_secrets, executed
from test_requirements import build, error_text, zip_of
from wheelhouse import Index, build_wheelhouse, serve_index

USER, PASSWORD = "hint-reader", "S3cret-of-the-hint-index"


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="module")
def json_index(wheelhouse: Path) -> Iterator[Index]:
    """PEP 691 JSON to those who ask for it, behind a password."""
    with serve_index(wheelhouse, (USER, PASSWORD), json_api=True) as served:
        yield served


@pytest.fixture(scope="module")
def html_index(wheelhouse: Path) -> Iterator[Index]:
    """PEP 503 HTML only."""
    with serve_index(wheelhouse) as served:
        yield served


def test_wheels_for_a_newer_glibc_suggest_the_platform(
    json_index: Index, workspace: Path, tmp_path: Path
) -> None:
    run = build(workspace, tmp_path, "newplat==2.0\n", json_index.url, runtime="Python3.12")
    error = error_text(run)
    assert "newplat 2.0" in error and "Python 3.12 on x86_64-manylinux2014" in error
    for platform in ("manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "macosx_11_0_arm64"):
        assert platform in error
    assert "platform: x86_64-manylinux_2_28" in error
    assert "newplat==1.0" in error  # the older release with a manylinux2014 wheel
    assert "only a source distribution" not in error
    # The index's password: used for the lookup, shown nowhere.
    assert PASSWORD in [c.data for c in executed(run.log) if c.name == "add-mask"]
    assert_no_secrets(run, (PASSWORD, f"{USER}:{PASSWORD}"))
    # The suggestion is right: with that platform the same file installs.
    again = build(workspace, tmp_path / "again", "newplat==2.0\n", json_index.url,
                  runtime="Python3.12", platform="x86_64-manylinux_2_28")  # fmt: skip
    with zip_of(again) as zipped:
        assert "manylinux_2_28_x86_64" in zipped.read("newplat/__init__.py").decode()


def test_windows_only_wheels_name_a_release_that_fits(
    html_index: Index, workspace: Path, tmp_path: Path
) -> None:
    run = build(workspace, tmp_path, "winonly==5.3.1\n", html_index.url)
    error = error_text(run)
    assert "winonly 5.3.1" in error and "Python 3.9 on x86_64-manylinux2014" in error
    assert "win_amd64" in error and "win32" in error
    assert "winonly==5.2" in error
    assert "platform:" not in error  # no Linux wheel: no platform value takes it
    assert "only a source distribution" not in error


def test_a_release_for_newer_pythons_says_which_python_it_needs(
    json_index: Index, workspace: Path, tmp_path: Path
) -> None:
    run = build(workspace, tmp_path, "newpython>=2\n", json_index.url, runtime="Python3.9")
    error = error_text(run)
    assert "Python >=3.10" in error or "Python >=3.11" in error
    assert "Python 3.9" in error
    assert "newpython==1.0" in error  # the newest release that fits Python 3.9
    assert "cannot be installed together" not in error


@pytest.mark.parametrize("failure", ["error", "garbage"])
def test_an_unreadable_index_page_keeps_the_plain_message(
    failure: str, wheelhouse: Path, workspace: Path, tmp_path: Path
) -> None:
    """uv read the page; the action's own lookup gets an error or a page that is not JSON:
    the step fails as before, with the message it gave before."""
    with serve_index(wheelhouse, json_api=True, fail_others=failure) as index:
        run = build(workspace, tmp_path, "newplat==2.0\n", index.url, runtime="Python3.12")
        error = error_text(run)
        assert any(path.startswith("/simple/newplat") for path in index.requests)
    assert "newplat 2.0 has only a source distribution, no wheel" in error
    assert "platform: x86_64" not in error
