"""What a person reads: the package report in the log, and the job summary."""

import html
import re
from collections.abc import Iterable, Mapping

from . import runner
from .package import Package


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def log_package(package: Package) -> None:
    kind = "ready-made zip" if package.ready_made else "zip"
    title = (
        f"Package: {package.file_count} files, {human_size(package.content_size)} "
        f"-> {human_size(package.size)} {kind}"
    )
    with runner.group(title):
        runner.info(f"MD5 {package.md5}, {package.size} bytes, at {package.path}")
        runner.info("Largest files:")
        runner.untrusted(f"  {human_size(size):>10}  {name}" for name, size in package.largest)
        if runner.debug_enabled():
            runner.info("All files:")
            runner.untrusted(f"  {name}" for name in package.names)
        else:
            runner.info("(the full list is shown when the job is re-run with debug logging)")
    if package.installed:
        with runner.group(f"Installed for {package.target}: {len(package.installed)} packages"):
            runner.untrusted(f"  {i.name} {i.version}  {i.tag}" for i in package.installed)
    for message in package.warnings:
        runner.warning(message)


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


def summary(title: str, rows: Mapping[str, str]) -> str:
    lines = [f"### {markdown_text(title)}", "", "| | value |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in rows.items()]
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


def installed(package: Package | None) -> str:
    """What 'requirements' installed, for the job summary ('' without it)."""
    if package is None or not package.installed:
        return ""
    lines = [f"#### Installed for {markdown_text(package.target)}", ""]
    lines += ["| package | version | wheel tag |", "|---|---|---|"]
    lines += [
        f"| {_cell(i.name)} | {_cell(i.version)} | {_cell(i.tag)} |" for i in package.installed
    ]
    return "\n".join(lines) + "\n\n"
