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


def _prose_cell(value: str) -> str:
    # Plain text in a table: escaped as any text, and the table's `|` is escaped by it too.
    return markdown_text(value) or "-"


def heading(title: str, level: int = 3) -> str:
    return f"{'#' * level} {markdown_text(title)}\n\n"


def facts(rows: Mapping[str, str]) -> str:
    """A two-column table of named values (code spans); empty values are left out."""
    lines = ["| | |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in rows.items() if value]
    return "\n".join(lines) + "\n\n"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], prose: Iterable[int] = ()) -> str:
    """A table whose every cell may hold outside text: values as code spans, and the
    columns numbered in `prose` (what happened, and why) as plain text."""
    plain = set(prose)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += [
        "| "
        + " | ".join(
            _prose_cell(cell) if column in plain else _cell(cell) for column, cell in enumerate(row)
        )
        + " |"
        for row in rows
    ]
    return "\n".join(lines) + "\n\n"


def bullets(items: Iterable[str]) -> str:
    """A list of sentences (warnings, problems), each plain text."""
    lines = [f"- {markdown_text(item)}" for item in items]
    return "\n".join(lines) + "\n\n" if lines else ""


def failure(
    headline: str,
    problems: Iterable[str],
    done: Mapping[str, str],
    warnings: Sequence[str] = (),
) -> str:
    """The summary of a failed step: a headline, what failed and what to do (the messages
    say both), what the run had already done (`done`: labels to values, with the service's
    error code and request id for a support ticket), and the warnings it gave on the way."""
    parts = [f"### :x: {markdown_text(headline)}\n\n", bullets(problems), facts(done)]
    if warnings:
        parts += [heading("Warnings", 4), bullets(warnings)]
    return "".join(parts)
