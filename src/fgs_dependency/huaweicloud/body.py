"""The create-version request bodies, the zip's produced from the file on disk in chunks.
(No requests here: a dry run measures the body it would send.)

FunctionGraph wants the zip base64-encoded inside a JSON document. Built naively that
costs four to five times the zip in memory; here the JSON around the zip is fixed text
and the base64 is made a chunk at a time, so the body has an exact length, a SHA-256
computed by streaming, and can be sent as many times as a retry needs.
"""

import base64
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# A multiple of 3 bytes, so chunks encode without padding and concatenate to the whole.
_RAW_CHUNK = 3 * 256 * 1024
_MARK = "\x00depend_file\x00"


@dataclass(frozen=True)
class JsonWithFile:
    """`fields` as JSON, with one more field `file_field` holding `file` in base64."""

    fields: Mapping[str, str]
    file_field: str
    file: Path

    def _frame(self) -> tuple[bytes, bytes]:
        document = json.dumps({**self.fields, self.file_field: _MARK}, separators=(",", ":"))
        head, tail = document.split(json.dumps(_MARK))
        return f'{head}"'.encode(), f'"{tail}'.encode()

    def __len__(self) -> int:
        head, tail = self._frame()
        size = self.file.stat().st_size
        return len(head) + 4 * ((size + 2) // 3) + len(tail)

    def chunks(self) -> Iterator[bytes]:
        head, tail = self._frame()
        yield head
        for chunk in file_chunks(self.file):
            yield base64.b64encode(chunk)
        yield tail

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def reader(self) -> "BodyReader":
        return BodyReader(self.chunks(), len(self))


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(_RAW_CHUNK):
            yield chunk


def _fields(name: str, runtime: str, description: str) -> dict[str, str]:
    fields = {"runtime": runtime, "name": name}
    if description:
        fields["description"] = description
    return fields


def inline_body(*, name: str, runtime: str, description: str, zip_path: Path) -> JsonWithFile:
    """A create request carrying the zip itself, base64-encoded."""
    fields = {"depend_type": "zip", **_fields(name, runtime, description)}
    return JsonWithFile(fields=fields, file_field="depend_file", file=zip_path)


def link_body(*, name: str, runtime: str, description: str, link: str) -> bytes:
    """A create request naming a zip in OBS."""
    fields = {"depend_type": "obs", "depend_link": link, **_fields(name, runtime, description)}
    return json.dumps(fields).encode()


class BodyReader:
    """A file-like view of a chunk iterator with a known length: `requests` sends it with
    that Content-Length, reading a block at a time, instead of chunked encoding. With
    `progress`, it is told (sent, total) about every tenth of the way."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        length: int,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self._chunks = chunks
        self._current = memoryview(b"")
        self._length = length
        self._progress = progress
        self._sent = 0
        self._next_report = length // 10

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        out = self._read(size)
        self._sent += len(out)
        if self._progress and out and self._sent >= self._next_report:
            self._progress(self._sent, self._length)
            step = max(self._length // 10, 1)
            while self._next_report <= self._sent:
                self._next_report += step
        return out

    def _read(self, size: int) -> bytes:
        if size < 0:
            rest = bytes(self._current) + b"".join(self._chunks)
            self._current = memoryview(b"")
            return rest
        while not self._current:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._current = memoryview(chunk)
        # A short read is allowed, and saves copying a chunk's tail again on every call.
        out, self._current = self._current[:size], self._current[size:]
        return bytes(out)
