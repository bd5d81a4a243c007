"""FunctionGraph's runtime names: the ones the API knows, near-misses refused with the
nearest names, and the Python version a Python runtime stands for.

The service adds runtimes now and then, so a name spelt as a known family spells its
runtimes (`Python3.13`, `Node.js22.14`) goes through, with a warning, even when this list
does not know it yet; a name that only looks like one (`nodejs18`, `Node.js20`, `python39`)
is refused before anything runs, since FunctionGraph would refuse it after packaging and
signing in.
"""

import difflib
import re

# The API's own spellings; users may type any case, and spaces as the docs' prose shows them.
KNOWN = (
    *("Java8", "Java11", "Java17", "Java21"),
    *("Node.js6.10", "Node.js8.10", "Node.js10.16", "Node.js12.13", "Node.js14.18"),
    *("Node.js16.17", "Node.js18.15", "Node.js20.15"),
    *("Python2.7", "Python3.6", "Python3.9", "Python3.10", "Python3.12"),
    *("Go1.8", "Go1.x", "PHP7.3", "PHP8.3", "Cangjie1.0"),
    *("C#(.NET Core 2.0)", "C#(.NET Core 2.1)", "C#(.NET Core 3.1)", "C#(.NET Core 6.0)"),
    "C#(.NET Core 8.0)",
    *("Custom", "Custom Image", "http"),
)


def _key(name: str) -> str:
    return re.sub(r"\s+", "", name).lower()


_BY_KEY = {_key(r): r for r in KNOWN}
_WELL_FORMED = re.compile(r"[A-Za-z][A-Za-z0-9.#()+_ -]{0,63}")
# Each family with versions: how users spell its name (any case), how the API spells it, and
# the shape of a version in the API's spelling.
_FAMILIES = (
    (re.compile(r"node(?:\.?js)?", re.I), "Node.js", re.compile(r"\d+\.\d+")),
    (re.compile(r"python|py", re.I), "Python", re.compile(r"\d\.\d+")),
    (re.compile(r"java", re.I), "Java", re.compile(r"\d+")),
    (re.compile(r"go(?:lang)?", re.I), "Go", re.compile(r"\d+\.(?:\d+|x)")),
    (re.compile(r"php", re.I), "PHP", re.compile(r"\d\.\d")),
    (re.compile(r"cangjie", re.I), "Cangjie", re.compile(r"\d\.\d")),
)
_FAMILY_AND_VERSION = re.compile(r"(?P<family>[A-Za-z.]+?)\s*v?(?P<version>\d[0-9.xX]*)?")
_SOME = "Python3.9, Python3.12, Node.js18.15, Node.js20.15, Java17, Go1.x or Custom"


def _digits(version: str) -> str:
    return re.sub(r"\D", "", version)


def _nearest(name: str, prefix: str, version: str) -> list[str]:
    """Known runtimes of the family whose version starts like `version`, newest first; or
    the family's newest few when none does."""
    family = [r for r in KNOWN if r.startswith(prefix) and r[len(prefix) :][:1].isdigit()]
    alike = [r for r in family if version and _digits(r[len(prefix) :]).startswith(version)]
    return list(reversed(alike or family[-3:]))


def _listing(names: list[str]) -> str:
    names = names[:3]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check(value: str) -> str:
    """The runtime as the API spells it. A ValueError (for pydantic) names the nearest
    runtimes when `value` is a near-miss, or some runtimes when it is no runtime name."""
    known = _BY_KEY.get(_key(value))
    if known:
        return known
    parts = _FAMILY_AND_VERSION.fullmatch(value.strip())
    for spelling, prefix, shape in _FAMILIES:
        if not parts or not spelling.fullmatch(parts["family"]):
            continue
        version = parts["version"] or ""
        if shape.fullmatch(version):
            # Whole, only spelt otherwise ('nodejs18.15', 'python3.13'): as the API spells it,
            # a known runtime or one the list lacks yet.
            return prefix + version
        nearest = _nearest(value, prefix, _digits(version))
        raise ValueError(
            f"is not a runtime name FunctionGraph knows; did you mean {_listing(nearest)}? "
            f"(the API spells them '{prefix}' and the version; README: Supported runtimes)"
        )
    close = difflib.get_close_matches(value, KNOWN, n=3, cutoff=0.75)
    if close:
        raise ValueError(
            f"is not a runtime name FunctionGraph knows; did you mean {_listing(close)}?"
        )
    if _WELL_FORMED.fullmatch(value):
        return value
    raise ValueError(f"is not a FunctionGraph runtime; use one such as {_SOME}")


def is_known(runtime: str) -> bool:
    return runtime in KNOWN


def python_version(runtime: str) -> tuple[int, int] | None:
    """(3, 9) for Python3.9; None for a runtime that is not Python's."""
    found = re.fullmatch(r"Python(\d)\.(\d+)", runtime)
    return (int(found[1]), int(found[2])) if found else None


# FunctionGraph's oldest Python that uv can target: uv needs CPython 3.8 or later, and the
# service has no Python3.7 or Python3.8 (its older ones, Python2.7 and Python3.6, cannot be
# built for). One floor for the code, its message and the README.
_OLDEST_UV_TARGET = (3, 9)


def uv_python(runtime: str) -> str | None:
    """The Python version uv builds for, from a runtime (Python3.9 -> '3.9'); None when the
    runtime is not one uv can target."""
    version = python_version(runtime)
    if version is None or version[0] != 3 or version < _OLDEST_UV_TARGET:
        return None
    shown = f"{version[0]}.{version[1]}"
    return shown if runtime == f"Python{shown}" else None  # 'Python3.08' is no version of uv's


def known_listing() -> str:
    """Every known runtime, for a message about a runtime the service refused."""
    return ", ".join(r for r in KNOWN if r not in ("Custom Image", "http"))
