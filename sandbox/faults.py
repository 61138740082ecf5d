"""Faults a sandbox system injects at run time, set over `POST /_faults`.

Modes: `ok` (normal), `down` (HTTP 503 on every request), `hang` (never answers; the
request is held until the client gives up or the server stops), `garbage` (HTTP 200 with a
body that is neither valid XML nor JSON). `latency_ms` delays every affected request;
`error_rate` turns that share of affected requests into HTTP 500. `operations` limits the
faults to the named operations (default: all).
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from starlette.responses import Response

FailureResponse = Callable[[int, str], Response]
"""Builds a system's own error answer (a SOAP Fault, a JSON error) from a status and text."""


def plain_failure(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain")


class FaultMode(Enum):
    OK = "ok"
    DOWN = "down"
    HANG = "hang"
    GARBAGE = "garbage"


GARBAGE_BODY = b"\x00\xff<<not xml {not json \xfe garbage"


@dataclass
class Faults:
    """One sandbox system's fault configuration; `base_latency_ms` is from `--latency-ms`."""

    base_latency_ms: int = 0
    mode: FaultMode = FaultMode.OK
    latency_ms: int = 0
    error_rate: float = 0.0
    operations: frozenset[str] | None = None

    def configure(self, spec: dict[str, object]) -> None:
        """Apply a `POST /_faults` body; raises ValueError naming the bad key."""
        mode = spec.get("mode", "ok")
        try:
            self.mode = FaultMode(mode)
        except ValueError:
            raise ValueError(
                f"'mode' has value {mode!r}; expected ok, down, hang or garbage"
            ) from None
        latency = spec.get("latency_ms", 0)
        if not isinstance(latency, int) or isinstance(latency, bool) or latency < 0:
            raise ValueError(f"'latency_ms' has value {latency!r}; expected an integer >= 0")
        self.latency_ms = latency
        rate = spec.get("error_rate", 0.0)
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
            raise ValueError(f"'error_rate' has value {rate!r}; expected a number from 0.0 to 1.0")
        self.error_rate = float(rate)
        operations = spec.get("operations")
        if operations is not None and (
            not isinstance(operations, list) or not all(isinstance(o, str) for o in operations)
        ):
            raise ValueError(f"'operations' has value {operations!r}; expected a list of names")
        self.operations = frozenset(operations) if operations is not None else None

    def reset(self) -> None:
        self.configure({})

    def describe(self) -> dict[str, object]:
        return {
            "mode": self.mode.value,
            "latency_ms": self.latency_ms,
            "base_latency_ms": self.base_latency_ms,
            "error_rate": self.error_rate,
            "operations": sorted(self.operations) if self.operations is not None else None,
        }

    def _affects(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations

    async def apply(
        self,
        operation: str,
        client_gone: Callable[[], Awaitable[object]],
        failure: FailureResponse = plain_failure,
    ) -> Response | None:
        """Delay the request and return the faulty response to send instead, if any.

        A hung request is held until `client_gone` returns (the client disconnected).
        """
        affected = self._affects(operation)
        delay_ms = self.base_latency_ms + (self.latency_ms if affected else 0)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if not affected:
            return None
        if self.mode is FaultMode.HANG:
            await client_gone()
            return failure(504, "gave up")  # nobody is listening any more
        if self.mode is FaultMode.DOWN:
            return failure(503, "service unavailable")
        if self.mode is FaultMode.GARBAGE:
            return Response(GARBAGE_BODY, status_code=200, media_type="application/json")
        if self.error_rate and random.random() < self.error_rate:
            return failure(500, "internal server error")
        return None
