"""Booking services: `createBooking`, `rescheduleBooking` and `cancelBooking` (ERP)."""

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import booking_writes as resolve
from resolvers.context import Context
from resolvers.writes import Problem
from schema.bookings import Booking
from schema.common import UserError
from schema.payloads import external_id_of, idempotency_key_field, user_errors

Info = strawberry.Info[Context, None]


@strawberry.input(description="Someone taking part in a booked service.")
class BookingParticipantInput:
    name: str = strawberry.field(description="The participant's name (1 to 100 characters).")
    email: str | None = strawberry.field(
        default=None, description="Where the provider sends the invitation."
    )


@strawberry.input(description="Book a slot of a service.")
class CreateBookingInput:
    slot_id: strawberry.ID = strawberry.field(description="The slot's ID (availableSlots).")
    participants: list[BookingParticipantInput] = strawberry.field(
        description="Who takes part: at least one, at most the offering's maxParticipants."
    )
    idempotency_key: str = idempotency_key_field("books")


@strawberry.type(description="The new booking.")
class CreateBookingPayload:
    booking: Booking | None = strawberry.field(description="The booking; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Move a booking to another slot of the same service.")
class RescheduleBookingInput:
    booking_id: strawberry.ID = strawberry.field(description="The booking's ID.")
    slot_id: strawberry.ID = strawberry.field(description="The new slot's ID.")
    idempotency_key: str = idempotency_key_field("reschedules")


@strawberry.type(description="The booking in its new slot.")
class RescheduleBookingPayload:
    booking: Booking | None = strawberry.field(description="The booking; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.input(description="Cancel a booking before it begins.")
class CancelBookingInput:
    booking_id: strawberry.ID = strawberry.field(description="The booking's ID.")
    reason: str | None = strawberry.field(
        default=None, description="Why, for the provider (at most 1000 characters)."
    )
    idempotency_key: str = idempotency_key_field("cancels")


@strawberry.type(description="The cancelled booking.")
class CancelBookingPayload:
    booking: Booking | None = strawberry.field(description="The booking; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


def _parts(
    outcome: r.Booking | list[Problem], info: Info
) -> tuple[Booking | None, list[UserError]]:
    if isinstance(outcome, list):
        return None, user_errors(outcome)
    return Booking.of(outcome, info), []


@strawberry.type
class BookingMutations:
    @strawberry.mutation(
        description="Book a slot that has not begun and has seats for every participant.",
        extensions=requires(Permission.BOOKINGS_WRITE),
    )
    async def create_booking(self, info: Info, input: CreateBookingInput) -> CreateBookingPayload:
        request = resolve.NewBooking(
            slot_id=external_id_of(input.slot_id, "Slot"),
            participants=tuple(r.Participant(p.name, p.email) for p in input.participants),
            idempotency_key=input.idempotency_key,
        )
        booking, errors = _parts(await resolve.create(info.context, request), info)
        return CreateBookingPayload(booking=booking, user_errors=errors)

    @strawberry.mutation(
        description="Move a booking, before it begins, to another slot of the same service.",
        extensions=requires(Permission.BOOKINGS_WRITE),
    )
    async def reschedule_booking(
        self, info: Info, input: RescheduleBookingInput
    ) -> RescheduleBookingPayload:
        request = resolve.Rescheduling(
            booking_id=external_id_of(input.booking_id, "Booking"),
            slot_id=external_id_of(input.slot_id, "Slot"),
            idempotency_key=input.idempotency_key,
        )
        booking, errors = _parts(await resolve.reschedule(info.context, request), info)
        return RescheduleBookingPayload(booking=booking, user_errors=errors)

    @strawberry.mutation(
        description="Cancel a booking before it begins.",
        extensions=requires(Permission.BOOKINGS_WRITE),
    )
    async def cancel_booking(self, info: Info, input: CancelBookingInput) -> CancelBookingPayload:
        request = resolve.Cancellation(
            booking_id=external_id_of(input.booking_id, "Booking"),
            reason=input.reason,
            idempotency_key=input.idempotency_key,
        )
        booking, errors = _parts(await resolve.cancel(info.context, request), info)
        return CancelBookingPayload(booking=booking, user_errors=errors)
