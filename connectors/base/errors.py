"""Upstream failures, as the resolvers see them, whatever the protocol.

    UpstreamError
    ├── UpstreamUnavailable      connection refused, HTTP 5xx/503, SOAP server fault
    │   ├── UpstreamTimeout      no (complete) answer in time
    │   │   └── SlotTimeout      (bulkhead.py) the deadline passed waiting for a slot
    │   ├── CircuitOpen          (breaker.py) the system's circuit is open
    │   └── BulkheadFull         (bulkhead.py) too many calls in flight and waiting
    ├── UpstreamBadResponse      an answer that cannot be parsed or mapped
    └── UpstreamRejected         HTTP 4xx or SOAP client fault: the request itself was refused
        └── UpstreamRefused      a write the system answered by refusing it, with its reasons
                                 (its data, its business rules, a file it will not store)

Resolvers catch `UpstreamError` and read `system`, `code`, `retriable` and `retry_after_s`;
they never need to know which adapter raised it. `attempted` is False for the errors of a call
the gateway did not make (circuit open, bulkhead full). Messages are for logs: they never
reach a client; only an `UpstreamRefused`'s refusals are written for the user (as user errors).
"""

from dataclasses import dataclass

from connectors.base.records import System

__all__ = [
    "Refusal",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamRefused",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
]


class UpstreamError(Exception):
    """An upstream system failed to answer a request usefully."""

    code = "UPSTREAM_UNAVAILABLE"
    retriable = False
    attempted = True

    def __init__(self, system: System, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(f"{system.value}: {detail}")
        self.system = system
        self.detail = detail
        self.retry_after_s = retry_after_s


class UpstreamUnavailable(UpstreamError):
    """The system could not be reached or answered with a server error."""

    retriable = True


class UpstreamTimeout(UpstreamUnavailable):
    """The system did not answer in time."""

    code = "UPSTREAM_TIMEOUT"


class UpstreamBadResponse(UpstreamError):
    """The system answered with something that cannot be parsed or mapped."""

    code = "UPSTREAM_BAD_RESPONSE"


class UpstreamRejected(UpstreamError):
    """The system refused the request (a client error); retrying will not help."""

    code = "UPSTREAM_REJECTED"


@dataclass(frozen=True)
class Refusal:
    """One reason a system of record refused a write, in the portal's terms."""

    field: str | None
    """The refused field (`postal_code`, `email`; `lines.0.quantity` inside a list), named as
    the portal's inputs name it; None for the write as a whole."""
    code: str
    """The portal's code for the rule (`INVALID_POSTAL_CODE`, `QUOTE_EXPIRED`; REFUSED for a
    rule the portal does not know)."""
    message: str
    """The system's explanation, written for the user."""


class UpstreamRefused(UpstreamRejected):
    """The system answered a write by refusing it, for its data or a business rule; nothing
    changed."""

    def __init__(self, system: System, refusals: tuple[Refusal, ...]) -> None:
        reasons = "; ".join(f"{r.field or '-'}: {r.code} ({r.message})" for r in refusals)
        super().__init__(system, f"write refused: {reasons}")
        self.refusals = refusals
