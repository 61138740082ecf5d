"""Filter and sort inputs of the list fields; each turns itself into the resolvers' filter."""

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum

import strawberry

from connectors.base import records as r
from resolvers.bookings import BookingFilter
from resolvers.cases import CaseFilter
from resolvers.documents import DocumentFilter
from resolvers.errors import BadUserInput
from resolvers.invoices import InvoiceFilter
from resolvers.listing import Sort
from resolvers.orders import OrderFilter
from resolvers.quotes import QuoteFilter
from resolvers.tickets import TicketFilter
from schema.common import DateRange, GlobalId, SortDirection
from schema.enums import (
    BookingStatus,
    CaseType,
    DocumentAudience,
    DocumentType,
    InvoiceKind,
    InvoiceStatus,
    OrderDeliveryStatus,
    OrderStatus,
    QuoteStatus,
    TicketPriority,
    TicketStatus,
)

CASE_TYPES_OF_IDS = {"Quote": "QUOTE", "Order": "ORDER", "Invoice": "INVOICE", "Ticket": "TICKET",
                     "Booking": "BOOKING"}  # fmt: skip


def values(items: Iterable[Enum] | None) -> frozenset[str]:
    return frozenset(item.value for item in items or [])


def bounds(range_: DateRange | None) -> tuple[date | None, date | None]:
    return (range_.start, range_.end) if range_ else (None, None)


def sort_of(field: Enum, direction: SortDirection) -> Sort:
    return Sort(field.value, descending=direction is SortDirection.DESC)


@strawberry.enum(description="Fields orders can be sorted by.")
class OrderSortField(Enum):
    ORDERED_AT = "ORDERED_AT"
    UPDATED_AT = "UPDATED_AT"
    NUMBER = "NUMBER"
    TOTAL = "TOTAL"


@strawberry.input(description="How to sort orders.")
class OrderSort:
    field: OrderSortField = strawberry.field(description="The field.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Order.")


@strawberry.input(description="Which orders to list.")
class OrderFilterInput:
    statuses: list[OrderStatus] | None = strawberry.field(default=None, description="Any of.")
    delivery_statuses: list[OrderDeliveryStatus] | None = strawberry.field(
        default=None, description="Any of."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the order number or the customer's reference."
    )
    customer_reference: str | None = strawberry.field(
        default=None, description="Part of the customer's purchase order number."
    )
    date_range: DateRange | None = strawberry.field(default=None, description="Ordered within.")

    def build(self) -> OrderFilter:
        start, end = bounds(self.date_range)
        return OrderFilter(
            values(self.statuses),
            values(self.delivery_statuses),
            self.search,
            self.customer_reference,
            start,
            end,
        )


@strawberry.enum(description="Fields quotes can be sorted by.")
class QuoteSortField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    VALID_UNTIL = "VALID_UNTIL"
    NUMBER = "NUMBER"
    TOTAL = "TOTAL"


@strawberry.input(description="How to sort quotes.")
class QuoteSort:
    field: QuoteSortField = strawberry.field(description="The field.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Order.")


@strawberry.input(description="Which quotes to list.")
class QuoteFilterInput:
    statuses: list[QuoteStatus] | None = strawberry.field(default=None, description="Any of.")
    search: str | None = strawberry.field(default=None, description="Part of the number.")
    date_range: DateRange | None = strawberry.field(default=None, description="Created within.")

    def build(self) -> QuoteFilter:
        start, end = bounds(self.date_range)
        return QuoteFilter(values(self.statuses), self.search, start, end)


@strawberry.enum(description="Fields invoices can be sorted by.")
class InvoiceSortField(Enum):
    ISSUED_AT = "ISSUED_AT"
    DUE_DATE = "DUE_DATE"
    UPDATED_AT = "UPDATED_AT"
    NUMBER = "NUMBER"
    TOTAL = "TOTAL"


@strawberry.input(description="How to sort invoices.")
class InvoiceSort:
    field: InvoiceSortField = strawberry.field(description="The field.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Order.")


@strawberry.input(description="Which invoices and credit notes to list.")
class InvoiceFilterInput:
    kinds: list[InvoiceKind] | None = strawberry.field(default=None, description="Any of.")
    statuses: list[InvoiceStatus] | None = strawberry.field(default=None, description="Any of.")
    overdue: bool | None = strawberry.field(
        default=None, description="Only overdue (true) or only not overdue (false)."
    )
    due_before: date | None = strawberry.field(default=None, description="Due before this day.")
    search: str | None = strawberry.field(
        default=None, description="Part of the number or the payment reference."
    )
    date_range: DateRange | None = strawberry.field(default=None, description="Issued within.")

    def build(self) -> InvoiceFilter:
        start, end = bounds(self.date_range)
        return InvoiceFilter(
            values(self.kinds),
            values(self.statuses),
            self.overdue,
            self.due_before,
            self.search,
            start,
            end,
        )


