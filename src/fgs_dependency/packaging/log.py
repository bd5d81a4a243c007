"""The package as the log shows it: sizes, the largest files, and its warnings."""

from ..github import runner
from ..github.report import human_size
from .package import Package


def log_package(package: Package, warnings: list[str]) -> None:
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
        runner.warning(message, warnings)
