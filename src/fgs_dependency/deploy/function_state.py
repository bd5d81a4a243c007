"""What changed on a function between two reads, and what a read-back after this run's
update says: FunctionGraph has no precondition on updates, so races are found by reading."""

from dataclasses import dataclass

from ..huaweicloud.function_api import AttachedDependency, FunctionCode

# The fields that say which code the function runs.
_CODE_FIELDS = ("digest", "code_type", "code_url", "code_filename")


def label(entry: str, known: dict[str, AttachedDependency]) -> str:
    """A dependency version as people name it ("numpy 3"), or its id when not described."""
    found = known.get(entry)
    if found is None or not found.name:
        return entry
    return f"{found.name} {found.version}" if found.version is not None else found.name


def described(*codes: FunctionCode) -> dict[str, AttachedDependency]:
    return {d.id: d for code in codes for d in code.dependencies}


def changes(before: FunctionCode, now: FunctionCode) -> list[str]:
    """What differs between two reads of a function: its code (digest), its update time
    (last_modified) and its dependency list, each named."""
    found = []
    if before.last_modified != now.last_modified:
        found.append(f"last_modified {before.last_modified} -> {now.last_modified}")
    found += [f"{f} changed" for f in _CODE_FIELDS if getattr(before, f) != getattr(now, f)]
    if set(before.depend_version_list) != set(now.depend_version_list):
        known = described(before, now)
        found.append(
            f"dependencies [{', '.join(label(i, known) for i in before.depend_version_list)}]"
            f" -> [{', '.join(label(i, known) for i in now.depend_version_list)}]"
        )
    return found


def same_code(a: FunctionCode, b: FunctionCode) -> bool:
    return all(getattr(a, field) == getattr(b, field) for field in _CODE_FIELDS)


@dataclass(frozen=True)
class ReadBack:
    """A read-back after this run's update, judged against what the update sent."""

    has_ours: bool  # the version this run attached is on the function
    old_ours: tuple[str, ...]  # versions of this dependency still on it besides ours
    code_kept: bool  # the code is the code this run sent
    added: tuple[str, ...]  # on the function, not sent by this run: another's
    missing: tuple[str, ...]  # sent by this run (not ours), no longer on the function

    @property
    def success(self) -> bool:
        return self.has_ours and not self.old_ours and self.code_kept


def judge(
    sent: FunctionCode, wanted: list[str], stored: FunctionCode, version_id: str, ours: set[str]
) -> ReadBack:
    """`sent`: the state the update was built from (its code was sent again); `wanted`: the
    list sent; `ours`: every version id of this run's dependency."""
    now = stored.depend_version_list
    return ReadBack(
        has_ours=version_id in now,
        old_ours=tuple(i for i in now if i in ours and i != version_id),
        code_kept=same_code(sent, stored),
        added=tuple(i for i in now if i not in wanted and i not in ours),
        missing=tuple(i for i in wanted if i not in now and i != version_id),
    )


def state_text(code: FunctionCode, sent: FunctionCode) -> str:
    """What is on a function now, for a message: its dependencies, and whether its code is
    still the code this run sent."""
    known = described(code)
    listed = ", ".join(label(i, known) for i in code.depend_version_list) or "none"
    which = (
        "the code this run sent"
        if same_code(code, sent)
        else f"other code than this run sent (digest {code.digest[:16]}...)"
    )
    return f"dependencies [{listed}], {which}"
