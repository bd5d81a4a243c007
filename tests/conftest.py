"""Shared fixtures and pytest hooks (the helpers they use are in helpers.py)."""

from pathlib import Path

import pytest
from helpers import emulator_fixture

# The emulated account of helpers' constants: AK/SK, token and the bucket.
emulator = emulator_fixture()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    return ws


@pytest.fixture(scope="session")
def report_rows() -> list[str]:
    """Lines a test module wants shown after the run (e.g. the fault matrix)."""
    return REPORT_ROWS


REPORT_ROWS: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT_ROWS:
        terminalreporter.section("fault matrix")
        for line in REPORT_ROWS:
            terminalreporter.write_line(line)
