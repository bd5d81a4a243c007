"""A package index of the tests' own, so that no test of 'requirements' needs the internet: tiny
wheels and sdists made on the spot, served as a PEP 503 simple index on 127.0.0.1 (with HTTP
basic auth when asked).

The projects (every file says which wheel it came from, so a test can tell which one was
installed):
- `tinyext` 1.0, "compiled": cp39 and cp312 wheels for manylinux2014 x86_64 and aarch64, and
  manylinux_2_34 x86_64 (newer glibc: never right for the default platform), musllinux and
  macOS; it needs `purelib` and installs a console script (which must not reach the zip).
- `purelib` 2.0: one py3-none-any wheel.
- `newglibc` 1.0: wheels for manylinux_2_34 x86_64 and macOS only (no wheel for the default
  platform).
- `puresdist` 1.0: an sdist only, pure Python (its in-tree backend makes a py3-none-any wheel).
- `cextsdist` 1.0: an sdist only, with a C extension: its in-tree backend makes the wheel a
  compiler would, tagged for the interpreter that builds it (cpXY-cpXY-linux_<machine>), so no
  compiler is needed to show that such a wheel is refused.
- `envsdist` 1.0: an sdist only, pure Python, whose build writes the environment it was
  given into the wheel (envsdist/environ.json).
- `mixed`: 1.0 as a py3-none-any wheel, 2.0 as an sdist only (a newer release without wheels).
- `needsold` 1.0: needs `purelib<2`, which the index does not have (a resolution conflict).
"""

import base64
import hashlib
import http.server
import io
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

EXT_PLATFORMS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_34_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_11_0_arm64",
)
# The wheel each target must get: (runtime's python tag, uv platform) -> platform in the name.
EXPECTED_TINYEXT = {
    "x86_64-manylinux2014": "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "aarch64-manylinux2014": "manylinux_2_17_aarch64.manylinux2014_aarch64",
}
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def wheel_bytes(
    name: str,
    version: str,
    tag: str,
    files: Mapping[str, str | bytes],
    requires: tuple[str, ...] = (),
    scripts: Mapping[str, str] | None = None,
) -> bytes:
    """A wheel file's bytes: `files` plus its dist-info (METADATA, WHEEL, entry points, RECORD)."""
    info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    python, abi, platforms = tag.split("-")
    pure = platforms == "any"
    tags = "".join(f"Tag: {python}-{abi}-{p}\n" for p in platforms.split("."))
    content: dict[str, bytes] = {
        path: data.encode() if isinstance(data, str) else data for path, data in files.items()
    }
    content[f"{info}/METADATA"] = meta.encode()
    content[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: wheelhouse\nRoot-Is-Purelib: {str(pure).lower()}\n{tags}"
    ).encode()
    if scripts:
        lines = "".join(f"{k} = {v}\n" for k, v in scripts.items())
        content[f"{info}/entry_points.txt"] = f"[console_scripts]\n{lines}".encode()
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in content.items())
    content[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in content.items():
            zf.writestr(zipfile.ZipInfo(path, FIXED_TIME), data)
    return out.getvalue()


# An in-tree PEP 517 backend: no build requirements, so a build needs nothing from an index.
BACKEND = """
import base64, hashlib, os, sys, sysconfig, zipfile

NAME, VERSION, COMPILED, RECORD = {name!r}, {version!r}, {compiled!r}, {record!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def _tag():
    if not COMPILED:
        return "py3-none-any"
    python = f"cp{{sys.version_info[0]}}{{sys.version_info[1]}}"
    return f"{{python}}-{{python}}-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    tag = _tag()
    info = f"{{NAME}}-{{VERSION}}.dist-info"
    files = {{f"{{NAME}}/__init__.py": f"BUILT = {{tag!r}}\\n".encode()}}
    if RECORD:  # what a build could read of the job: the whole environment it was given
        import json
        files[f"{{NAME}}/environ.json"] = json.dumps(dict(os.environ), sort_keys=True).encode()
    if COMPILED:  # what a compiler would leave: an extension module for this interpreter
        files[f"{{NAME}}/_speedups.so"] = b"\\x7fELF stand-in for " + tag.encode()
    meta = f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n"
    files[f"{{info}}/METADATA"] = meta.encode()
    pure = str(not COMPILED).lower()
    wheel = f"Wheel-Version: 1.0\\nGenerator: backend\\nRoot-Is-Purelib: {{pure}}\\n"
    files[f"{{info}}/WHEEL"] = (wheel + f"Tag: {{tag}}\\n").encode()
    record = ""
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{{path}},sha256={{digest}},{{len(data)}}\\n"
    files[f"{{info}}/RECORD"] = (record + f"{{info}}/RECORD,,\\n").encode()
    wheel = f"{{NAME}}-{{VERSION}}-{{tag}}.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel
"""


def sdist_bytes(name: str, version: str, *, compiled: bool, record: bool = False) -> bytes:
    stem = f"{name}-{version}"
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "backend.py": BACKEND.format(name=name, version=version, compiled=compiled, record=record),
        f"{name}/__init__.py": "",
    }
    if compiled:
        files[f"{name}/_speedups.c"] = "int answer(void) { return 42; }\n"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            member = tarfile.TarInfo(f"{stem}/{path}")
            member.size, member.mtime = len(data), 1704067200
            tar.addfile(member, io.BytesIO(data))
    return out.getvalue()


