"""Arbitrary strings in every input, in arbitrary combinations: the action either succeeds
or exits 1 with an `::error::`; never a traceback, and never a request before the inputs
have been found valid."""

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from typing import Literal

import pytest
from fgs_emulator import Emulator
from helpers import (
    ACCESS_KEY,
    DECLARED_INPUTS,
    PROJECT_ID,
    REGION,
    SECRET_KEY,
    command_lines,
    emulator_fixture,
)
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from fgs_dependency.__main__ import main

# Environment values cannot hold NUL or lone surrogates; everything else is fair game.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80
)
# Per input, values known to be accepted (a publish with them succeeds against the
# emulator) and values known to be refused with an ::error:: that names the input. Mixed
# with arbitrary text, so that combinations get past the first check now and then, and
# so that the exit code of a case made of these alone is known in advance.
GOOD = {
    "name": ["deps", "a" * 96, "pandas-2.2"],
    "runtime": ["Python3.9", "python3.12"],
    "region": [REGION],
    "project-id": [PROJECT_ID],
    "access-key": [ACCESS_KEY],
    "secret-key": [SECRET_KEY],
    "dry-run": ["true", "false", "TRUE"],
    "path": [".", "pkg"],
    "timeout": ["5", "30"],
    "depend-type": ["auto", "zip"],
    "if-unchanged": ["skip", "publish"],
    "retries": ["0", "3"],
    "exclude": ["*.pyc\n!keep.pyc"],
    "prefix": ["python", "a/b"],
    "description": ["Shared libraries"],
}
BAD = {
    "name": ["-x", "a" * 97, "two words"],
    "runtime": ["3.9", "Python3.9; rm -rf /"],
    "region": ["cn north"],
    "project-id": ["short"],
    "access-key": ["not a key!"],
    "secret-key": ["has a space"],
    "dry-run": ["yes", "1"],
    "path": ["../..", "/etc", "pkg/../..", "missing"],
    "timeout": ["0", "nan", "1e9"],
    "depend-type": ["tar"],
    "if-unchanged": ["always"],
    "retries": ["-1", "11"],
    "prefix": ["../x"],
    "description": ["x" * 513],
}
Kind = Literal["good", "bad", "text"]


def value_for(name: str) -> st.SearchStrategy[tuple[Kind, str]]:
    options = [st.tuples(st.just("text"), TEXT)]
    # An input the valid publish leaves out may stay empty: not given, as by default.
    good = GOOD.get(name, [] if name in VALID else [""])
    if good:
        options.append(st.tuples(st.just("good"), st.sampled_from(good)))
    if name in BAD:
        options.append(st.tuples(st.just("bad"), st.sampled_from(BAD[name])))
    return st.one_of(options)  # type: ignore[arg-type]


# The endpoints stay on the emulator: a fuzzed one could name a real host.
ENDPOINTS = ("endpoint", "iam-endpoint", "obs-endpoint", "depend-link")
FUZZED = tuple(n for n in DECLARED_INPUTS if n not in ENDPOINTS)
# A valid publish, with any few inputs replaced: most cases then probe one or two inputs
# at a time, and some still succeed.
VALID = {
    "name": "deps",
    "runtime": "Python3.9",
    "path": "pkg",
    "region": REGION,
    "project-id": PROJECT_ID,
    "access-key": ACCESS_KEY,
    "secret-key": SECRET_KEY,
}
CASES = st.sets(st.sampled_from(FUZZED), max_size=4).flatmap(
    lambda names: st.fixed_dictionaries({n: value_for(n) for n in sorted(names)})
)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


emu = emulator_fixture(scope="module", buckets=())


def each_known_value(test: Callable[..., None]) -> Callable[..., None]:
    """Every known-good and known-bad value alone, on every run: chance alone would meet
    some of them only now and then."""
    for kind, table in (("good", GOOD), ("bad", BAD)):
        for name, values in table.items():
            for value in values:
                test = example(changes={name: (kind, value)})(test)
    return test


@each_known_value
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=CASES)
def test_any_inputs_give_success_or_a_named_error(
    emu: Emulator, tmp_path_factory: pytest.TempPathFactory, changes: dict[str, tuple[Kind, str]]
) -> None:
    inputs = {**VALID, **{name: value for name, (_, value) in changes.items()}}
    kinds = {kind for kind, _ in changes.values()}
    bad = {name for name, (kind, _) in changes.items() if kind == "bad"}
    base = tmp_path_factory.mktemp("prop")
    workspace = base / "ws"
    (workspace / "pkg").mkdir(parents=True)
    (workspace / "pkg" / "mod.py").write_text("x = 1\n")
    (base / "out").write_text("")
    (base / "summary").write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(base / "out"),
        "GITHUB_STEP_SUMMARY": str(base / "summary"),
        "RUNNER_TEMP": str(base),
        **{f"INPUT_{n.upper()}": "" for n in DECLARED_INPUTS},
        **{f"INPUT_{n.upper()}": v for n, v in inputs.items()},
        "INPUT_ENDPOINT": emu.url,
        "INPUT_IAM-ENDPOINT": emu.url,
        "INPUT_OBS-ENDPOINT": emu.url,
        # As a re-run with debug logging: a last-resort failure would print its traceback.
        "RUNNER_DEBUG": "1",
    }
    requests_before = len(emu.requests)
    stdout = io.StringIO()
    with environment(env), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        code = main()
    log = stdout.getvalue()
    sent = len(emu.requests) - requests_before
    errors = [line for line in command_lines(log) if line.startswith("::error")]
    event(f"exit {code}, {'requests sent' if sent else 'nothing sent'}")
    event("a known-bad value" if bad else "known-good values only" if kinds <= {"good"} else "text")
    assert "Traceback" not in log and "Unexpected failure" not in log, log
    if bad:  # one known-bad value is enough to fail, before any request
        assert code == 1, log
        assert sent == 0, "a request went out before the inputs were found valid"
        if "text" not in kinds:  # nothing else can fail first and hide it
            assert any(f"'{name}'" in e for name in bad for e in errors), (bad, errors)
    elif "text" not in kinds:  # only known-good values: the publish succeeds
        assert code == 0, log
    assert code == (1 if errors else 0), log
    if code == 0:
        assert (base / "out").read_text()
    invalid = "::error title=Invalid input::"
    input_errors = [
        e for e in errors if e.startswith((f"{invalid}Input '", f"{invalid}Credentials"))
    ]
    if input_errors:
        assert sent == 0, "a request went out before the inputs were found valid"
        named = {e.split("'")[1] for e in input_errors if e.startswith(f"{invalid}Input '")}
        assert named <= {*DECLARED_INPUTS, "SOURCE_DATE_EPOCH"}, named
