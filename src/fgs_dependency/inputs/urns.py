"""Function URNs: which forms name a function the action may change, checked before any
request is sent."""

import re
from dataclasses import dataclass

# urn:fss:{region}:{project_id}:function:{package}:{name}[:latest]
_FIELD = r"[A-Za-z0-9_.\-@$#]+"
_URN = re.compile(
    rf"urn:fss:(?P<region>[a-z0-9-]+):(?P<project>[A-Za-z0-9]+):function:"
    rf"(?P<package>{_FIELD}):(?P<name>{_FIELD})(?::(?P<qualifier>[^:]*))?"
)
# A project id as IAM gives them (console: My Credentials > API Credentials).
PROJECT_ID = re.compile(r"[A-Za-z0-9]{32}")
# A function name as FunctionGraph allows it: a letter first, then letters, digits, '_' and '-'.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,127}")


@dataclass(frozen=True)
class Target:
    """One entry of 'functions': a URN to use as is, or a name to look up."""

    text: str
    urn: str = ""  # the URN without ':latest'; empty for a name

    @property
    def is_name(self) -> bool:
        return not self.urn


def parse_target(text: str) -> Target:
    """Raises ValueError with what is accepted when `text` is neither form."""
    if not text.startswith("urn:"):
        if not _NAME.fullmatch(text):
            raise ValueError(
                f"{text!r} is neither a function name (a letter, then letters, digits, '_' "
                "and '-') nor a URN urn:fss:{region}:{project_id}:function:{package}:{name}"
            )
        return Target(text)
    match = _URN.fullmatch(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a function URN: it must have 7 fields, "
            "urn:fss:{region}:{project_id}:function:{package}:{name}, or 8 with ':latest'"
        )
    qualifier = match["qualifier"]
    if qualifier is not None and qualifier != "latest":
        raise ValueError(
            f"{text!r} names a published version or alias ({qualifier!r}), which cannot be "
            "changed: give the function's URN without it, or with ':latest'"
        )
    return Target(text, urn=text.removesuffix(":latest"))


def name_of(urn: str) -> str:
    """The function's name, the URN's seventh field."""
    return urn.split(":")[6] if urn.count(":") >= 6 else urn


def region_and_project(urn: str) -> tuple[str, str]:
    parts = urn.split(":")
    return parts[2], parts[3]
