"""Reading a requirements file before uv does: every file it includes (-r, -c) and every local
path it names must be inside the workspace, and the lines that would install something other
than what the file says are refused, named by file and line.

uv reads what this reads: includes are relative to the including file, local projects and
--find-links folders to uv's working directory (the workspace), and ${NAME} is expanded from
the environment uv gets.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import InputError

_INCLUDE = {"-r": "-r", "--requirement": "-r", "-c": "-c", "--constraint": "-c"}
_EDITABLE = ("-e", "--editable")
_INDEX = ("-i", "--index-url", "--extra-index-url", "--index", "--default-index")
_FIND_LINKS = ("-f", "--find-links")
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# What makes a requirement a local path rather than a name from an index.
_PATH_START = (".", "/", "~", "file:")
_ARCHIVE = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")


@dataclass(frozen=True)
class Line:
    """One logical line (continuations joined, comment removed) and where it came from."""

    shown: str  # the file, relative to the workspace
    number: int
    text: str

    @property
    def where(self) -> str:
        return f"line {self.number} of '{self.shown}'"


@dataclass(frozen=True)
class Requirements:
    """What the file and its includes ask for."""

    requirements: tuple[Line, ...]  # requirement lines, constraint files excluded
    hashed: bool  # some line has --hash: every requirement must have one
    indexes: tuple[tuple[str, Line], ...]  # index or find-links URLs the files name


def _logical_lines(path: Path) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        whole = _COMMENT.sub("", pending + raw).strip()
        pending = ""
        if whole:
            lines.append((start, whole))
    if pending.strip():
        lines.append((start, _COMMENT.sub("", pending).strip()))
    return lines


def _option(tokens: list[str], names: tuple[str, ...]) -> str | None:
    """The value of the first of `names` among `tokens` ('-r x', '-rx', '--requirement=x')."""
    for i, token in enumerate(tokens):
        for name in names:
            if token == name:
                return tokens[i + 1] if i + 1 < len(tokens) else ""
            if name.startswith("--") and token.startswith(name + "="):
                return token[len(name) + 1 :]
            if not name.startswith("--") and token.startswith(name) and len(token) > 2:
                return token[len(name) :]
    return None


class _Reader:
    def __init__(self, workspace: Path, env: Mapping[str, str], allow_source: bool) -> None:
        self.workspace = workspace.resolve()
        self.env = env
        self.allow_source = allow_source
        self.seen: set[Path] = set()
        self.requirements: list[Line] = []
        self.hashed: list[Line] = []
        self.indexes: list[tuple[str, Line]] = []

    def expand(self, value: str) -> str:
        return _VARIABLE.sub(lambda m: self.env.get(m[1], ""), value)

    def inside(self, value: str, base: Path, line: Line, what: str) -> Path:
        """The real path `value` names (relative to `base`), refused outside the workspace."""
        value = self.expand(value)
        if value.startswith("file:"):
            value = unquote(urlsplit(value).path)
        if value.startswith("~"):
            value = self.env.get("HOME", "/") + value[1:]
        real = (base / value).resolve()
        if not real.is_relative_to(self.workspace):
            raise InputError(
                "requirements",
                f"{line.where} names {what} '{value}', outside the workspace; every file the "
                "requirements read must be inside $GITHUB_WORKSPACE",
            )
        return real

    def read(self, path: Path, constraints: bool) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        shown = str(path.relative_to(self.workspace))
        for number, text in _logical_lines(path):
            line = Line(shown, number, text)
            tokens = text.split()
            include = next((t for t in _INCLUDE if _option(tokens, (t,)) is not None), None)
            if include is not None:
                target = _option(tokens, (include,)) or ""
                if re.match(r"^[a-z]+://", target) and not target.startswith("file:"):
                    raise InputError(
                        "requirements",
                        f"{line.where} includes '{target}' from the network; only files inside "
                        "the workspace can be included",
                    )
                real = self.inside(target, path.parent, line, "the file")
                if not real.is_file():
                    raise InputError(
                        "requirements", f"{line.where} includes '{target}', which is no file"
                    )
                self.read(real, constraints or _INCLUDE[include] == "-c")
                continue
            self.check(line, tokens, constraints)

    def check(self, line: Line, tokens: list[str], constraints: bool) -> None:
        if _option(tokens, _EDITABLE) is not None:
            raise InputError(
                "requirements",
                f"{line.where} is editable ('{line.text}'): an editable install leaves only a "
                "pointer to this runner's folder, which the function does not have. Remove "
                "'-e' (a local project is then built into a real wheel, with allow-source: true)",
            )
        binary = _option(tokens, ("--no-binary",))
        if binary is not None and not self.allow_source:
            raise InputError(
                "requirements",
                f"{line.where} ('{line.text}') asks to build from source, which 'allow-source' "
                "does not allow; remove the line, or set allow-source: true",
            )
        for names in (_INDEX, _FIND_LINKS):
            url = _option(tokens, names)
            if url is None:
                continue
            url = self.expand(url)
            if re.match(r"^[a-z]+://", url) and not url.startswith("file:"):
                self.indexes.append((url, line))
            else:
                self.inside(url, self.workspace, line, "the folder")
        if tokens[0].startswith("-"):
            return  # an option line: nothing to install
        if constraints:
            return
        self.requirements.append(line)
        if "--hash" in line.text:
            self.hashed.append(line)
        self.local(line, tokens)

    def local(self, line: Line, tokens: list[str]) -> None:
        first = tokens[0]
        at = line.text.partition(" @ ")[2].split()
        value = at[0] if at and at[0].startswith("file:") else first
        if not value.startswith(_PATH_START) and not ("/" in value and value.endswith(_ARCHIVE)):
            return
        real = self.inside(value, self.workspace, line, "the local path")
        if not self.allow_source and not real.name.endswith(".whl"):
            raise InputError(
                "requirements",
                f"{line.where} names the local project '{value}', which must be built from "
                "source: set allow-source: true (pure-Python projects only), or list a wheel "
                "or a package from the index instead",
            )


def read(
    workspace: Path, path: Path, env: Mapping[str, str], *, allow_source: bool
) -> Requirements:
    """Read the requirements file `path` (inside `workspace`) and everything it includes."""
    reader = _Reader(workspace, env, allow_source)
    reader.read(path.resolve(), constraints=False)
    top = str(path.resolve().relative_to(reader.workspace))
    if not reader.requirements:
        raise InputError(
            "requirements",
            f"'{top}' lists no package to install (it is empty, or holds only comments and "
            "options); list the packages, one a line, as `pip freeze` or `uv pip compile` "
            "writes them",
        )
    if reader.hashed:
        bare = [line for line in reader.requirements if "--hash" not in line.text]
        if bare:
            shown = "; ".join(f"{line.where}: '{_name(line.text)}'" for line in bare[:8])
            raise InputError(
                "requirements",
                "some lines have --hash, so every requirement must have one (pip and uv's "
                f"hash-checking mode), but these have none: {shown}. Regenerate the file "
                "with `uv pip compile --generate-hashes`",
            )
    return Requirements(tuple(reader.requirements), bool(reader.hashed), tuple(reader.indexes))


def _name(text: str) -> str:
    found = _NAME.match(text)
    return found[1] if found else text.split()[0]
