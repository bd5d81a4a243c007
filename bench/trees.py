"""The benchmark trees, built on first use and cached under bench/.cache/.

- node: a real node_modules tree installed from the npm registry (pinned top-level versions)
- python: a real `pip install --target` tree with native libraries (pinned versions)
- small: 30,000 small generated files (FunctionGraph's limit), deterministic content
- tiny: 10 small files, for start-up and memory baselines

A tree is rebuilt when its recipe changes (the recipe is stored beside it).
"""

import json
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"

NPM_PACKAGES = {
    "express": "5.3.0",
    "typescript": "7.0.2",
    "lodash": "4.18.1",
    "moment": "2.31.0",
    "axios": "1.21.1",
    "@aws-sdk/client-s3": "3.1169.0",
}
PIP_PACKAGES = ["numpy==2.4.6", "pydantic==2.14.3", "requests==2.34.2", "pyyaml==6.0.3"]
SMALL_FILES = 30_000


def _cached(name: str, recipe: object, make: Callable[[Path], None]) -> Path:
    folder = CACHE / name
    stamp = CACHE / f"{name}.recipe.json"
    text = json.dumps(recipe, sort_keys=True)
    if folder.is_dir() and stamp.is_file() and stamp.read_text() == text:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    print(f"building the '{name}' tree in {folder} (cached for later runs) ...", file=sys.stderr)
    folder.mkdir(parents=True)
    make(folder)
    stamp.write_text(text)
    return folder


def node_tree() -> Path:
    """The node_modules folder itself, as a Node.js dependency is packaged."""

    def make(folder: Path) -> None:
        project = folder.parent / "node-project"
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir()
        deps = {name: version for name, version in NPM_PACKAGES.items()}
        (project / "package.json").write_text(json.dumps({"dependencies": deps}))
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=project,
            check=True,
        )
        folder.rmdir()
        (project / "node_modules").rename(folder)
        shutil.rmtree(project)

    return _cached("node", {"npm": NPM_PACKAGES}, make)


def python_tree() -> Path:
    """What `pip install --target` leaves (with its byte-code, as pip writes by default)."""

    def make(folder: Path) -> None:
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("--target", str(folder), *PIP_PACKAGES),
            ],
            check=True,
        )

    recipe = {"pip": PIP_PACKAGES, "python": list(sys.version_info[:2])}
    return _cached("python", recipe, make)


_WORDS = [
    *("module", "exports", "function", "return", "const", "let", "var", "require", "import"),
    *("from", "default", "class", "this", "new", "if", "else", "for", "while", "value"),
    *("name", "data", "result", "options", "config", "index", "error"),
]


def small_tree() -> Path:
    """30,000 files of 200 B to 2 KB of source-like text, 100 per folder."""

    def make(folder: Path) -> None:
        rng = random.Random(6)
        for i in range(SMALL_FILES):
            directory = folder / f"pkg{i // 1000:02d}" / f"dir{(i // 100) % 10}"
            if i % 100 == 0:
                directory.mkdir(parents=True)
            words = rng.choices(_WORDS, k=rng.randint(30, 300))
            lines = [" ".join(words[j : j + 10]) for j in range(0, len(words), 10)]
            (directory / f"file{i:05d}.js").write_text("\n".join(lines) + "\n")

    return _cached("small", {"files": SMALL_FILES, "seed": 6, "words": [30, 300]}, make)


def tiny_tree() -> Path:
    """10 small files: a package of next to nothing."""

    def make(folder: Path) -> None:
        for i in range(10):
            (folder / f"mod{i}.py").write_text(f"VALUE = {i}\n" * 20)

    return _cached("tiny", {"files": 10}, make)


def tree_size(root: Path) -> tuple[int, int]:
    """(files, bytes) under root, symlinks followed as the action does."""
    files = size = 0
    for path in root.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
    return files, size


if __name__ == "__main__":
    for build in (node_tree, python_tree, small_tree, tiny_tree):
        root = build()
        count, total = tree_size(root)
        print(f"{root.name:8} {count:7,} files {total / 1e6:8.1f} MB  {root}")
