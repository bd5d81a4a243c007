"""What a function holds, as two reads of it compare: FunctionGraph has no precondition on
updates, so every race is found by reading and comparing."""

from ..huaweicloud.function_api import AttachedDependency, CodeState

# The fields that say which code the function runs.
_CODE_FIELDS = ("digest", "code_type", "code_url", "code_filename")


def label(entry: str, known: dict[str, AttachedDependency]) -> str:
    """A dependency version as people name it ("numpy 3"), or its id when not described."""
    found = known.get(entry)
    if found is None or not found.name:
        return entry
    return f"{found.name} {found.version}" if found.version is not None else found.name


def described(*codes: CodeState) -> dict[str, AttachedDependency]:
    return {d.id: d for code in codes for d in code.dependencies}


def labels(code: CodeState, *more: CodeState) -> tuple[str, ...]:
    known = described(*more, code)
    return tuple(label(i, known) for i in code.depend_version_list)


def changes(before: CodeState, now: CodeState) -> list[str]:
    """What differs between two reads of a function: its code (digest), its update time
    (last_modified) and its dependency list, each named."""
    found = []
    if before.last_modified != now.last_modified:
        found.append(f"last_modified {before.last_modified} -> {now.last_modified}")
    found += [f"{f} changed" for f in _CODE_FIELDS if getattr(before, f) != getattr(now, f)]
    if set(before.depend_version_list) != set(now.depend_version_list):
        found.append(
            f"dependencies [{', '.join(labels(before, now))}] -> [{', '.join(labels(now, before))}]"
        )
    return found


def same_code(a: CodeState, b: CodeState) -> bool:
    return all(getattr(a, field) == getattr(b, field) for field in _CODE_FIELDS)


def holds(state: CodeState, code_of: CodeState, dependencies: list[str]) -> bool:
    """Whether `state` runs the code of `code_of` with exactly `dependencies`."""
    return same_code(state, code_of) and set(state.depend_version_list) == set(dependencies)


def untouched(reply: CodeState, now: CodeState) -> bool:
    """Whether `now` is still exactly what the update that replied `reply` produced: the
    same update time, dependency list and code digest (UpdateFunctionCode's reply carries
    all three), so nobody has changed the function since."""
    return (
        now.last_modified == reply.last_modified
        and now.digest == reply.digest
        and set(now.depend_version_list) == set(reply.depend_version_list)
    )


def state_text(code: CodeState, sent: CodeState) -> str:
    """What is on a function now, for a message: its dependencies, and whether its code is
    still the code this run sent."""
    listed = ", ".join(labels(code, sent)) or "none"
    which = (
        "the code this run sent"
        if same_code(code, sent)
        else f"other code than this run sent (digest {code.digest[:16]}...)"
    )
    return f"dependencies [{listed}], {which}"
