"""The ERP adapter's writes to service bookings (the write half of BookingPort), sent as
`ErpWriter` sends every write, each with the ERP's idempotency key; the ERP answers the
booking as it now stands."""

from connectors.base.records import Booking, BookingRequest
from connectors.erp import codes, mapping
from connectors.erp.writes import ErpWriter


class BookingWrites(ErpWriter):
    """The writes of `BookingPort`."""

    async def _booking(self, operation: str, **params: object) -> Booking:
        written = await self._write(operation, codes.BOOKING_FIELDS, **params)
        return written.record("Booking", mapping.booking)

    async def create_booking(self, request: BookingRequest) -> Booking:
        return await self._booking(
            "CreateServiceBooking",
            CustomerNumber=request.customer,
            SlotId=request.slot_id,
            Attendee=[{"Name": p.name, "Email": p.email} for p in request.participants],
            IdempotencyKey=request.idempotency_key,
        )

    async def reschedule_booking(
        self, customer: str, booking_id: str, slot_id: str, idempotency_key: str
    ) -> Booking:
        return await self._booking(
            "RescheduleServiceBooking",
            CustomerNumber=customer,
            BookingId=booking_id,
            SlotId=slot_id,
            IdempotencyKey=idempotency_key,
        )

    async def cancel_booking(
        self, customer: str, booking_id: str, reason: str | None, idempotency_key: str
    ) -> Booking:
        return await self._booking(
            "CancelServiceBooking",
            CustomerNumber=customer,
            BookingId=booking_id,
            Reason=reason,
            IdempotencyKey=idempotency_key,
        )
