"""Support tickets, their public messages and SLA clocks (CRM)."""

from datetime import datetime

import strawberry

from auth.permissions import type_requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import threads
from resolvers.context import Context
from resolvers.derived import sla_percent_elapsed, sla_status
from schema.cases import Case, label
from schema.common import SourceStatusInfo, Synced, global_id
from schema.enums import CaseType, SlaStatus, TicketPriority, TicketStatus
from schema.threads import Message

Info = strawberry.Info[Context, None]


@strawberry.type(description="The service-level clock of a ticket.")
class SlaClock:
    """The share elapsed and the status are computed when asked for, at the instant the
    ticket was read (`now`): each notes when its value changes next (`resolvers.derived`),
    so an answer that shows neither is not cut short by their changes."""

    first_response_due_at: datetime = strawberry.field(description="First answer due.")
    resolution_due_at: datetime = strawberry.field(description="Resolution due.")
    first_responded_at: datetime | None = strawberry.field(description="When first answered.")
    resolved_at: datetime | None = strawberry.field(description="When resolved.")
    ticket: strawberry.Private[r.Ticket]
    now: strawberry.Private[datetime]

    @classmethod
    def of(cls, ticket: r.Ticket, now: datetime) -> "SlaClock":
        sla = ticket.sla
        return cls(
            first_response_due_at=sla.first_response_due_at,
            resolution_due_at=sla.resolution_due_at,
            first_responded_at=sla.first_responded_at,
            resolved_at=sla.resolved_at,
            ticket=ticket,
            now=now,
        )

    @strawberry.field(description="Share of the resolution time used.")
    def percent_elapsed(self) -> float:
        return sla_percent_elapsed(self.ticket.sla, self.ticket.created_at, self.now)

    @strawberry.field(description="AT_RISK from 80 % elapsed.")
    def status(self) -> SlaStatus:
        return SlaStatus(sla_status(self.ticket, self.now))


@strawberry.type(
    description="A support ticket.", directives=[type_requires(Permission.TICKETS_READ)]
)
class Ticket(Case, Synced):
    subject: str = strawberry.field(description="The ticket's subject.")
    description: str = strawberry.field(description="The original request.")
    category: str = strawberry.field(description="The CRM's category.")
    priority: TicketPriority = strawberry.field(description="How urgent it is.")
    status: TicketStatus = strawberry.field(description="Where it stands.")
    source_status: SourceStatusInfo = strawberry.field(description="The CRM's raw stage.")
    channel: str = strawberry.field(description="How it was opened (portal, e-mail, phone).")
    created_by: str = strawberry.field(description="Who opened it.")
    assignee: str | None = strawberry.field(description="Who works on it (display name).")
    created_at: datetime = strawberry.field(description="When it was opened.")
    satisfaction_rating: int | None = strawberry.field(description="The customer's rating, 1–5.")
    satisfaction_comment: str | None = strawberry.field(
        description="What the customer said with the rating."
    )
    record: strawberry.Private[r.Ticket]
    now: strawberry.Private[datetime]
    """The instant the ticket was read at, which its SLA clock is computed for."""

    @classmethod
    def of(cls, ticket: r.Ticket, info: Info) -> "Ticket":
        return cls(
            id=global_id("Ticket", "crm", ticket.id),
            number=ticket.number,
            title=ticket.subject,
            case_type=CaseType.TICKET,
            status_label=label(info, ticket.status),
            updated_at=ticket.updated_at,
            case_ref=r.CaseRef("TICKET", ticket.id),
            subject=ticket.subject,
            description=ticket.description,
            category=ticket.category,
            priority=TicketPriority(ticket.priority),
            status=TicketStatus(ticket.status),
            source_status=SourceStatusInfo.of(ticket.source_status),
            channel=ticket.channel,
            created_by=ticket.created_by,
            assignee=ticket.assignee,
            created_at=ticket.created_at,
            satisfaction_rating=ticket.satisfaction_rating,
            satisfaction_comment=ticket.satisfaction_comment,
            record=ticket,
            now=info.context.now,
        )

    @strawberry.field(description="The SLA clock.")
    def sla(self) -> SlaClock:
        return SlaClock.of(self.record, self.now)

    @strawberry.field(description="Public messages, oldest first (as `thread.messages`).")
    async def messages(self, info: Info) -> list[Message] | None:
        found = await threads.messages(info.context, self.case_ref)
        return [Message.of(message, info) for message in found]

    @strawberry.field(description="The newest public message (as `thread.lastMessage`).")
    async def last_message(self, info: Info) -> Message | None:
        found = await threads.messages(info.context, self.case_ref)
        return Message.of(found[-1], info) if found else None

    @strawberry.field(description="The order, invoice or quote this ticket is about.")
    async def related_case(self, info: Info) -> Case | None:
        from schema.resolution import resolve_case

        ref = self.record.related_case
        return await resolve_case(info, ref) if ref is not None else None
