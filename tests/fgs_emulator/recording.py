"""What the emulator remembers about each request, for tests to assert on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .validation import strict_b64decode


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    """Path without the query string."""
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lowercased names; repeated headers joined with ", "."""
    body_size: int
    """Body bytes actually read (0 when the request was refused before its body)."""
    json: Any
    """Parsed JSON body or None; a depend_file string is replaced by a summary."""
    status: int


def summarise_body(parsed: Any) -> Any:
    """The parsed body with depend_file replaced by {"base64_length", "md5"}.

    Tests keep many of these, and a depend_file can be tens of megabytes of base64.
    """
    if not isinstance(parsed, dict) or not isinstance(parsed.get("depend_file"), str):
        return parsed
    encoded: str = parsed["depend_file"]
    try:
        md5: str | None = hashlib.md5(strict_b64decode(encoded)).hexdigest()
    except ValueError:
        md5 = None
    return {**parsed, "depend_file": {"base64_length": len(encoded), "md5": md5}}
