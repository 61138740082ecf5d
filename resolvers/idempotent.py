"""Writes that take an idempotency key: each runs once per key of an organization
(`infra.idempotency`), its first result kept and replayed to a retry with the same input.

A write checks what depends on the current state (ownership, capacity, status) inside the
claimed key and raises `Refused` with its problems, so a retry after a success is replayed
rather than judged against the state the success left. A refused or failed write releases
the key. Checks of the input alone run before, and claim nothing.
"""

import re
from collections.abc import Awaitable, Callable

from connectors.base.errors import UpstreamError
from infra.idempotency import Conflict, StillRunning, run_once
from infra.topology import REDIS_ERRORS
from resolvers.context import Context
from resolvers.errors import ErrorCode, GatewayError, client_failure
from resolvers.writes import Problem

KEY = re.compile(r"[A-Za-z0-9._:-]{8,128}")
KEY_FIELD = ("input", "idempotencyKey")
KEY_REUSED = Problem(
    KEY_FIELD,
    "IDEMPOTENCY_KEY_REUSED",
    "This idempotency key was used with another input; use a new key.",
)


class Refused(Exception):
    """A write that changed nothing, and why (its answer's user errors)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(", ".join(problem.code for problem in problems))
        self.problems = problems


def key_problems(key: str) -> list[Problem]:
    if KEY.fullmatch(key):
        return []
    return [
        Problem(
            KEY_FIELD, "INVALID", "Use 8 to 128 letters, digits or . _ : - (a UUID, for instance)."
        )
    ]


async def run_idempotent(
    ctx: Context,
    operation: str,
    key: str,
    fingerprint: str,
    write: Callable[[], Awaitable[bytes]],
    system: str,
) -> bytes | list[Problem]:
    """The result of `write` (serialized), run once for `key` of the viewer's organization;
    problems when it was refused or the key was used with another input (`fingerprint`).
    Upstream failures are top-level errors of `system`."""
    try:
        outcome = await run_once(
            ctx.writes.idempotency, f"{operation}:{ctx.tenant}:{key}", fingerprint, write
        )
    except Refused as refused:
        return refused.problems
    except UpstreamError as error:
        raise client_failure(error) from error
    except (*REDIS_ERRORS, StillRunning) as error:
        raise GatewayError(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            "This could not be done safely now; retry with the same idempotency key.",
            system=system if isinstance(error, StillRunning) else "redis",
        ) from error
    if isinstance(outcome, Conflict):
        return [KEY_REUSED]
    return outcome