def build_wheelhouse(root: Path) -> Path:
    """The distributions above, as files in `root`."""
    root.mkdir(parents=True, exist_ok=True)
    dists: dict[str, bytes] = {}
    for python in ("cp39", "cp312"):
        for platform in EXT_PLATFORMS:
            tag = f"{python}-{python}-{platform}"
            dists[f"tinyext-1.0-{tag}.whl"] = wheel_bytes(
                "tinyext",
                "1.0",
                tag,
                {
                    "tinyext/__init__.py": "from ._core import BUILT_FOR\n",
                    "tinyext/_core.py": f"BUILT_FOR = {tag!r}\n",
                    f"tinyext/_core.{python}-{platform.split('.')[0]}.so": f"ELF {tag}",
                },
                requires=("purelib>=2",),
                scripts={"tinyext-cli": "tinyext:main"},
            )
    dists["purelib-2.0-py3-none-any.whl"] = wheel_bytes(
        "purelib", "2.0", "py3-none-any", {"purelib.py": "VERSION = '2.0'\n"}
    )
    for platform in ("manylinux_2_34_x86_64", "macosx_11_0_arm64"):
        tag = f"cp312-cp312-{platform}"
        dists[f"newglibc-1.0-{tag}.whl"] = wheel_bytes(
            "newglibc", "1.0", tag, {"newglibc/__init__.py": f"BUILT_FOR = {tag!r}\n"}
        )
    dists["needsold-1.0-py3-none-any.whl"] = wheel_bytes(
        "needsold", "1.0", "py3-none-any", {"needsold.py": ""}, requires=("purelib<2",)
    )
    dists["puresdist-1.0.tar.gz"] = sdist_bytes("puresdist", "1.0", compiled=False)
    dists["cextsdist-1.0.tar.gz"] = sdist_bytes("cextsdist", "1.0", compiled=True)
    dists["envsdist-1.0.tar.gz"] = sdist_bytes("envsdist", "1.0", compiled=False, record=True)
    dists["mixed-1.0-py3-none-any.whl"] = wheel_bytes(
        "mixed", "1.0", "py3-none-any", {"mixed.py": "VERSION = '1.0'\n"}
    )
    dists["mixed-2.0.tar.gz"] = sdist_bytes("mixed", "2.0", compiled=False)
    for filename, data in dists.items():
        (root / filename).write_bytes(data)
    return root


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _project(filename: str) -> str:
    stem = filename.removesuffix(".tar.gz").removesuffix(".whl")
    return re.sub(r"[-_.]+", "-", stem.split("-")[0]).lower()


@dataclass(frozen=True)
class Index:
    url: str  # the simple index's address, credentials included when it asks for them
    host: str  # scheme, host and port, for messages
    requests: list[str]  # the paths asked for, in order


@contextmanager
def serve_index(
    root: Path, auth: tuple[str, str] | None = None, *, stall: bool = False
) -> Iterator[Index]:
    """Serve the files in `root` as a PEP 503 simple index; with `auth`, every request needs
    that user and password (HTTP basic), and gets 401 otherwise. `stall`: answer no request
    until the index is closed (a hung index)."""
    expected = "Basic " + base64.b64encode(":".join(auth).encode()).decode() if auth else None
    asked: list[str] = []
    closing = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, code: int, body: bytes, content_type: str = "text/html") -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if code == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="wheelhouse"')
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:  # uv asks before it downloads a wheel (for range requests)
            self.do_GET()

        def do_GET(self) -> None:
            asked.append(self.path)
            if stall:
                closing.wait(120)
                return
            if expected and self.headers.get("Authorization") != expected:
                self._send(401, b"unauthorized")
                return
            files = sorted(p.name for p in root.iterdir())
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if parts == ["simple"]:
                names = sorted({_project(f) for f in files})
                links = "".join(f'<a href="/simple/{n}/">{n}</a>\n' for n in names)
                self._send(200, f"<html><body>{links}</body></html>".encode())
            elif len(parts) == 2 and parts[0] == "simple":
                mine = [f for f in files if _project(f) == parts[1]]
                if not mine:
                    self._send(404, b"not found")
                    return
                links = "".join(
                    f'<a href="/files/{f}#sha256={sha256_of(root / f)}">{f}</a>\n' for f in mine
                )
                self._send(200, f"<html><body>{links}</body></html>".encode())
            elif len(parts) == 2 and parts[0] == "files" and (root / parts[1]).is_file():
                self._send(200, (root / parts[1]).read_bytes(), "application/octet-stream")
            else:
                self._send(404, b"not found")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"http://127.0.0.1:{server.server_address[1]}"
    userinfo = f"{auth[0]}:{auth[1]}@" if auth else ""
    try:
        yield Index(f"http://{userinfo}127.0.0.1:{server.server_address[1]}/simple", host, asked)
    finally:
        closing.set()
        server.shutdown()
        server.server_close()


def main() -> None:
    """`python tests/wheelhouse.py DIR`: make the wheelhouse in DIR and serve it until stopped
    (scripts/demo.sh); prints the index's URL."""
    import sys

    with serve_index(build_wheelhouse(Path(sys.argv[1]))) as index:
        print(f"wheelhouse index at {index.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
