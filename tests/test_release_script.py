"""scripts/pin_image.py: the release commit's action.yml points at the pushed image."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, load_script

SCRIPT = ROOT / "scripts" / "pin_image.py"
pin_image = load_script("pin_image")

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


OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _descriptor(n: int, platform: dict[str, str], **extra: object) -> dict[str, object]:
    digest = "sha256:" + hashlib.sha256(str(n).encode()).hexdigest()
    return {
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": 1000 + n,
        "platform": platform,
        **extra,
    }


def index(*platforms: str, attestations: bool = True, media_type: str = OCI_INDEX) -> bytes:
    """An image index laid out as docker/build-push-action pushes it with sbom and provenance:
    one manifest per platform, then one unknown/unknown attestation manifest for each."""
    manifests = []
    for n, name in enumerate(platforms):
        os_, arch, *variant = name.split("/")
        platform = {"architecture": arch, "os": os_} | ({"variant": variant[0]} if variant else {})
        manifests.append(_descriptor(n, platform))
    if attestations:
        for n, image in enumerate(list(manifests)):
            manifests.append(
                _descriptor(
                    100 + n,
                    {"architecture": "unknown", "os": "unknown"},
                    annotations={
                        "vnd.docker.reference.digest": image["digest"],
                        "vnd.docker.reference.type": "attestation-manifest",
                    },
                )
            )
    return json.dumps(
        {"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}, indent=2
    ).encode()


def digest_of(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


MULTI_ARCH = index("linux/amd64", "linux/arm64")
INDEX_DIGEST = digest_of(MULTI_ARCH)


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


# The image and the index's digest the release pins.
PIN = ("--image", IMAGE, "--digest", INDEX_DIGEST)


def run_with_index(
    tmp_path: Path, index_bytes: bytes, target: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """The script with `args` on `target`, reading the image index from a file."""
    (tmp_path / "index.json").write_bytes(index_bytes)
    return run_script(*args, "--index", str(tmp_path / "index.json"), str(target))


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


def test_the_index_of_both_runner_architectures_is_accepted() -> None:
    platforms = pin_image.index_platforms(MULTI_ARCH, INDEX_DIGEST)
    assert platforms == ["linux/amd64", "linux/arm64"]
    # The arm64 variant v8, the Docker manifest list type, and no attestations are fine too.
    raw = index(
        "linux/amd64",
        "linux/arm64/v8",
        attestations=False,
        media_type="application/vnd.docker.distribution.manifest.list.v2+json",
    )
    assert pin_image.index_platforms(raw, digest_of(raw)) == ["linux/amd64", "linux/arm64/v8"]


@pytest.mark.parametrize(
    ("raw", "digest", "message"),
    [
        # A digest that is not this file's: another image, or bytes re-formatted on the way.
        (MULTI_ARCH, OTHER, "not the manifest of"),
        (MULTI_ARCH + b"\n", INDEX_DIGEST, "not the manifest of"),
        # The amd64-only image of earlier releases: arm64 runners would fail.
        (index("linux/amd64"), None, "no image for linux/arm64"),
        (index("linux/arm64", attestations=False), None, "no image for linux/amd64"),
        (index("linux/arm/v7", "linux/amd64"), None, "no image for linux/arm64"),
        # One platform's image manifest rather than the index.
        (
            json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST}).encode(),
            None,
            "not a multi-arch index",
        ),
        (b"[]", None, "not a multi-arch index"),
        (b"\x89PNG", None, "not JSON"),
    ],
    ids=[
        "other-digest",
        "reformatted",
        "amd64-only",
        "arm64-only",
        "arm-v7",
        "manifest",
        "list",
        "binary",
    ],
)
def test_indexes_that_would_break_a_runner_are_refused(
    raw: bytes, digest: str | None, message: str
) -> None:
    with pytest.raises(pin_image.PinError, match=message):
        pin_image.index_platforms(raw, digest or digest_of(raw))


def test_command_line_rewrites_the_file(tmp_path: Path) -> None:
    target = tmp_path / "action.yml"
    original = (ROOT / "action.yml").read_bytes()
    target.write_bytes(original)
    done = run_with_index(tmp_path, MULTI_ARCH, target, *PIN)
    assert done.returncode == 0, done.stderr
    reference = f"docker://{IMAGE}@{INDEX_DIGEST}"
    assert f"{reference} (linux/amd64, linux/arm64)" in done.stdout
    assert target.read_bytes() == original.replace(
        b"  image: Dockerfile\n", f"  image: {reference}\n".encode()
    )


@pytest.mark.parametrize(
    ("args", "index_bytes", "message"),
    [
        (("--image", IMAGE, "--digest", "sha256:abc"), MULTI_ARCH, "digest"),
        (("--image", "ghcr.io/Acme/Repo", "--digest", INDEX_DIGEST), MULTI_ARCH, "image"),
        (("--image", IMAGE, "--digest", DIGEST), MULTI_ARCH, "not the manifest of"),
        (
            ("--image", IMAGE, "--digest", digest_of(index("linux/amd64"))),
            index("linux/amd64"),
            "no image for linux/arm64",
        ),
    ],
    ids=["digest", "image", "other-index", "amd64-only"],
)
def test_command_line_refuses_and_leaves_the_file_alone(
    tmp_path: Path, args: tuple[str, ...], index_bytes: bytes, message: str
) -> None:
    target = tmp_path / "action.yml"
    target.write_text(SAMPLE)
    done = run_with_index(tmp_path, index_bytes, target, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("pin_image: ")
    assert message in done.stderr
    assert target.read_text() == SAMPLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["action.yml", "index.json"]


def test_command_line_needs_the_index(tmp_path: Path) -> None:
    target = tmp_path / "action.yml"
    target.write_text(SAMPLE)
    done = run_script(*PIN, str(target))
    assert done.returncode == 2
    assert "--index" in done.stderr
    assert target.read_text() == SAMPLE


def test_command_line_missing_file(tmp_path: Path) -> None:
    done = run_with_index(tmp_path, MULTI_ARCH, tmp_path / "nope.yml", *PIN)
    assert done.returncode == 2
    assert "nope.yml" in done.stderr
