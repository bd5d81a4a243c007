"""Attaching the published version to each function of 'functions': build the update, send
it (again only as decide.before_resend allows), judge the read-back (decide.after_update),
and put back what a function had only when FunctionGraph stored something other than sent.
The checks before publishing are in precheck; the code sent is built in update."""

import time

from ..errors import ActionError, ApiError, Cancelled, TransientError
from ..github import runner
from ..huaweicloud import function_api
from ..huaweicloud.dependencies import DependencyVersion
from ..huaweicloud.function_api import (
    Context,
    FunctionCode,
    read_code,
    read_config,
)
from ..huaweicloud.retry import backoff
from ..inputs.urns import name_of
from . import decide, readback
from .attachment import AttachError, Attachment, FunctionFailed
from .function_state import changes, described, labels, state_text
from .precheck import Target, check_can_attach
from .restore import restore
from .update import Code, Update, build, version_ids

# Builds of one update, each after the function changed under the one before: another
# deploy working on the function for longer is waited out by a re-run, not here.
BUILD_ATTEMPTS = 3


def _ours(ctx: Context, version: DependencyVersion) -> set[str]:
    """Every version id of the dependency, read now: what an update replaces."""
    return {version.id} | version_ids(ctx, version.dep_id)


def _outcome(
    urn: str,
    before: FunctionCode,
    now: FunctionCode,
    version_id: str,
    *,
    changed: bool = True,
    failed: bool = False,
) -> Attachment:
    return Attachment(
        urn,
        labels(before, now),
        labels(now, before),
        changed=changed,
        holds_version=version_id in now.depend_version_list,
        failed=failed,
    )


def _send(
    ctx: Context, urn: str, update: Update, tries: int
) -> tuple[FunctionCode | None, FunctionCode | None, str]:
    """Send the PUT once. (its reply, None, "") when it answered; else (None, the function
    read since, what failed) for decide.before_resend; a definite refusal raises."""
    name = name_of(urn)
    try:
        return function_api.update_code(ctx, urn, update.body), None, ""
    except Cancelled:
        raise
    except ApiError as err:
        raise FunctionFailed(
            ActionError(
                f"Function '{name}': FunctionGraph refused its update ({err}); nothing was "
                "changed on it.",
                code=err.code,
                request_id=err.request_id,
            )
        ) from None
    except TransientError as err:
        failure: ActionError = err
        delay = err.retry_after if err.retry_after is not None else backoff(tries)
    except ActionError as err:  # an answer that is not one: its outcome is unknown
        failure, delay = err, 0.0
    if tries <= ctx.retries.times:
        runner.warning(
            f"Updating the code of '{name}' failed: {failure}. Reading it again in "
            f"{delay:.1f} s to see what it holds before anything is sent again.",
            ctx.warnings,
        )
        time.sleep(delay)
    try:
        return None, read_code(ctx, urn), str(failure)
    except Cancelled:
        raise
    except ActionError as err:
        raise FunctionFailed(
            f"Function '{name}': updating it failed ({failure}), and reading it again failed "
            f"too ({err}): whether the update was applied is unknown. Check its dependencies "
            "in the console, or run the job again, which converges."
        ) from None


def attach(ctx: Context, target: Target, version: DependencyVersion, ours: set[str]) -> Attachment:
    """Make `version` the function's version of its dependency, keeping everything else.
    `ours`: the ids of every version of the dependency."""
    urn, name = target.urn, name_of(target.urn)
    config = read_config(ctx, urn)  # the code's KMS key is only here
    check_can_attach(name, config, version.runtime)
    first = base = read_code(ctx, urn)
    code = target.code
    builds, tries, unknown = 1, 0, False
    while True:
        update, code = build(ctx, name, base, config, version, ours, code)
        if update is None:
            return _already(urn, first, base, version, unknown)
        # No precondition header exists: the nearest thing is to look just before sending.
        now = read_code(ctx, urn)
        found = changes(base, now)
        reply = None
        if not found:
            tries += 1
            reply, now_read, failure = _send(ctx, urn, update, tries)
            if reply is not None:
                break
            assert now_read is not None
            now, unknown = now_read, True
            decision = decide.before_resend(base, update.wanted, now)
            runner.untrusted([f"Function '{name}': {decision.why}"])
            if decision.action == "applied":
                reply = now
                break
            if tries > ctx.retries.times:
                raise FunctionFailed(
                    f"Function '{name}': updating it failed {tries} times; the last time: "
                    f"{failure}. {_unknown_state(decision, now, base)} Raise 'retries' or run "
                    "the job again.",
                    _outcome(urn, first, now, version.id, changed=False, failed=True),
                )
            if decision.action == "send again":
                continue
            found = changes(base, now)
        builds += 1
        if builds > BUILD_ATTEMPTS:
            done = "may have been" if unknown else "was not"
            raise FunctionFailed(
                f"Function '{name}' kept changing while its update was built ({BUILD_ATTEMPTS} "
                f"times; the last: {'; '.join(found)}): another deploy is working on it. This "
                f"run's update {done} applied; it now has {state_text(now, base)}. Run the "
                "job again when the other deploy has finished, and give both one "
                "'concurrency:' group.",
                _outcome(urn, first, now, version.id, changed=unknown, failed=True),
            )
        runner.untrusted(
            [
                f"Function '{name}' changed while its update was built ({'; '.join(found)}): "
                "building it again from its new state"
            ]
        )
        base, ours = now, _ours(ctx, version)
    return _judge(ctx, urn, update, reply, version, ours, code, config.code_encrypt_kms_key_id)


