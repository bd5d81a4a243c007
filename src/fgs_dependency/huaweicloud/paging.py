"""FunctionGraph's paged lists, read to the end (and no further than a sane number of pages)."""

from dataclasses import dataclass
from typing import Any

import requests

from ..errors import ActionError
from .client import Connection, exchange

# A hostile or broken server must not keep a paging loop going for ever.
_MAX_PAGES = 200
_PAGE_SIZE = 400


@dataclass(frozen=True)
class Listing:
    items: list[Any]
    date: str  # the last page's Date header: the service's clock, "" when not sent


def pages(
    session: requests.Session,
    connection: Connection,
    path: str,
    query: list[tuple[str, str]],
    key: str = "dependencies",
    page_size: int = _PAGE_SIZE,
) -> list[Any]:
    """Every item of a paged list under `key` (`marker` is an offset; the end is an empty
    page, or a `next_marker` of 0 or one seen before)."""
    return listing(session, connection, path, query, key, page_size).items


def listing(
    session: requests.Session,
    connection: Connection,
    path: str,
    query: list[tuple[str, str]],
    key: str = "dependencies",
    page_size: int = _PAGE_SIZE,
) -> Listing:
    """pages(), with the time the service gave with its last page."""
    items: list[Any] = []
    marker, seen = 0, set()
    for _ in range(_MAX_PAGES):
        page_query = [*query, ("marker", str(marker)), ("maxitems", str(page_size))]
        answer = exchange(session, connection, "GET", path, query=page_query)
        reply = answer.document
        page = reply.get(key) if isinstance(reply, dict) else None
        if not isinstance(page, list):
            raise ActionError(f"FunctionGraph's list reply for {path} has no '{key}' list")
        items += page
        seen.add(marker)
        next_marker = reply.get("next_marker")
        if not page or not isinstance(next_marker, int) or next_marker <= 0 or next_marker in seen:
            return Listing(items, answer.headers.get("Date", ""))
        marker = next_marker
    raise ActionError(f"FunctionGraph's list for {path} did not end after {_MAX_PAGES} pages")
