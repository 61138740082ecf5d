"""The Case interface ("Vorgang"): what quotes, orders, invoices, tickets and bookings share,
their thread of messages and their documents included."""

from datetime import datetime

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import documents as resolve_documents
from resolvers.context import Context
from resolvers.labels import status_label
from schema.common import Node, Source
from schema.documents import Document, documents_of
from schema.enums import CaseType
from schema.threads import MessageThread

Info = strawberry.Info[Context, None]


@strawberry.interface(
    description="A business case the customer follows: quote, order, invoice, ticket or booking."
)
class Case(Node):
    number: str = strawberry.field(description="The human document number, e.g. SO-2026-0042.")
    title: str = strawberry.field(description="A short title for lists.")
    case_type: CaseType = strawberry.field(description="Which kind of case this is.")
    status_label: str = strawberry.field(
        description="The status in the viewer's language (Accept-Language, then their locale)."
    )
    updated_at: datetime = strawberry.field(description="When the case last changed upstream.")
    case_ref: strawberry.Private[r.CaseRef]

    @strawberry.field(description="The system of record and the case's ID there.")
    def source(self) -> Source:
        return Source.of(self.id)

    @strawberry.field(
        description="The case's public messages (S9), kept by the CRM.",
        extensions=requires(Permission.TICKETS_READ),
    )
    def thread(self) -> MessageThread | None:
        return MessageThread(subject=self.case_ref)

    @strawberry.field(description="Documents attached to this case (DMS), newest first.")
    async def documents(self, info: Info) -> list[Document] | None:
        return documents_of(await resolve_documents.of_subject(info.context, self.case_ref))


def label(info: Info, status: str) -> str:
    return status_label(status, info.context.locale)
