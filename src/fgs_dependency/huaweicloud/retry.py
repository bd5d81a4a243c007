"""Retrying what failed for passing reasons, without ever creating a version twice.

A request can fail in three ways: it was refused without effect (throttling, or it never
left this machine), it failed with an unknown outcome (a 5xx, a dropped connection, a
timeout after the body was sent), or it was refused for good (other 4xx). Only the
second kind may have been committed, so only there must a create be looked up before it
is sent again.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

from ..errors import ActionError, TransientError
from ..github import runner

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
_BASE_DELAY = 0.5
_MAX_DELAY = 30.0
_MAX_RETRY_AFTER = 120.0


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), _MAX_RETRY_AFTER)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(moment.timestamp() - time.time(), 0.0), _MAX_RETRY_AFTER)


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter, so that matrix jobs hitting the same
    throttle do not come back in step."""
    return random.uniform(0, min(_MAX_DELAY, _BASE_DELAY * 2**attempt))  # noqa: S311


@dataclass(frozen=True)
class Retries:
    """How many more tries after a passing failure (the 'retries' input), and the run's
    warnings, where each new try is told."""

    times: int
    warnings: list[str]


def with_retries(
    what: str,
    attempt: Callable[[], T],
    retries: Retries,
    *,
    recover: Callable[[], T | None] | None = None,
) -> T:
    """Run `attempt` up to `retries` more times after a TransientError. Before each new
    try that follows a possibly committed failure, `recover` looks for the result the
    failed try may have produced; what it finds is returned instead of trying again."""
    tries = retries.times + 1
    for number in range(1, tries + 1):
        try:
            return attempt()
        except TransientError as failure:
            if number == tries:
                raise ActionError(
                    f"{what} failed {tries} times; the last time: {failure}. "
                    "Raise 'retries' or run the job again later.",
                    code=failure.code,
                    request_id=failure.request_id,
                ) from None
            delay = failure.retry_after if failure.retry_after is not None else backoff(number)
            runner.warning(
                f"{what} failed: {failure}. Trying again in {delay:.1f} s "
                f"(attempt {number + 1} of {tries}).",
                retries.warnings,
            )
            time.sleep(delay)
            if failure.maybe_committed and recover is not None:
                found = recover()
                if found is not None:
                    return found
    raise AssertionError("unreachable")
