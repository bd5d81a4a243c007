"""Nothing a server says becomes a workflow command or markup; a failure says why where the
person looking for it reads (annotations with a title, and the job summary).

The log is read as the runner reads it: a line is a command when, leading blanks trimmed, it
starts with `::name` (or holds the older `##[name]` anywhere), unless it falls between
`::stop-commands::TOKEN` and `::TOKEN::`."""

import re
from pathlib import Path

import pytest
from fgs_emulator import INJECTED, INJECTION_KINDS, Emulator, Hostile
from helpers import REGION, Run, assert_no_secrets, executed, make_tree, publish_inputs, run_action

# What the action itself issues.
OURS = {"add-mask", "group", "endgroup", "error", "warning", "debug"}


SECTIONS = {"#### Functions", "#### Versions", "#### Installed packages"}


def assert_inert(run: Run) -> None:
    """No command that a server's text made: each is one of ours, none bears the injected
    title or starts its message with the injected text."""
    for command in executed(run.log):
        assert command.name in OURS, f"the runner would run {command.name!r}: {command.data!r}"
        assert command.properties.get("title") != "X", command
        assert not command.data.startswith(INJECTED), command
    # The summary: markup only inside code spans; headings, ours: one title, then sections.
    outside_code = re.sub(r"`[^`\n]*`", "", run.summary)
    assert "<" not in outside_code and "](" not in outside_code, run.summary
    headings = [line for line in run.summary.splitlines() if line.startswith("#")]
    assert len([h for h in headings if h.startswith("### ")]) <= 1, run.summary
    assert set(headings) - {h for h in headings if h.startswith("### ")} <= SECTIONS


def error_annotations(run: Run) -> list[tuple[dict[str, str], str]]:
    return [(c.properties, c.data) for c in executed(run.log) if c.name == "error"]


# What each injection gets: the exit code, and a phrase of the one error (None: it succeeds).
OUTCOME: dict[str, tuple[int, str | None]] = {
    "command_in_name": (1, 'name "demo-deps\\n::error title=X::injected" where "demo-deps"'),
    "other_runtime": (1, 'runtime "Node.js20.15" where "Python3.9" was asked for'),
    "command_in_description": (0, None),
    "command_in_ids": (1, "lacks or mangles: dep_id, id"),
    "command_in_file_fields": (0, None),
    "command_in_error": (1, "HTTP 400 FSS.0400%0A::error title=X::injected: bad field%0A"),
    "command_in_request_id": (1, "(request id ::error title=X::injected)"),
}


@pytest.mark.parametrize("kind", INJECTION_KINDS)
def test_server_text_never_becomes_a_command(
    emulator: Emulator, workspace: Path, tmp_path: Path, kind: str
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    emulator.inject("create", Hostile(kind))
    run = run_action(workspace, publish_inputs(emulator), tmp=tmp_path)
    code, phrase = OUTCOME[kind]
    assert run.returncode == code, run.log
    assert_inert(run)
    assert_no_secrets(run)
    errors = error_annotations(run)
    if phrase is None:
        assert errors == []
        assert run.outputs["dep_id"] == emulator.versions("demo-deps")[0]["dep_id"]
        return
    assert run.outputs == {}
    [(props, message)] = errors
    assert props == {"title": "Dependency 'demo-deps' not published"}
    # The message shows what came back: as one annotation, its line breaks escaped.
    assert phrase in message


def test_reply_for_another_name_is_refused_and_shown(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    emulator.inject("create", Hostile("command_in_name"))
    run = run_action(workspace, publish_inputs(emulator), tmp=tmp_path)
    assert run.returncode == 1
    [(_, message)] = error_annotations(run)
    # JSON-quoted, so the newline shows as \n and the line stays one annotation.
    assert '"demo-deps\\n::error title=X::injected"' in message
    assert "Nothing was written to the outputs" in message
    # In the summary: one bullet line, its backslash escaped so that it renders as \n.
    [shown] = [line for line in run.summary.splitlines() if "injected" in line]
    assert shown.startswith("- ") and '"demo-deps\\\\n::error title=X::injected"' in shown


def test_injected_file_fields_stay_in_code_spans(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    emulator.inject("create", Hostile("command_in_file_fields"))
    run = run_action(workspace, publish_inputs(emulator), tmp=tmp_path)
    assert run.returncode == 0, run.log
    # The outputs carry the values as the server gave them (the output file is not parsed
    # for commands); the summary shows them as code.
    assert run.outputs["file_name"].startswith("::error title=X::injected <img")
    assert "onerror" not in run.summary  # nor are they among the facts it shows


def test_failure_is_in_the_summary_with_code_and_request_id(
    emulator: Emulator, workspace: Path, tmp_path: Path
) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    run = run_action(
        workspace, publish_inputs(emulator, runtime="Cobol85"), tmp=tmp_path
    )  # a runtime the service refuses with FSS.1005
    assert run.returncode == 1
    [(props, message)] = error_annotations(run)
    assert props == {"title": "Dependency 'demo-deps' not published"}
    assert "FSS.1005" in message
    request_id = re.search(r"request id ([0-9a-f-]+)", message)
    assert request_id, message
    summary = run.summary
    assert summary.startswith("### :x: demo-deps · Cobol85 · failed, nothing published\n")
    assert "does not know the runtime given in 'runtime'" in summary
    assert "| error code | `FSS.1005` |" in summary
    assert f"| request id | `{request_id[1]}` |" in summary
    assert "| published | `no` |" in summary
    assert_no_secrets(run)


def test_bad_inputs_are_in_the_summary(workspace: Path, tmp_path: Path) -> None:
    make_tree(workspace, {"mod.py": "x = 1\n"})
    run = run_action(
        workspace,
        {"name": "9lives", "runtime": "Python3.9", "dry-run": "maybe"},
        tmp=tmp_path,
    )
    assert run.returncode == 1
    errors = error_annotations(run)
    assert [props for props, _ in errors] == [{"title": "Invalid input"}] * 2
    # The headline names the inputs as given: nothing was read.
    assert run.summary.startswith("### :x: 9lives · Python3.9 · invalid input, nothing published\n")
    assert "- Input 'name': must be 1-96 characters" in run.summary
    assert "- Input 'dry-run': must be true (build and check the package, offline)" in run.summary
    assert "error code" not in run.summary


def test_file_names_are_printed_inert(emulator: Emulator, workspace: Path, tmp_path: Path) -> None:
    """A file name reaches the log (the package report's largest files) through the same
    path as a server's text."""
    make_tree(workspace, {"::error title=X::injected.py": "x = 1\n", "a.py": "a = 1\n"})
    run = run_action(
        workspace, publish_inputs(emulator, **{"dry-run": "true", "region": REGION}), tmp=tmp_path
    )
    assert run.returncode == 0, run.log
    assert_inert(run)
