"""The layout keeps its plan: imports run one way between the stages, and no module of
src/ imports its way round in a circle (typing-only imports count: they tie modules together
for a reader as much as for the interpreter)."""

import ast
from pathlib import Path

import pytest
from helpers import ROOT

PACKAGE = ROOT / "src" / "fgs_dependency"
# Each part of the package, and the parts it may import besides itself. The stages run down
# the pipeline (inputs -> packaging -> huaweicloud -> deploy -> outputs); errors and github
# are the base every stage uses; packaging and huaweicloud know nothing of each other.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "github": {"errors"},
    "inputs": {"errors", "github"},
    "packaging": {"errors", "github", "inputs"},
    "huaweicloud": {"errors", "github", "inputs"},
    "deploy": {"errors", "github", "inputs", "packaging", "huaweicloud"},
    "outputs": {"errors", "github", "inputs", "packaging", "huaweicloud", "deploy"},
    "summary": {
        *("errors", "github", "inputs", "packaging", "huaweicloud", "deploy", "outputs"),
        "plan_summary",
    },
    "plan_summary": {"errors", "github", "inputs", "packaging", "huaweicloud", "deploy"},
    "__main__": {
        *("errors", "github", "inputs", "packaging", "huaweicloud", "deploy", "outputs"),
        *("summary", "plan_summary"),
    },
    "__init__": set(),
}


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: Path = PACKAGE) -> set[str]:
    """The package's modules that `path` imports, anywhere in it (in functions, under
    TYPE_CHECKING), as dotted names; `from x import name` counts as importing x.name when
    that is a module."""
    here = module_name(path, package)
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(package.name)}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith(package.name):
                target = node.module
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                exists = (package.parent / sub.replace(".", "/")).with_suffix(".py").exists() or (
                    package.parent / sub.replace(".", "/") / "__init__.py"
                ).exists()
                found.add(sub if exists else target)
    return found


def graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    return {module_name(p, package): imports_of(p, package) for p in package.rglob("*.py")}


def part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def back_arrows(modules: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, imported in sorted(modules.items()):
        for target in sorted(imported):
            here, there = part(module), part(target)
            if there != here and there not in ALLOWED[here]:
                wrong.append(f"{module} imports {target} ({here} may not import {there})")
    return wrong


def circles(modules: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, each once, as a list of modules (depth-first search)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        # A package's __init__ runs before its modules: importing a.b imports a.
        for target in sorted(modules.get(module, set())):
            if target not in modules:
                continue
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module)
    return found


def test_every_part_of_the_package_is_in_the_plan() -> None:
    assert {part(m) for m in graph()} <= set(ALLOWED)


def test_imports_run_one_way_between_the_stages() -> None:
    assert back_arrows(graph()) == []


def test_no_module_imports_its_way_round_in_a_circle() -> None:
    assert circles(graph()) == []


@pytest.mark.parametrize(
    ("where", "line", "complaint"),
    [
        # The circle issue 20 removed: errors importing up into deploy, for typing.
        (
            "errors.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from .deploy.functions import Attachment\n",
            "errors may not import deploy",
        ),
        # Packaging reaching into the cloud clients, inside a function.
        (
            "packaging/tree.py",
            "def f():\n    from ..huaweicloud import obs\n",
            "packaging may not import huaweicloud",
        ),
        ("github/runner.py", "from fgs_dependency.inputs import settings\n", "github may not"),
    ],
)
def test_the_guard_catches_an_arrow_added_back(
    tmp_path: Path, where: str, line: str, complaint: str
) -> None:
    copy = tmp_path / "fgs_dependency"
    for source in PACKAGE.rglob("*.py"):
        target = copy / source.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    (copy / where).write_text((copy / where).read_text() + "\n" + line)
    modules = graph(copy)
    assert any(complaint in arrow for arrow in back_arrows(modules)), back_arrows(modules)


def test_the_guard_catches_a_circle_inside_a_stage(tmp_path: Path) -> None:
    copy = tmp_path / "fgs_dependency"
    for source in PACKAGE.rglob("*.py"):
        target = copy / source.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    # retry is imported by transport; transport imported back by retry closes a circle.
    retry = copy / "huaweicloud" / "retry.py"
    retry.write_text(retry.read_text() + "\ndef f():\n    from . import transport\n")
    found = circles(graph(copy))
    assert any(
        {"fgs_dependency.huaweicloud.retry", "fgs_dependency.huaweicloud.transport"} <= set(c)
        for c in found
    ), found
