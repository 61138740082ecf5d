"""Tickets from the portal: `createTicket`, `updateTicket`, `closeTicket`, `reopenTicket`,
`rateTicket` and `disputeInvoice` (CRM; the disputed invoice is checked in the ERP)."""

from typing import TypeVar

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import disputes, ticket_writes
from resolvers.context import Context
from resolvers.ticket_writes import Outcome, TicketRequest
from schema.common import UserError
from schema.enums import DisputeReason, TicketPriority
from schema.payloads import external_id_of, user_errors
from schema.resolution import readable_case_types, subject_ref
from schema.tickets import Ticket

Info = strawberry.Info[Context, None]
WRITE = requires(Permission.TICKETS_WRITE)


@strawberry.type
class TicketPayload:
    ticket: Ticket | None = strawberry.field(description="The ticket; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


P = TypeVar("P", bound=TicketPayload)


def payload(kind: type[P], outcome: Outcome, info: Info) -> P:
    if isinstance(outcome, list):
        return kind(ticket=None, user_errors=user_errors(outcome))
    return kind(ticket=Ticket.of(outcome, info), user_errors=[])


def ticket_id(node_id: strawberry.ID) -> str | None:
    return external_id_of(node_id, "Ticket")


@strawberry.input(description="Open a support ticket, optionally about a case.")
class CreateTicketInput:
    subject: str = strawberry.field(description="A short title (at most 200 characters).")
    description: str = strawberry.field(description="What it is about (plain text).")
    category: str = strawberry.field(
        description="The helpdesk's category: general, technical, billing, delivery or order."
    )
    priority: TicketPriority = strawberry.field(
        default=TicketPriority.NORMAL, description="How urgent it is; it sets the SLA."
    )
    related_case_id: strawberry.ID | None = strawberry.field(
        default=None, description="The quote, order or invoice it is about."
    )


@strawberry.type(description="The ticket opened.")
class CreateTicketPayload(TicketPayload):
    pass


@strawberry.input(description="Change an open ticket; fields left out stay as they are.")
class UpdateTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global ID.")
    subject: str | None = strawberry.field(default=None, description="A new title.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    category: str | None = strawberry.field(default=None, description="Another category.")
    priority: TicketPriority | None = strawberry.field(
        default=None, description="Another priority."
    )


@strawberry.type(description="The changed ticket.")
class UpdateTicketPayload(TicketPayload):
    pass


@strawberry.input(description="Close a ticket the customer needs no more help with.")
class CloseTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global ID.")


@strawberry.type(description="The closed ticket.")
class CloseTicketPayload(TicketPayload):
    pass


@strawberry.input(description="Reopen a resolved or closed ticket.")
class ReopenTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global ID.")


@strawberry.type(description="The reopened ticket.")
class ReopenTicketPayload(TicketPayload):
    pass


@strawberry.input(description="Rate how a resolved or closed ticket was handled.")
class RateTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's global ID.")
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent) stars.")
    comment: str | None = strawberry.field(
        default=None, description="What went well or not (at most 2000 characters)."
    )


@strawberry.type(description="The rated ticket.")
class RateTicketPayload(TicketPayload):
    pass


@strawberry.input(description="Dispute an invoice: opens a billing ticket about it.")
class DisputeInvoiceInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice's global ID.")
    reason: DisputeReason = strawberry.field(description="Why it is disputed.")
    message: str = strawberry.field(description="What is wrong, for the provider's team.")


@strawberry.type(description="The ticket opened about the invoice.")
class DisputeInvoicePayload(TicketPayload):
    pass


@strawberry.type
class TicketMutations:
    @strawberry.mutation(description="Open a support ticket.", extensions=WRITE)
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> CreateTicketPayload:
        request = TicketRequest(
            subject=input.subject,
            description=input.description,
            category=input.category,
            priority=input.priority.value,
            related_case=(
                subject_ref(input.related_case_id) if input.related_case_id is not None else None
            ),
        )
        outcome = await ticket_writes.create(info.context, request, readable_case_types(info))
        return payload(CreateTicketPayload, outcome, info)

    @strawberry.mutation(description="Change an open ticket.", extensions=WRITE)
    async def update_ticket(self, info: Info, input: UpdateTicketInput) -> UpdateTicketPayload:
        changes = r.TicketChanges(
            subject=input.subject,
            description=input.description,
            category=input.category,
            priority=input.priority.value if input.priority else None,
        )
        outcome = await ticket_writes.update(info.context, ticket_id(input.ticket_id), changes)
        return payload(UpdateTicketPayload, outcome, info)

    @strawberry.mutation(description="Close a ticket.", extensions=WRITE)
    async def close_ticket(self, info: Info, input: CloseTicketInput) -> CloseTicketPayload:
        outcome = await ticket_writes.close(info.context, ticket_id(input.ticket_id))
        return payload(CloseTicketPayload, outcome, info)

    @strawberry.mutation(description="Reopen a resolved or closed ticket.", extensions=WRITE)
    async def reopen_ticket(self, info: Info, input: ReopenTicketInput) -> ReopenTicketPayload:
        outcome = await ticket_writes.reopen(info.context, ticket_id(input.ticket_id))
        return payload(ReopenTicketPayload, outcome, info)

    @strawberry.mutation(description="Rate a resolved or closed ticket.", extensions=WRITE)
    async def rate_ticket(self, info: Info, input: RateTicketInput) -> RateTicketPayload:
        outcome = await ticket_writes.rate(
            info.context, ticket_id(input.ticket_id), input.rating, input.comment
        )
        return payload(RateTicketPayload, outcome, info)

    @strawberry.mutation(
        description="Dispute an invoice of the organization: opens a billing ticket about it.",
        extensions=WRITE,
    )
    async def dispute_invoice(
        self, info: Info, input: DisputeInvoiceInput
    ) -> DisputeInvoicePayload:
        outcome = await disputes.dispute(
            info.context,
            external_id_of(input.invoice_id, "Invoice"),
            input.reason.value,
            input.message,
            readable_case_types(info),
        )
        return payload(DisputeInvoicePayload, outcome, info)
