"""A package index on 127.0.0.1 serving the files of a folder, as PyPI does: the simple API in
its PEP 503 HTML form and, when asked for it (`Accept: application/vnd.pypi.simple.v1+json`)
and enabled, its PEP 691 JSON form; each file with its Requires-Python (read from the wheel's
METADATA or the sdist's PKG-INFO, as PyPI takes it from the upload) in `data-requires-python`
or `requires-python`."""

import base64
import hashlib
import html
import http.server
import json
import re
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _project(filename: str) -> str:
    stem = filename.removesuffix(".tar.gz").removesuffix(".whl")
    return re.sub(r"[-_.]+", "-", stem.split("-")[0]).lower()


def requires_python(path: Path) -> str | None:
    """The Requires-Python of a wheel (its METADATA) or sdist (its PKG-INFO), if it has one."""
    text = ""
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as zf:
            meta = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
            text = zf.read(meta[0]).decode() if meta else ""
    elif path.name.endswith(".tar.gz"):
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                    extracted = tar.extractfile(member)
                    text = extracted.read().decode() if extracted else ""
    found = re.search(r"^Requires-Python: *(.+)$", text, re.MULTILINE)
    return found[1].strip() if found else None


@dataclass(frozen=True)
class Index:
    url: str  # the simple index's address, credentials included when it asks for them
    host: str  # scheme, host and port, for messages
    requests: list[str]  # the paths asked for, in order


@contextmanager
def serve_index(
    root: Path,
    auth: tuple[str, str] | None = None,
    *,
    stall: bool = False,
    json_api: bool = False,
    fail_others: str = "",
) -> Iterator[Index]:
    """Serve the files in `root` as a PEP 503 simple index; with `auth`, every request needs
    that user and password (HTTP basic), and gets 401 otherwise. `stall`: answer no request
    until the index is closed (a hung index). `json_api`: answer in PEP 691 JSON to a client
    that prefers it. `fail_others`: a project page asked for by any client but uv gets an
    error 500 ("error") or a page that is not JSON ("garbage"), as an index that fails
    between two requests would give."""
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
                self._project_page(parts[1], [f for f in files if _project(f) == parts[1]])
            elif len(parts) == 2 and parts[0] == "files" and (root / parts[1]).is_file():
                self._send(200, (root / parts[1]).read_bytes(), "application/octet-stream")
            else:
                self._send(404, b"not found")

        def _project_page(self, name: str, mine: list[str]) -> None:
            if not mine:
                self._send(404, b"not found")
                return
            if fail_others and not self.headers.get("User-Agent", "").startswith("uv/"):
                if fail_others == "error":
                    self._send(500, b"internal error")
                else:
                    self._send(200, b"{not json", JSON_TYPE)
                return
            if json_api and JSON_TYPE in self.headers.get("Accept", ""):
                entries = []
                for f in mine:
                    entry: dict[str, object] = {"filename": f, "url": f"/files/{f}"}
                    entry["hashes"] = {"sha256": sha256_of(root / f)}
                    if (bound := requires_python(root / f)) is not None:
                        entry["requires-python"] = bound
                    entries.append(entry)
                page = {"meta": {"api-version": "1.0"}, "name": name, "files": entries}
                self._send(200, json.dumps(page).encode(), JSON_TYPE)
                return
            links = ""
            for f in mine:
                bound = requires_python(root / f)
                attribute = "" if bound is None else f' data-requires-python="{html.escape(bound)}"'
                links += f'<a href="/files/{f}#sha256={sha256_of(root / f)}"{attribute}>{f}</a>\n'
            self._send(200, f"<html><body>{links}</body></html>".encode())

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
