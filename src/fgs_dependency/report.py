"""What a person reads: the package report in the log, and the job summary."""

from collections.abc import Mapping

from . import runner
from .packaging import Package


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
    for message in package.warnings:
        runner.warning(message)


def _cell(value: str) -> str:
    # Values may come from the server or the user's inputs: keep them inert in Markdown.
    text = value.replace("\r", " ").replace("\n", " ").replace("|", "\\|").replace("`", "'")
    return f"`{text}`" if text else "-"


def summary(title: str, rows: Mapping[str, str]) -> str:
    lines = [f"### {title}", "", "| | value |", "|---|---|"]
    lines += [f"| {label} | {_cell(value)} |" for label, value in rows.items()]
    return "\n".join(lines) + "\n\n"
