"""Point `runs.image` of action.yml at a prebuilt multi-arch image by digest, for a release commit.

    python scripts/pin_image.py --image ghcr.io/OWNER/REPO --digest sha256:<64 hex> \
        --index INDEX.json [FILE]

INDEX.json is the manifest the registry serves for the digest, byte for byte
(`docker buildx imagetools inspect --raw IMAGE@DIGEST`). The digest is pinned only if it is
that file's SHA-256 and the file is an image index (a manifest list) with an image for every
platform in PLATFORMS: Docker container actions run on x64 and arm64 Linux runners, and a
runner given an image without its platform fails with an exec format error.

Only the value of the `image:` line directly under `runs:` changes; every other byte of the
file (comments, quoting of other values, line endings, the rest of `runs`) is kept. The
image name must be a lowercase registry path without tag or digest, the digest
`sha256:` and 64 lowercase hex digits; anything else is refused with exit code 2 and the
file is left alone. Re-pinning an already pinned file replaces the old reference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# registry host (with a dot or a port, or localhost) then one or more lowercase path
# components, as Docker's reference grammar allows; no tag, no digest, no scheme.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]+)?)"
IMAGE = re.compile(rf"{_HOST}(?:/{_COMPONENT})+")
_TOP_LEVEL_RUNS = re.compile(r"runs:[ \t]*(?:#.*)?")
_IMAGE_LINE = re.compile(
    r"(?P<indent>[ \t]+)image:(?P<gap>[ \t]+)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s#'\"|>&*!\[{%@`][^#]*?)"
    r"(?P<tail>[ \t]+#.*|[ \t]*)"
)


PLATFORMS = ("linux/amd64", "linux/arm64")
_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


class PinError(ValueError):
    """The arguments or the file do not allow a safe rewrite."""


def image_reference(image: str, digest: str) -> str:
    """`docker://IMAGE@DIGEST`, after checking both parts."""
    if not DIGEST.fullmatch(digest):
        raise PinError(f"digest {digest!r} is not sha256: followed by 64 lowercase hex digits")
    host = image.partition("/")[0]
    if not IMAGE.fullmatch(image) or not ("." in host or ":" in host or host == "localhost"):
        raise PinError(
            f"image {image!r} is not a lowercase registry path such as ghcr.io/owner/repo "
            "(no scheme, tag or digest)"
        )
    return f"docker://{image}@{digest}"


def index_platforms(raw: bytes, digest: str) -> list[str]:
    """The platforms of the image index `raw`, after checking that it is the manifest `digest`
    names and that it has an image for each of PLATFORMS."""
    actual = "sha256:" + hashlib.sha256(raw).hexdigest()
    if actual != digest:
        raise PinError(
            f"the index file is not the manifest of {digest} (its SHA-256 is {actual}): "
            "pass the registry's bytes unchanged (`docker buildx imagetools inspect --raw`)"
        )
    try:
        index: Any = json.loads(raw)
    except ValueError as err:
        raise PinError(f"the index file is not JSON: {err}") from err
    media_type = index.get("mediaType") if isinstance(index, dict) else None
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if media_type not in _INDEX_TYPES or not isinstance(manifests, list):
        raise PinError(
            f"{digest} is a single image ({media_type or 'no mediaType'}), not a multi-arch "
            f"index: runners of the other architecture would fail; build {', '.join(PLATFORMS)}"
        )
    platforms = []
    for entry in manifests:
        if not isinstance(entry, dict) or not isinstance(entry.get("platform"), dict):
            continue
        platform, annotations = entry["platform"], entry.get("annotations") or {}
        # Buildx lists its provenance and SBOM as unknown/unknown attestation manifests.
        if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
            continue
        name = f"{platform.get('os')}/{platform.get('architecture')}"
        if platform.get("variant"):
            name += f"/{platform['variant']}"
        platforms.append(name)
    # arm64 images may carry the variant v8; a runner accepts them as linux/arm64.
    present = {p.removesuffix("/v8") for p in platforms}
    missing = [p for p in PLATFORMS if p not in present]
    if missing:
        raise PinError(
            f"the index {digest} has no image for {', '.join(missing)} (it has "
            f"{', '.join(platforms) or 'none'}): runners of that architecture would fail"
        )
    return platforms


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def pin(text: str, reference: str) -> str:
    """`text` with the value of `runs.image` replaced by `reference`."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _TOP_LEVEL_RUNS.fullmatch(line.rstrip("\r"))]
    if len(starts) != 1:
        raise PinError("expected exactly one top-level `runs:` mapping in block style")
    child_indent: int | None = None
    found: list[tuple[int, re.Match[str]]] = []
    for i in range(starts[0] + 1, len(lines)):
        line = lines[i].rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = _indent_of(line)
        if indent == 0:
            break  # the next top-level key
        if child_indent is None:
            child_indent = indent
        if indent != child_indent:
            continue
        if stripped.startswith("image:"):
            match = _IMAGE_LINE.fullmatch(line)
            if match is None:
                raise PinError(f"line {i + 1}: `image:` is not a single-line scalar")
            found.append((i, match))
    if len(found) != 1:
        raise PinError("expected exactly one `image:` key directly under `runs:`")
    i, match = found[0]
    value = match["value"]
    quote = value[0] if value[0] in "\"'" else ""
    ending = "\r" if lines[i].endswith("\r") else ""
    lines[i] = (
        f"{match['indent']}image:{match['gap']}{quote}{reference}{quote}{match['tail']}{ending}"
    )
    result = "\n".join(lines)
    _verify(text, result, reference)
    return result


def _verify(before: str, after: str, reference: str) -> None:
    """The rewrite changed runs.image and nothing else, as YAML sees it."""
    try:
        old: Any = yaml.safe_load(before)
        new: Any = yaml.safe_load(after)
    except yaml.YAMLError as err:
        raise PinError(f"not valid YAML: {err}") from err
    if not isinstance(old, dict) or not isinstance(old.get("runs"), dict):
        raise PinError("no `runs` mapping")
    if old["runs"].get("using") != "docker":
        raise PinError("`runs.using` is not docker")
    if new["runs"].get("image") != reference:
        raise PinError("the rewritten `runs.image` does not read back as the reference")
    new["runs"]["image"] = old["runs"]["image"]
    if new != old:
        raise PinError("the rewrite changed more than `runs.image`")


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).chmod(path.stat().st_mode & 0o7777)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image", required=True, help="e.g. ghcr.io/owner/repo (lowercase)")
    parser.add_argument("--digest", required=True, help="sha256:<64 hex>")
    parser.add_argument(
        "--index", required=True, type=Path, help="the raw manifest the registry serves for it"
    )
    parser.add_argument("file", nargs="?", default="action.yml", type=Path)
    args = parser.parse_args(argv)
    try:
        reference = image_reference(args.image, args.digest)
        platforms = index_platforms(args.index.read_bytes(), args.digest)
        raw = args.file.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise PinError(f"{args.file} is not UTF-8") from err
        _write_atomically(args.file, pin(text, reference).encode("utf-8"))
    except (PinError, OSError) as err:
        print(f"pin_image: {err}", file=sys.stderr)
        return 2
    print(f"{args.file}: runs.image = {reference} ({', '.join(platforms)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
