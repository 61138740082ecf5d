"""Service offerings, their slots and the organization's bookings (ERP)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from auth.permissions import requires, type_requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import bookings as resolve
from resolvers.cases import case_title
from resolvers.context import Context
from schema.cases import Case, label
from schema.common import Money, Node, SourceStatusInfo, Synced, global_id, priced
from schema.enums import BookingStatus, CaseType, ServiceLocation

if TYPE_CHECKING:
    from schema.orders import Order

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A service the organization can book in slots, at its price.",
    directives=[type_requires(Permission.BOOKINGS_READ)],
)
class ServiceOffering(Node):
    name: str = strawberry.field(description="The service, e.g. Wartung vor Ort.")
    duration_minutes: int = strawberry.field(description="How long one booking lasts.")
    location: ServiceLocation = strawberry.field(description="Where it takes place.")
    price: Money | None = priced("The price of a booking (of a participant when perParticipant).")
    per_participant: bool = strawberry.field(
        description="Each participant takes a seat of a slot (a course); otherwise one booking "
        "takes the slot (a technician's visit)."
    )
    max_participants: int = strawberry.field(description="At most this many per booking.")

    @classmethod
    def of(cls, offering: r.ServiceOffering) -> "ServiceOffering":
        return cls(
            id=global_id("ServiceOffering", "erp", offering.id),
            name=offering.name,
            duration_minutes=offering.duration_minutes,
            location=ServiceLocation(offering.location),
            price=Money.of(offering.price),
            per_participant=offering.per_participant,
            max_participants=offering.max_participants,
        )


async def offering_by_id(info: Info, offering_id: str) -> ServiceOffering | None:
    found = await resolve.offering(info.context, offering_id)
    return ServiceOffering.of(found) if found is not None else None


@strawberry.type(
    description="A time a service can be booked for.",
    directives=[type_requires(Permission.BOOKINGS_READ)],
)
class Slot(Node):
    start: datetime = strawberry.field(description="When it begins.")
    end: datetime = strawberry.field(description="When it ends.")
    capacity_left: int = strawberry.field(description="Seats still free.")
    offering_id: strawberry.Private[str]

    @classmethod
    def of(cls, slot: r.Slot) -> "Slot":
        return cls(
            id=global_id("Slot", "erp", slot.id),
            start=slot.start,
            end=slot.end,
            capacity_left=slot.capacity_left,
            offering_id=slot.offering_id,
        )

    @strawberry.field(description="The service booked in this slot.")
    async def offering(self, info: Info) -> ServiceOffering | None:
        return await offering_by_id(info, self.offering_id)


@strawberry.type(description="Someone taking part in a booked service.")
class BookingParticipant:
    name: str = strawberry.field(description="The participant's name.")
    email: str | None = strawberry.field(description="Where the provider sends the invitation.")


@strawberry.type(
    description="A booked service: a slot, its participants and what became of it.",
    directives=[type_requires(Permission.BOOKINGS_READ)],
)
class Booking(Case, Synced):
    status: BookingStatus = strawberry.field(description="Where the booking stands.")
    source_status: SourceStatusInfo = strawberry.field(description="The ERP's raw state.")
    start: datetime = strawberry.field(description="When the service begins.")
    end: datetime = strawberry.field(description="When it ends.")
    participants: list[BookingParticipant] = strawberry.field(description="Who takes part.")
    cancellation_reason: str | None = strawberry.field(description="Why it was cancelled.")
    created_at: datetime = strawberry.field(description="When it was booked.")
    record: strawberry.Private[r.Booking]

    @classmethod
    def of(cls, booking: r.Booking, info: Info) -> "Booking":
        return cls(
            id=global_id("Booking", "erp", booking.id),
            number=booking.number,
            title=case_title(booking),
            case_type=CaseType.BOOKING,
            status_label=label(info, booking.status),
            updated_at=booking.updated_at,
            case_ref=r.CaseRef("BOOKING", booking.id),
            status=BookingStatus(booking.status),
            source_status=SourceStatusInfo.of(booking.source_status),
            start=booking.start,
            end=booking.end,
            participants=[
                BookingParticipant(name=p.name, email=p.email) for p in booking.participants
            ],
            cancellation_reason=booking.cancel_reason,
            created_at=booking.created_at,
            record=booking,
        )

    @strawberry.field(description="The booked service.")
    async def offering(self, info: Info) -> ServiceOffering | None:
        return await offering_by_id(info, self.record.offering_id)

    @strawberry.field(description="The booked slot, with the seats it has left.")
    async def slot(self, info: Info) -> Slot | None:
        found = await resolve.slot(info.context, self.record.slot_id)
        return Slot.of(found) if found is not None else None

    @strawberry.field(
        description="The order the service belongs to (e.g. the machine maintained).",
        extensions=requires(Permission.ORDERS_READ),
    )
    async def related_order(
        self, info: Info
    ) -> Annotated["Order", strawberry.lazy("schema.orders")] | None:
        from schema.orders import order_by_id

        return await order_by_id(info, self.record.order_id)