def _unknown_state(decision: decide.Decision, now: FunctionCode, base: FunctionCode) -> str:
    if decision.action == "send again":
        return "It is as it was before: nothing was changed on it."
    return f"It changed meanwhile ({decision.why}); it now has {state_text(now, base)}."


def _already(
    urn: str, first: FunctionCode, now: FunctionCode, version: DependencyVersion, unknown: bool
) -> Attachment:
    changed = version.id not in first.depend_version_list
    if changed:
        runner.info(
            f"Function '{name_of(urn)}' holds this run's version now, put there by this run's "
            "update (whose reply was lost) or by another run"
            if unknown
            else f"Function '{name_of(urn)}' holds this run's version already (another run)"
        )
    return _outcome(urn, first, now, version.id, changed=changed and unknown)


def _judge(
    ctx: Context,
    urn: str,
    update: Update,
    reply: FunctionCode,
    version: DependencyVersion,
    ours: set[str],
    code: Code,
    kms_key_id: str,
) -> Attachment:
    """Judge the read-back by what this run changed; undo only that (decide.after_update)."""
    name, base = name_of(urn), update.base
    try:
        now = read_code(ctx, urn)
    except Cancelled:
        raise
    except ActionError as err:
        raise FunctionFailed(
            f"Function '{name}': updated, but reading it back failed ({err}); by the update's "
            f"reply it holds {state_text(reply, base)}. Check it in the console.",
            _outcome(urn, base, reply, version.id, failed=True),
        ) from None
    decision = decide.after_update(base, update.wanted, reply, now, version.id, ours)
    known = described(base, reply, now)
    if decision.action == "done":
        readback.tell_others(name, update, now, ours, known, ctx.warnings)
        return _outcome(urn, base, now, version.id)
    problems = readback.problems(now, update, version, ours, known)
    if decision.action == "restore":
        what, final = restore(ctx, urn, base, reply, code, kms_key_id)
    else:
        what = f"it was left as it is ({decision.why}); it now has {state_text(now, base)}"
        final = now
    raise FunctionFailed(
        f"Function '{name}': the update did not leave it as this run sent it "
        f"({'; '.join(problems)}); {what}. Run the job again.",
        _outcome(urn, base, final, version.id, failed=True),
    )


def attach_all(ctx: Context, targets: list[Target], version: DependencyVersion) -> list[Attachment]:
    """Attach to each function in turn, stopping at the first failure."""
    if not targets:
        return []
    try:
        ours = _ours(ctx, version)
    except ActionError as err:
        raise AttachError(err, f"{err} No function was changed.", []) from None
    done: list[Attachment] = []
    for index, target in enumerate(targets):
        try:
            done.append(attach(ctx, target, version, ours))
        except ActionError as err:
            failed = err.attachment if isinstance(err, FunctionFailed) else None
            changed = [a.urn for a in done if a.changed]
            so_far = (
                f" Changed before it: {', '.join(changed)}."
                if changed
                else " No function before it was changed."
            )
            left = [t.urn for t in targets[index + 1 :]]
            rest = f" Not attempted: {', '.join(left)}." if left else ""
            whole = [*done, failed] if failed else done
            message = str(err)
            if isinstance(err, Cancelled):
                message += (
                    f" It was attaching to '{name_of(target.urn)}', whose update may or may not "
                    "have been applied: check its dependencies."
                )
            raise AttachError(err, f"{message}{so_far}{rest}", whole) from None
    return done
