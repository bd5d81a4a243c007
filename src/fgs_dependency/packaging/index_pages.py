"""Reading a project's page on a package index (the simple API: PEP 691 JSON when the index
offers it, PEP 503 HTML otherwise): the files of each release and their Requires-Python.

Only asked after uv failed, to say which wheels exist. The URLs may carry credentials: they go
to `requests` and nowhere else, and no failure here is shown (its text could hold the URL):
an index that cannot be read gives None, and the caller keeps its plain message."""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
_ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
# A project's page is one small request: an index that is slow now adds seconds, not minutes,
# to a step that has already failed.
TIMEOUT = 5.0
_MAX_PAGE = 8 * 1024 * 1024


@dataclass(frozen=True)
class IndexFile:
    filename: str
    requires_python: str  # '' when the index gives none
    yanked: bool


def normalize(name: str) -> str:
    """PEP 503's form of a project name, as in the page's URL."""
    return re.sub(r"[-_.]+", "-", name).lower()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[IndexFile] = []
        self._open: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open, self._text = dict(attrs), ""

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag != "a" or self._open is None:
            return
        attrs, self._open = self._open, None
        href = unquote(urlsplit(attrs.get("href") or "").path.rpartition("/")[2])
        self.files.append(
            IndexFile(
                filename=self._text.strip() or href,
                requires_python=attrs.get("data-requires-python") or "",
                yanked="data-yanked" in attrs,
            )
        )


def _from_json(page: Any) -> list[IndexFile]:
    files = []
    for entry in page["files"]:
        bound = entry.get("requires-python") or ""
        if not isinstance(entry["filename"], str) or not isinstance(bound, str):
            raise ValueError("not a PEP 691 page")
        files.append(IndexFile(entry["filename"], bound, bool(entry.get("yanked"))))
    return files


def _page(url: str, name: str) -> list[IndexFile] | None:
    """The files on `name`'s page of the index at `url`; None when it cannot be read."""
    try:
        with requests.get(
            f"{url.rstrip('/')}/{normalize(name)}/",
            headers={"Accept": _ACCEPT, "User-Agent": "fgs-dependency-action"},
            timeout=TIMEOUT,
            stream=True,
        ) as reply:
            if reply.status_code != 200:
                return None
            body = reply.raw.read(_MAX_PAGE + 1, decode_content=True)
            if len(body) > _MAX_PAGE:
                return None
            kind = reply.headers.get("Content-Type", "").split(";")[0].strip()
        text = body.decode("utf-8")
        if kind == JSON_TYPE or kind == "application/json":
            return _from_json(json.loads(text))
        links = _Links()
        links.feed(text)
        links.close()
        return links.files
    except Exception:  # anything at all: the lookup only adds to a message
        return None


def project_files(name: str, urls: Sequence[str]) -> list[IndexFile] | None:
    """The files of project `name` on the first index in `urls` that has it (uv's own rule:
    the first index that knows a name is the only one asked for it); None when none could be
    read."""
    for url in urls:
        files = _page(url, name)
        if files:
            return files
    return None
