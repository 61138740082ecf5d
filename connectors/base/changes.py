"""Changes in upstream systems, normalized: what a webhook reports or a poll finds, in the
portal's terms, before the gateway has read the changed record back.

`Change.kind` is the graph event type of domain.md §6 (`order.status_changed`,
`payment.succeeded`, ...); `entity` the changed record's type, as in `CaseRef` (ORDER,
DELIVERY, INVOICE, PAYMENT, TICKET, MESSAGE, DOCUMENT, NOTICE). Systems that cannot push
implement `ChangeFeed`, which a poller reads from a cursor.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from pydantic import TypeAdapter

from connectors.base.payload import Payload, PayloadError, as_object
from connectors.base.records import CaseRef, System


@dataclass(frozen=True)
class Notice:
    """A system notice as the CRM publishes it (maintenance windows, incidents)."""

    id: str
    severity: str  # INFO | MAINTENANCE | INCIDENT
    title: str
    body: str
    active_from: datetime
    active_to: datetime | None
    affected_systems: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    source: System
    event_id: str
    """The source's event id; for polled changes a synthetic one (hash of record and stamp)."""
    kind: str
    entity: str
    entity_id: str
    occurred_at: datetime
    customer: str | None = None
    """The organization (ERP customer number), where the source names it."""
    status: str | None = None
    """The upstream state the event reports (fat events), in the upstream's own code."""
    related: tuple[CaseRef, ...] = ()
    """Other records the change touches: a payment's invoices, a message's ticket."""
    notice: Notice | None = None
    received_at: datetime | None = None
    """When the gateway received it (a webhook's arrival, a poll's answer)."""

    @property
    def dedupe_key(self) -> str:
        return f"{self.source.value}:{self.event_id}"


CHANGE_CODEC: TypeAdapter[Change] = TypeAdapter(Change)


def json_event(body: bytes) -> Payload:
    """A webhook body as a JSON object; raises PayloadError for anything else."""
    try:
        return as_object(json.loads(body), "event")
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, PayloadError
        raise PayloadError(f"the body is not a JSON event: {error}") from None


@dataclass(frozen=True)
class ChangePage:
    changes: list[Change]
    cursor: str
    """Where the next read starts."""


@runtime_checkable
class ChangeFeed(Protocol):
    """An adapter whose system can be polled for changes (it cannot push them)."""

    @property
    def system(self) -> System: ...

    async def changes_since(self, cursor: str | None, limit: int) -> ChangePage:
        """Up to `limit` changes after `cursor`, oldest first. Without a cursor: none, and
        the cursor of the system's current head (a first poll does not replay history)."""
        ...