@strawberry.enum(description="Fields tickets can be sorted by.")
class TicketSortField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    PRIORITY = "PRIORITY"
    NUMBER = "NUMBER"


@strawberry.input(description="How to sort tickets.")
class TicketSort:
    field: TicketSortField = strawberry.field(description="The field.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Order.")


@strawberry.input(description="Which tickets to list.")
class TicketFilterInput:
    statuses: list[TicketStatus] | None = strawberry.field(default=None, description="Any of.")
    priorities: list[TicketPriority] | None = strawberry.field(default=None, description="Any of.")
    search: str | None = strawberry.field(default=None, description="Part of number or subject.")
    date_range: DateRange | None = strawberry.field(default=None, description="Opened within.")

    def build(self) -> TicketFilter:
        start, end = bounds(self.date_range)
        return TicketFilter(values(self.statuses), values(self.priorities), self.search, start, end)


@strawberry.enum(description="Fields documents can be sorted by.")
class DocumentSortField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    TITLE = "TITLE"


@strawberry.input(description="How to sort documents.")
class DocumentSort:
    field: DocumentSortField = strawberry.field(description="The field.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Order.")


@strawberry.input(description="Which documents to list.")
class DocumentFilterInput:
    types: list[DocumentType] | None = strawberry.field(default=None, description="Any of.")
    audiences: list[DocumentAudience] | None = strawberry.field(default=None, description="Any of.")
    subject_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only documents of this case (a quote, order, invoice, ticket)."
    )
    search: str | None = strawberry.field(default=None, description="Part of the title.")
    date_range: DateRange | None = strawberry.field(default=None, description="Changed within.")

    def build(self) -> DocumentFilter:
        start, end = bounds(self.date_range)
        subject = None
        if self.subject_id is not None:
            parts = GlobalId.decode(self.subject_id)
            case_type = CASE_TYPES_OF_IDS.get(parts.type_name) if parts else None
            if parts is None or case_type is None:
                raise BadUserInput("`subjectId` is not the ID of a case.", "filter.subjectId")
            subject = r.CaseRef(case_type, parts.external_id)
        return DocumentFilter(
            values(self.types), values(self.audiences), subject, self.search, start, end
        )


@strawberry.enum(description="Fields bookings can be sorted by.")
class BookingSortField(Enum):
    START = "START"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    NUMBER = "NUMBER"


@strawberry.input(description="How to sort bookings.")
class BookingSort:
    field: BookingSortField = strawberry.field(description="The field.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Order.")


@strawberry.input(description="Which bookings to list.")
class BookingFilterInput:
    statuses: list[BookingStatus] | None = strawberry.field(default=None, description="Any of.")
    offering_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only bookings of these service offerings."
    )
    upcoming: bool | None = strawberry.field(
        default=None, description="Only those still to begin (true) or already begun (false)."
    )
    search: str | None = strawberry.field(default=None, description="Part of the number.")
    date_range: DateRange | None = strawberry.field(default=None, description="Starting within.")

    def build(self) -> BookingFilter:
        start, end = bounds(self.date_range)
        offerings = set()
        for offering_id in self.offering_ids or []:
            parts = GlobalId.decode(offering_id)
            if parts is None or parts.type_name != "ServiceOffering":
                raise BadUserInput(
                    "`offeringIds` holds an ID that is not a service offering's.",
                    "filter.offeringIds",
                )
            offerings.add(parts.external_id)
        return BookingFilter(
            values(self.statuses), frozenset(offerings), self.upcoming, self.search, start, end
        )


@strawberry.input(description="Which cases to list in the case overview.")
class CaseFilterInput:
    types: list[CaseType] | None = strawberry.field(default=None, description="Any of.")
    statuses: list[str] | None = strawberry.field(
        default=None, description="Any of these status values (e.g. OPEN, IN_PROGRESS)."
    )
    search: str | None = strawberry.field(default=None, description="Part of number or title.")
    updated_since: datetime | None = strawberry.field(default=None, description="Changed since.")
    overdue: bool | None = strawberry.field(default=None, description="Only overdue invoices.")

    def build(self) -> CaseFilter:
        return CaseFilter(
            values(self.types),
            frozenset(self.statuses or []),
            self.search,
            self.updated_since,
            self.overdue,
        )
