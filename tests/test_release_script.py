"""scripts/pin_image.py: the release commit's action.yml points at the pushed image."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "pin_image.py"
_spec = importlib.util.spec_from_file_location("pin_image", SCRIPT)
assert _spec and _spec.loader
pin_image = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pin_image)

IMAGE = "ghcr.io/acme/fgs-dependency-action"
DIGEST = "sha256:" + "0123456789abcdef" * 4
OTHER = "sha256:" + "fedcba9876543210" * 4
REFERENCE = f"docker://{IMAGE}@{DIGEST}"

SAMPLE = """\
name: Sample  # a comment
description: 'image: not this one'
inputs:
  image:
    description: An input called image, which must stay as it is.
    default: Dockerfile
runs:
  # the build
  using: docker
  image: Dockerfile   # built on every job until a release pins it
  env:
    image: keep-me
  args: ["--flag"]
"""


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_only_the_image_value_changes() -> None:
    after = pin_image.pin(SAMPLE, REFERENCE)
    assert changed_lines(SAMPLE, after) == [
        (
            "  image: Dockerfile   # built on every job until a release pins it",
            f"  image: {REFERENCE}   # built on every job until a release pins it",
        )
    ]
    data = yaml.safe_load(after)
    assert data["runs"]["image"] == REFERENCE
    assert data["inputs"]["image"]["default"] == "Dockerfile"
    assert data["runs"]["env"]["image"] == "keep-me"


def test_the_real_action_yml_is_pinned_byte_for_byte() -> None:
    text = (ROOT / "action.yml").read_text()
    after = pin_image.pin(text, REFERENCE)
    assert changed_lines(text, after) == [("  image: Dockerfile", f"  image: {REFERENCE}")]
    old, new = yaml.safe_load(text), yaml.safe_load(after)
    assert new["runs"].pop("image") == REFERENCE
    old["runs"].pop("image")
    assert new == old


def test_repinning_replaces_the_previous_digest() -> None:
    once = pin_image.pin(SAMPLE, REFERENCE)
    twice = pin_image.pin(once, f"docker://{IMAGE}@{OTHER}")
    assert twice == SAMPLE.replace("image: Dockerfile", f"image: docker://{IMAGE}@{OTHER}")


@pytest.mark.parametrize("quote", ['"', "'"])
def test_quoting_is_kept(quote: str) -> None:
    text = SAMPLE.replace("image: Dockerfile", f"image: {quote}Dockerfile{quote}")
    after = pin_image.pin(text, REFERENCE)
    assert f"  image: {quote}{REFERENCE}{quote}   #" in after
    assert yaml.safe_load(after)["runs"]["image"] == REFERENCE


def test_crlf_line_endings_are_kept() -> None:
    text = SAMPLE.replace("\n", "\r\n")
    after = pin_image.pin(text, REFERENCE)
    assert after == pin_image.pin(SAMPLE, REFERENCE).replace("\n", "\r\n")


@pytest.mark.parametrize(
    "digest",
    [
        "0123456789abcdef" * 4,  # no algorithm
        "sha256:" + "0123456789ABCDEF" * 4,  # upper case
        "sha256:" + "0123456789abcdef" * 3,  # short
        "sha256:" + "0123456789abcdef" * 4 + "0",  # long
        "sha512:" + "0123456789abcdef" * 8,
        "sha256:" + "0123456789abcdeg" * 4,
        "latest",
        "",
        "sha256:" + "0123456789abcdef" * 4 + "\n",
    ],
)
def test_bad_digests_are_refused(digest: str) -> None:
    with pytest.raises(pin_image.PinError, match="digest"):
        pin_image.image_reference(IMAGE, digest)


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/Acme/fgs-dependency-action",  # upper case
        "ghcr.io/acme/fgs-dependency-action:v1",  # a tag
        f"ghcr.io/acme/fgs-dependency-action@{DIGEST}",  # already a digest
        "docker://ghcr.io/acme/fgs-dependency-action",  # a scheme
        "acme/fgs-dependency-action",  # no registry
        "ghcr.io",
        "ghcr.io/",
        "ghcr.io/acme//x",
        "",
        "ghcr.io/acme/x y",
    ],
)
def test_bad_images_are_refused(image: str) -> None:
    with pytest.raises(pin_image.PinError, match="image"):
        pin_image.image_reference(image, DIGEST)


def test_good_references() -> None:
    assert pin_image.image_reference(IMAGE, DIGEST) == REFERENCE
    assert pin_image.image_reference("localhost:5000/a/b_c.d-e", DIGEST).startswith(
        "docker://localhost:5000/a/b_c.d-e@sha256:"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SAMPLE.replace("runs:", "run:"), "top-level `runs:`"),
        (
            SAMPLE.replace("  image: Dockerfile", "  image: Dockerfile\n  image: again"),
            "exactly one",
        ),
        (
            SAMPLE.replace("  image: Dockerfile   # built", "  # image: Dockerfile   # built"),
            "exactly one",
        ),
        (SAMPLE.replace("using: docker", "using: node20"), "not docker"),
        (SAMPLE.replace("image: Dockerfile", "image: >-\n    Dockerfile"), "single-line"),
        ("runs: {using: docker, image: Dockerfile}\n", "exactly one"),
    ],
)
def test_files_that_cannot_be_rewritten_safely(text: str, message: str) -> None:
    with pytest.raises(pin_image.PinError, match=message):
        pin_image.pin(text, REFERENCE)


def test_command_line_rewrites_the_file(tmp_path: Path) -> None:
    target = tmp_path / "action.yml"
    original = (ROOT / "action.yml").read_bytes()
    target.write_bytes(original)
    done = run_script("--image", IMAGE, "--digest", DIGEST, str(target))
    assert done.returncode == 0, done.stderr
    assert REFERENCE in done.stdout
    assert target.read_bytes() == original.replace(
        b"  image: Dockerfile\n", f"  image: {REFERENCE}\n".encode()
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--image", IMAGE, "--digest", "sha256:abc"),
        ("--image", "ghcr.io/Acme/Repo", "--digest", DIGEST),
    ],
)
def test_command_line_refuses_and_leaves_the_file_alone(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    target = tmp_path / "action.yml"
    target.write_text(SAMPLE)
    done = run_script(*args, str(target))
    assert done.returncode == 2
    assert done.stderr.startswith("pin_image: ")
    assert target.read_text() == SAMPLE
    assert [p.name for p in tmp_path.iterdir()] == ["action.yml"]


def test_command_line_missing_file(tmp_path: Path) -> None:
    done = run_script("--image", IMAGE, "--digest", DIGEST, str(tmp_path / "nope.yml"))
    assert done.returncode == 2
    assert "nope.yml" in done.stderr
