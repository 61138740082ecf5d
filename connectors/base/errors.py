"""Upstream failures, as the resolvers see them, whatever the protocol.

    UpstreamError
    ├── UpstreamUnavailable      connection refused, HTTP 5xx/503, SOAP server fault
    │   ├── UpstreamTimeout      no (complete) answer in time
    │   │   └── SlotTimeout      (bulkhead.py) the deadline passed waiting for a slot
    │   ├── CircuitOpen          (breaker.py) the system's circuit is open
    │   └── BulkheadFull         (bulkhead.py) too many calls in flight and waiting
    ├── UpstreamBadResponse      an answer that cannot be parsed or mapped
    └── UpstreamRejected         HTTP 4xx or SOAP client fault: the request itself was refused
        ├── UpstreamRefused      a write the system answered, refusing it by business rules
        └── ContentRefused       an upload the system will not store (virus, size, media type)

Resolvers catch `UpstreamError` and read `system`, `code`, `retriable` and `retry_after_s`;
they never need to know which adapter raised it. `attempted` is False for the errors of a call
the gateway did not make (circuit open, bulkhead full). Messages are for logs: they never
reach a client; an `UpstreamRefused` names its rules, which resolvers turn into user errors.
"""

from dataclasses import dataclass

from connectors.base.records import System

__all__ = [
    "ContentRefused",
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
    """One business rule a write broke, in the system's terms: `rule` (QUOTE_EXPIRED) and the
    request field it concerns, if any."""

    rule: str
    field: str | None = None


class UpstreamRefused(UpstreamRejected):
    """The system answered a write by refusing it under its business rules; nothing changed."""

    def __init__(self, system: System, refusals: tuple[Refusal, ...], detail: str) -> None:
        super().__init__(system, detail)
        self.refusals = refusals


class ContentRefused(UpstreamRejected):
    """The system refused to store an uploaded file; `reason` says why, in terms a user can
    act on: `TOO_LARGE`, `MEDIA_TYPE_NOT_ALLOWED` or `VIRUS_DETECTED`."""

    def __init__(self, system: System, reason: str, detail: str) -> None:
        super().__init__(system, detail)
        self.reason = reason
