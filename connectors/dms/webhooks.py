"""DMS webhook events to changes: a new version of a document.

Envelope: `{"id", "event", "occurred_at", "object": {"document_id", "version_id", "owner"}}`.
"""

from datetime import datetime

from connectors.base.changes import Change, json_event
from connectors.base.payload import child, text, timestamp
from connectors.base.records import CaseRef, System


def parse_event(body: bytes, received_at: datetime) -> Change | None:
    """The change a verified event reports; None for events the gateway does not use.
    Raises PayloadError for a body that is not a well-formed event."""
    event = json_event(body)
    if text(event, "event") != "version.created":
        return None
    data = child(event, "object")
    return Change(
        source=System.DMS,
        event_id=text(event, "id"),
        kind="document.version_added",
        entity="DOCUMENT",
        entity_id=text(data, "document_id"),
        occurred_at=timestamp(event, "occurred_at"),
        customer=text(data, "owner"),
        related=(CaseRef("VERSION", text(data, "version_id")),),
        received_at=received_at,
    )
