"""The small part of PEP 440 the hints for a missing wheel need: ordering releases, and whether
a version meets a specifier (a requirement's `>=2`, a release's Requires-Python `>=3.10`).

Only final releases and post-releases are ordered; anything this does not read (a local
version, an arbitrary `===` match) gives None, and the caller then claims nothing about it."""

import re

_VERSION = re.compile(
    r"^v?(?P<release>\d+(?:\.\d+)*)(?P<pre>(?:a|b|rc)\d+)?(?:\.?post(?P<post>\d+))?"
    r"(?P<dev>\.?dev\d+)?$",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"^\s*(?P<op>~=|==|!=|<=|>=|<|>)\s*(?P<version>[0-9][0-9a-z.]*(?:\.\*)?)\s*$")

Key = tuple[tuple[int, ...], int]  # the release with trailing zeros cut, the post number


def parse(version: str) -> tuple[Key, bool] | None:
    """The ordering key of `version` and whether it is a pre- or dev release."""
    found = _VERSION.match(version.strip())
    if not found:
        return None
    release = tuple(int(part) for part in found["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    return (release, int(found["post"] or -1)), bool(found["pre"] or found["dev"])


def _padded(release: tuple[int, ...], length: int) -> tuple[int, ...]:
    return release + (0,) * (length - len(release))


def _meets(key: Key, op: str, bound: str) -> bool | None:
    release, post = key
    if bound.endswith(".*"):
        if op not in ("==", "!="):
            return None
        prefix = tuple(int(p) for p in bound[:-2].split(".") if p.isdigit())
        same = _padded(release, len(prefix))[: len(prefix)] == prefix
        return same if op == "==" else not same
    parsed = parse(bound)
    if parsed is None:
        return None
    (other, other_post), _ = parsed
    length = max(len(release), len(other))
    mine, theirs = (_padded(release, length), post), (_padded(other, length), other_post)
    if op == "~=":
        digits = bound.split(".")
        if len(digits) < 2:
            return None
        prefix = tuple(int(d) for d in digits[:-1] if d.isdigit())
        return mine >= theirs and _padded(release, len(prefix))[: len(prefix)] == prefix
    return {
        "==": mine == theirs,
        "!=": mine != theirs,
        "<=": mine <= theirs,
        ">=": mine >= theirs,
        "<": mine < theirs,
        ">": mine > theirs,
    }[op]


def satisfies(version: str, specifier: str) -> bool | None:
    """Whether `version` meets every clause of `specifier` (comma-separated; '' meets all);
    None when either cannot be read."""
    parsed = parse(version)
    if parsed is None:
        return None
    key, _ = parsed
    for clause in filter(None, (c.strip() for c in specifier.split(","))):
        found = _CLAUSE.match(clause)
        if not found:
            return None
        met = _meets(key, found["op"], found["version"].lower())
        if not met:
            return met
    return True
