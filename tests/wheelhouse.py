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
- `newplat`: 1.0 with manylinux2014 wheels; 2.0 (an sdist with a C extension) with wheels for
  manylinux_2_28 (x86_64, aarch64) and macOS only, like numpy 2.3.0.
- `winonly`: 5.2 with manylinux2014 wheels; 5.3.1 (an sdist) with Windows wheels only, like
  PyYAML 5.3.1.
- `newpython`: 1.0 with cp39 wheels; 2.0 (Requires-Python >=3.10) and 2.1 (>=3.11) with
  wheels for newer Pythons only, like numpy 2.1 and 2.3 on Python 3.9.
"""

import base64
import hashlib
import io
import tarfile
import threading
import zipfile
from collections.abc import Mapping
from pathlib import Path

# The server lives in its own module; its names stay importable from here.
from simple_index import Index as Index
from simple_index import serve_index as serve_index
from simple_index import sha256_of as sha256_of

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
    requires_python: str = "",
) -> bytes:
    """A wheel file's bytes: `files` plus its dist-info (METADATA, WHEEL, entry points, RECORD)."""
    info = f"{name}-{version}.dist-info"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    meta += f"Requires-Python: {requires_python}\n" if requires_python else ""
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


def sdist_bytes(
    name: str, version: str, *, compiled: bool, record: bool = False, requires_python: str = ""
) -> bytes:
    stem = f"{name}-{version}"
    bound = f"Requires-Python: {requires_python}\n" if requires_python else ""
    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{bound}",
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
    dists.update(_hinted_projects())
    for filename, data in dists.items():
        (root / filename).write_bytes(data)
    return root


def _compiled(
    name: str, version: str, pythons: str, platforms: str, bound: str = ""
) -> dict[str, bytes]:
    """Wheels of `name` `version` for each of the space-separated Pythons and platforms."""
    found: dict[str, bytes] = {}
    for python in pythons.split():
        for platform in platforms.split():
            tag = f"{python}-{python}-{platform}"
            files = {f"{name}/__init__.py": f"BUILT_FOR = {tag!r}\n"}
            wheel = wheel_bytes(name, version, tag, files, requires_python=bound)
            found[f"{name}-{version}-{tag}.whl"] = wheel
    return found


def _hinted_projects() -> dict[str, bytes]:
    """Releases whose wheels are all for other targets than the default (see the docstring)."""
    linux = "manylinux_2_17_x86_64.manylinux2014_x86_64"
    new = "manylinux_2_28_x86_64 manylinux_2_28_aarch64 macosx_11_0_arm64"
    return {
        **_compiled("newplat", "1.0", "cp39 cp312", linux),
        **_compiled("newplat", "2.0", "cp39 cp312", new),
        "newplat-2.0.tar.gz": sdist_bytes("newplat", "2.0", compiled=True),
        **_compiled("winonly", "5.2", "cp39 cp312", linux),
        **_compiled("winonly", "5.3.1", "cp39 cp312", "win_amd64 win32"),
        "winonly-5.3.1.tar.gz": sdist_bytes("winonly", "5.3.1", compiled=True),
        **_compiled("newpython", "1.0", "cp39 cp312", linux, ">=3.8"),
        **_compiled("newpython", "2.0", "cp310 cp312", linux, ">=3.10"),
        "newpython-2.0.tar.gz": sdist_bytes(
            "newpython", "2.0", compiled=True, requires_python=">=3.10"
        ),
        **_compiled("newpython", "2.1", "cp311 cp312", linux, ">=3.11"),
        "newpython-2.1.tar.gz": sdist_bytes(
            "newpython", "2.1", compiled=True, requires_python=">=3.11"
        ),
    }


def main() -> None:
    """`python tests/wheelhouse.py DIR`: make the wheelhouse in DIR and serve it until stopped
    (scripts/demo.sh); prints the index's URL."""
    import sys

    with serve_index(build_wheelhouse(Path(sys.argv[1]))) as index:
        print(f"wheelhouse index at {index.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
