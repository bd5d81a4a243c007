"""What a person reads in the job summary: Markdown that no outside text can break, and sizes
as people read them."""

import html
import re
from collections.abc import Iterable, Mapping, Sequence


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# What could start markup inside a line of GitHub's Markdown: emphasis, code, links and
# images, strikethrough, tables and a heading's closing #s. `<`, `>` and `&` are made
# entities first, so no HTML survives either. (A bare URL still shows as a link, but as
# itself: no text can disguise it.)
_MARKDOWN = re.compile(r"[\\`*_\[\]!~|#]")


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def markdown_text(text: str) -> str:
    """Text from outside this code (a server's message, a name) as plain Markdown text:
    one line, no markup, no HTML, no autolink. The one path for such text in the summary;
    table cells wrap the same line in a code span instead (see _cell)."""
    return _MARKDOWN.sub(r"\\\g<0>", html.escape(_one_line(text), quote=False))


def _cell(value: str) -> str:
    # In a code span nothing is markup and HTML is shown as text; only the table's `|` and
    # the span's own backticks need care.
    text = _one_line(value).replace("|", "\\|").replace("`", "'")
    return f"`{text}`" if text else "-"


def heading(title: str, level: int = 3) -> str:
    return f"{'#' * level} {markdown_text(title)}\n\n"


def facts(rows: Mapping[str, str]) -> str:
    """A two-column table of named values; empty values are left out."""
    lines = ["| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in rows.items() if value]
    return "\n".join(lines) + "\n\n"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table whose every cell may hold outside text: each is a code span."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n"


def failure(title: str, problems: Iterable[str], code: str = "", request_id: str = "") -> str:
    """The summary of a failed step: what failed and what to do (the messages say both),
    with the service's error code and request id for a support ticket."""
    lines = [f"### :x: {markdown_text(title)}", ""]
    lines += [f"- {markdown_text(problem)}" for problem in problems]
    rows = {"Error code": code, "Request id": request_id}
    if any(rows.values()):
        lines += ["", "| | value |", "|---|---|"]
        lines += [f"| {label} | {_cell(value)} |" for label, value in rows.items() if value]
    return "\n".join(lines) + "\n\n"
