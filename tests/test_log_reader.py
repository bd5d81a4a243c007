"""The log reader the other tests trust (helpers.read_log): it reads a log as the runner does,
so a test that finds no injected command has looked where the runner would."""

from pathlib import Path

from helpers import Command, Run, command_lines, executed

LOG = "\n".join(
    [
        "plain text",
        "  ::error title=T,file=a.py::indented still acts",
        "::stop-commands::tok123",
        "::error::fenced, shown as it is",
        "::add-mask::fenced-mask",
        "::tok123::",
        "::add-mask::hidden-mask",
        "text with ##[warning]the older form inside",
        "::debug::##[error]not tried: the line is a :: command",
        "::not a command",
    ]
)


def test_commands_are_read_as_the_runner_reads_them() -> None:
    assert executed(LOG) == [
        Command("error", {"title": "T", "file": "a.py"}, "indented still acts"),
        Command("add-mask", {}, "hidden-mask"),
        Command("##[warning", {}, "text with ##[warning]the older form inside"),
        Command("debug", {}, "##[error]not tried: the line is a :: command"),
    ]


def test_command_lines_include_fences_and_malformed_lines() -> None:
    assert command_lines(LOG) == [
        "::error title=T,file=a.py::indented still acts",
        "::stop-commands::tok123",
        "::tok123::",
        "::add-mask::hidden-mask",
        "text with ##[warning]the older form inside",
        "::debug::##[error]not tried: the line is a :: command",
        "::not a command",
    ]


def test_everything_hides_only_the_masks_the_runner_consumes(tmp_path: Path) -> None:
    run = Run(0, LOG, "", {}, "", tmp_path)
    assert "fenced-mask" in run.everything()
    assert "hidden-mask" not in run.everything()
    assert run.errors == ["::error title=T,file=a.py::indented still acts"]
