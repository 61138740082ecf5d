"""Upstream failures, as the resolvers see them, whatever the protocol.

    UpstreamError
    ├── UpstreamUnavailable      connection refused, HTTP 5xx/503, SOAP server fault
    │   ├── UpstreamTimeout      no (complete) answer in time
    │   │   └── SlotTimeout      (bulkhead.py) the deadline passed waiting for a slot
    │   ├── CircuitOpen          (breaker.py) the system's circuit is open
    │   └── BulkheadFull         (bulkhead.py) too many calls in flight and waiting
    ├── UpstreamBadResponse      an answer that cannot be parsed or mapped
    └── UpstreamRejected         HTTP 4xx or SOAP client fault: the request itself was refused
        └── UpstreamInvalid      a write refused for its data, with the reasons per field

Resolvers catch `UpstreamError` and read `system`, `code`, `retriable` and `retry_after_s`;
they never need to know which adapter raised it. `attempted` is False for the errors of a call
the gateway did not make (circuit open, bulkhead full). Messages are for logs: they never
reach a client; only an `UpstreamInvalid`'s violations are written for the user.
"""

from dataclasses import dataclass

from connectors.base.records import System

__all__ = [
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamInvalid",
    "UpstreamRejected",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "Violation",
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
class Violation:
    """One reason a system of record refused a write."""

    field: str | None
    """The refused field in the portal's terms (`postal_code`, `email`); None for the whole
    record."""
    code: str
    """The portal's code for the rule (`INVALID_POSTAL_CODE`, `LAST_BILLING_ADDRESS`)."""
    message: str
    """The system's explanation, written for the user."""


class UpstreamInvalid(UpstreamRejected):
    """The system refused a write for its data or a business rule; nothing was changed."""

    def __init__(self, system: System, violations: tuple[Violation, ...]) -> None:
        codes = ", ".join(f"{v.field or '-'}: {v.code}" for v in violations)
        super().__init__(system, f"write refused ({codes})")
        self.violations = violations
