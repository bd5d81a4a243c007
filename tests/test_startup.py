"""What the program does before its imports (startup.py): modules pydantic-settings loads
but a run never uses are left unloaded, and anything that does use them gets the real ones."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from helpers import NEVER_LOADED, READ_INPUTS_LEANLY, make_tree, run_action


def imported_modules(stderr: str) -> set[str]:
    """The modules `-X importtime` (PYTHONPROFILEIMPORTTIME) says were imported."""
    return {m[1] for m in re.finditer(r"^import time:.*\|\s*([\w.]+)\s*$", stderr, re.M)}


def test_a_dry_run_loads_none_of_them(tmp_path: Path) -> None:
    workspace = make_tree(tmp_path / "ws", {"deps/a.txt": "a", "deps/b/c.js": "c"})
    run = run_action(
        workspace,
        {"name": "lean", "runtime": "Python3.9", "path": "deps", "dry-run": "true"},
        {"PYTHONPROFILEIMPORTTIME": "1"},
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.log
    assert run.outputs["file_count"] == "2"
    modules = imported_modules(run.stderr)
    assert "pydantic_settings" in modules  # the profile is there to be read
    assert not modules & set(NEVER_LOADED), modules & set(NEVER_LOADED)


def python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-I", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_reading_the_inputs_leaves_them_unloaded() -> None:
    assert python(READ_INPUTS_LEANLY).splitlines() == ["x", "[]"]


def test_whoever_uses_them_gets_the_real_modules() -> None:
    out = python(
        """
        import sys
        from fgs_dependency import startup
        startup.prepare()
        import fgs_dependency.__main__

        import asyncio.events  # a submodule first: the package loads before it
        async def answer():
            return 42
        print(asyncio.run(answer()), type(sys.modules["asyncio"]).__name__)

        from importlib.metadata import entry_points, version
        print(version("pydantic") == __import__("pydantic").VERSION)
        import importlib.metadata
        print(importlib.metadata is sys.modules["importlib.metadata"])
        print(type(sys.modules["importlib.metadata"]).__name__)
        """
    )
    assert out.split("\n")[:4] == ["42 module", "True", "True", "module"]


def test_the_forwarded_entry_points_is_the_real_one() -> None:
    # pydantic holds `entry_points` from before the module loaded; called, it must answer
    # as the real function does.
    out = python(
        """
        from fgs_dependency import startup
        startup.prepare()
        from importlib.metadata import entry_points
        print(type(__import__("sys").modules["importlib.metadata"]).__name__)
        found = entry_points(group="console_scripts")
        import importlib.metadata
        print(sorted(e.name for e in found) == sorted(
            e.name for e in importlib.metadata.entry_points(group="console_scripts")))
        """
    )
    assert out.split("\n")[:2] == ["_Deferred", "True"]


def test_modules_already_loaded_are_left_as_they_are() -> None:
    out = python(
        """
        import asyncio, sys
        from fgs_dependency import startup
        startup.prepare()
        print(sys.modules["asyncio"] is asyncio)
        """
    )
    assert out.strip() == "True"
