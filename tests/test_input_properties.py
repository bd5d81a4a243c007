"""Arbitrary strings in every input, in arbitrary combinations: the action either succeeds
or exits 1 with an `::error::`; never a traceback, and never a request before the inputs
have been found valid."""

import contextlib
import io
import os
from collections.abc import Iterator

import pytest
from conftest import ACCESS_KEY, DECLARED_INPUTS, PROJECT_ID, REGION, SECRET_KEY, TOKEN
from fgs_emulator import Emulator
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fgs_dependency.__main__ import main

# Environment values cannot hold NUL or lone surrogates; everything else is fair game.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80
)
# Valid values mixed in, so that combinations get past the first check now and then.
PLAUSIBLE = {
    "name": ["deps", "a" * 97, "-x"],
    "runtime": ["Python3.9", "python3.12", "Nope 1"],
    "region": [REGION, "cn north"],
    "project-id": [PROJECT_ID, "short"],
    "access-key": [ACCESS_KEY],
    "secret-key": [SECRET_KEY],
    "auth-token": [TOKEN],
    "dry-run": ["true", "false", "TRUE", "yes"],
    "path": [".", "pkg", "../..", "/etc", "pkg/../.."],
    "timeout": ["5", "0", "nan", "1e9"],
    "depend-type": ["auto", "zip", "obs", "OBS"],
    "if-unchanged": ["skip", "publish"],
    "retries": ["0", "3", "-1"],
    "exclude": ["*.pyc\n!keep.pyc", "[", "\\"],
    "prefix": ["python", "../x", "a//b"],
}


def value_for(name: str) -> st.SearchStrategy[str]:
    return st.one_of(TEXT, st.sampled_from(PLAUSIBLE.get(name, [""])))


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
CASES = (
    st.sets(st.sampled_from(FUZZED), max_size=4)
    .flatmap(lambda names: st.fixed_dictionaries({n: value_for(n) for n in sorted(names)}))
    .map(lambda changes: {**VALID, **changes})
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


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(
        credentials={ACCESS_KEY: SECRET_KEY}, tokens={TOKEN}, project_id=PROJECT_ID, region=REGION
    ) as emulator:
        yield emulator


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(inputs=CASES)
def test_any_inputs_give_success_or_a_named_error(
    emu: Emulator, tmp_path_factory: pytest.TempPathFactory, inputs: dict[str, str]
) -> None:
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
    }
    requests_before = len(emu.requests)
    stdout = io.StringIO()
    with environment(env), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stdout):
        code = main()
    log = stdout.getvalue()
    sent = len(emu.requests) - requests_before
    assert code in (0, 1)
    event(f"exit {code}, {'requests sent' if sent else 'nothing sent'}")
    assert "Traceback" not in log and "Unexpected failure" not in log, log
    errors = [line for line in log.splitlines() if line.lstrip().startswith("::error")]
    if code == 1:
        assert errors, log
    else:
        assert not errors
        assert (base / "out").read_text()
    invalid = "::error title=Invalid input::"
    input_errors = [
        e for e in errors if e.startswith((f"{invalid}Input '", f"{invalid}Credentials"))
    ]
    if input_errors:
        assert sent == 0, "a request went out before the inputs were found valid"
        named = {e.split("'")[1] for e in input_errors if e.startswith(f"{invalid}Input '")}
        assert named <= {*DECLARED_INPUTS, "SOURCE_DATE_EPOCH"}, named
