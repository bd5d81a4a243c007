"""Validation of the create-version body, with the error codes FunctionGraph uses."""

from __future__ import annotations

import binascii
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ApiError, invalid

RUNTIMES = frozenset(
    {
        "Java8",
        "Java11",
        "Java17",
        "Java21",
        "Node.js6.10",
        "Node.js8.10",
        "Node.js10.16",
        "Node.js12.13",
        "Node.js14.18",
        "Node.js16.17",
        "Node.js18.15",
        "Node.js20.15",
        "Python2.7",
        "Python3.6",
        "Python3.9",
        "Python3.10",
        "Python3.12",
        "Go1.8",
        "Go1.x",
        "C#(.NET Core 2.0)",
        "C#(.NET Core 2.1)",
        "C#(.NET Core 3.1)",
        "C#(.NET Core 6.0)",
        "C#(.NET Core 8.0)",
        "Custom",
        "PHP7.3",
        "PHP8.3",
        "Cangjie1.0",
        "http",
        "Custom Image",
    }
)
MAX_OBS_ZIP_BYTES = 300 * 1024 * 1024
MAX_ZIP_BYTES = 40 * 1024 * 1024
MAX_ZIP_ENTRIES = 30_000
MAX_NAME_LENGTH = 96
MAX_DESCRIPTION_LENGTH = 512
_NAME_RE = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?")
_REQUIRED = ("depend_type", "runtime", "name")
_OPTIONAL = ("description", "depend_file", "depend_link")


@dataclass(frozen=True)
class NewVersion:
    name: str
    runtime: str
    description: str
    depend_type: str
    etag: str
    size: int


def _string_fields(body: object) -> dict[str, str]:
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object")
    unknown = sorted(set(body) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise invalid(f"unknown field(s): {', '.join(unknown)}")
    fields: dict[str, str] = {}
    for key, value in body.items():
        # null for an optional field means "not given", as in the service's JSON binding.
        if value is None and key in _OPTIONAL:
            continue
        if not isinstance(value, str):
            raise invalid(f"{key} must be a string")
        fields[key] = value
    for key in _REQUIRED:
        if key not in fields:
            raise invalid(f"{key} is required")
    return fields


def _check_name(name: str) -> None:
    if len(name) > MAX_NAME_LENGTH or not _NAME_RE.fullmatch(name):
        raise invalid(
            f"name {name!r} is invalid: at most {MAX_NAME_LENGTH} characters of letters, "
            "digits, '_', '.' and '-', starting with a letter and ending with a letter or digit"
        )


def strict_b64decode(encoded: str) -> bytes:
    """Standard-alphabet, padded base64 only; raises ValueError (binascii.Error) otherwise."""
    # binascii's strict mode is about twice as fast as b64decode(validate=True),
    # which matters for a 50 MB depend_file.
    return binascii.a2b_base64(encoded, strict_mode=True)


def decode_depend_file(encoded: str) -> bytes:
    """Bytes of a base64 depend_file (standard alphabet, padded); raises FSS.1013/1023."""
    padding = len(encoded) - len(encoded.rstrip("="))
    # Refuse before decoding so an oversized upload costs no extra memory.
    if len(encoded) // 4 * 3 - padding > MAX_ZIP_BYTES:
        raise ApiError(400, "FSS.1023", f"depend_file is larger than {MAX_ZIP_BYTES} bytes")
    try:
        return strict_b64decode(encoded)
    except ValueError:
        raise ApiError(
            400, "FSS.1013", "depend_file is not valid base64 (standard alphabet, padded)"
        ) from None


def _check_zip(data: bytes | Path) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ApiError(400, "FSS.1013", "depend_file is not a zip file") from None
    if not names:
        raise invalid("the zip file is empty")
    if len(names) > MAX_ZIP_ENTRIES:
        raise invalid(f"the zip file has {len(names)} entries; at most {MAX_ZIP_ENTRIES} allowed")
    backups = [name for name in names if name.endswith("~")]
    if backups:
        raise invalid(f"zip entry names must not end with '~': {backups[0]!r}")


def _object_for(link: str, resolve_link: Callable[[str], Path | None]) -> Path:
    """The OBS object a depend_link names, which must exist and be a zip within limits."""
    parts = urlsplit(link)
    loopback = parts.scheme == "http" and parts.hostname == "127.0.0.1"
    if not (parts.scheme == "https" or loopback) or not parts.hostname:
        raise ApiError(400, "FSS.1010", f"depend_link {link!r} is not an https URL")
    path = resolve_link(link)
    if path is None:
        raise ApiError(400, "FSS.1010", f"depend_link {link!r} names no object in OBS")
    if path.stat().st_size > MAX_OBS_ZIP_BYTES:
        raise ApiError(400, "FSS.1023", f"the OBS object is larger than {MAX_OBS_ZIP_BYTES} bytes")
    return path


def _md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def validate_create(body: object, resolve_link: Callable[[str], Path | None]) -> NewVersion:
    fields = _string_fields(body)
    depend_type = fields["depend_type"]
    if depend_type not in ("zip", "obs"):
        raise ApiError(400, "FSS.1032", f"depend_type must be zip or obs, got {depend_type!r}")
    runtime = fields["runtime"]
    if runtime not in RUNTIMES:
        raise ApiError(400, "FSS.1005", f"runtime {runtime!r} is not supported")
    _check_name(fields["name"])
    description = fields.get("description", "")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise invalid(f"description is longer than {MAX_DESCRIPTION_LENGTH} characters")
    if depend_type == "zip":
        if "depend_file" not in fields:
            raise invalid("depend_file is required when depend_type is zip")
        data = decode_depend_file(fields["depend_file"])
        _check_zip(data)
        etag, size = hashlib.md5(data).hexdigest(), len(data)
    else:
        if "depend_link" not in fields:
            raise invalid("depend_link is required when depend_type is obs")
        path = _object_for(fields["depend_link"], resolve_link)
        _check_zip(path)
        etag, size = _md5_of(path), path.stat().st_size
    return NewVersion(
        name=fields["name"],
        runtime=runtime,
        description=description,
        depend_type=depend_type,
        etag=etag,
        size=size,
    )
