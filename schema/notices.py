"""System notices (S14): maintenance windows and incidents the provider announces (CRM)."""

from datetime import datetime
from enum import Enum

import strawberry

from connectors.base.changes import Notice
from schema.common import Node, global_id


@strawberry.enum(description="How serious a notice is.")
class NoticeSeverity(Enum):
    INFO = "INFO"
    MAINTENANCE = "MAINTENANCE"
    INCIDENT = "INCIDENT"


@strawberry.type(description="An announcement to every customer, such as planned maintenance.")
class SystemNotice(Node):
    severity: NoticeSeverity = strawberry.field(description="Maintenance, incident or info.")
    title: str = strawberry.field(description="The headline.")
    body: str = strawberry.field(description="The text.")
    active_from: datetime = strawberry.field(description="When it starts to apply.")
    active_to: datetime | None = strawberry.field(description="When it ends, if known.")
    affected_systems: list[str] = strawberry.field(description="The systems it concerns.")

    @classmethod
    def of(cls, notice: Notice) -> "SystemNotice":
        return cls(
            id=global_id("SystemNotice", "crm", notice.id),
            severity=NoticeSeverity(notice.severity),
            title=notice.title,
            body=notice.body,
            active_from=notice.active_from,
            active_to=notice.active_to,
            affected_systems=list(notice.affected_systems),
        )
