"""Point `runs.image` of action.yml at a prebuilt image by digest, for a release commit.

    python scripts/pin_image.py --image ghcr.io/OWNER/REPO --digest sha256:<64 hex> [FILE]

Only the value of the `image:` line directly under `runs:` changes; every other byte of the
file (comments, quoting of other values, line endings, the rest of `runs`) is kept. The
image name must be a lowercase registry path without tag or digest, the digest
`sha256:` and 64 lowercase hex digits; anything else is refused with exit code 2 and the
file is left alone. Re-pinning an already pinned file replaces the old reference.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("file", nargs="?", default="action.yml", type=Path)
    args = parser.parse_args(argv)
    try:
        reference = image_reference(args.image, args.digest)
        raw = args.file.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise PinError(f"{args.file} is not UTF-8") from err
        _write_atomically(args.file, pin(text, reference).encode("utf-8"))
    except (PinError, OSError) as err:
        print(f"pin_image: {err}", file=sys.stderr)
        return 2
    print(f"{args.file}: runs.image = {reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
