"""The ERP adapter's writes to sales documents and service bookings (the write half of
QuotePort, OrderPort and BookingPort). A booking write carries the ERP's idempotency key.

Each is one SOAP call through `Guard.write`: one attempt, never retried, so a timeout leaves
the outcome unknown rather than doubled. `mapping.written` reads the answer and raises
`UpstreamRefused` when the ERP refused the write under its rules.
"""

from connectors.base.guard import Guard
from connectors.base.records import Booking, BookingRequest, Order, Quote, QuoteRequest, System
from connectors.base.soap import Fields, SoapService
from connectors.erp import mapping


class SalesWrites:
    """Mixed into `ErpAdapter`, which owns the SOAP service and the guard."""

    _soap: SoapService
    _guard: Guard

    async def _write(self, operation: str, **params: object) -> mapping.Written:
        answer = await self._guard.write(lambda: self._soap.call(operation, **params))
        return mapping.written(Fields(System.ERP, answer, operation))

    async def request_quote(self, request: QuoteRequest) -> Quote:
        written = await self._write(
            "RequestQuote",
            CustomerNumber=request.customer,
            RequestedBy=request.requested_by,
            CommitmentDate=request.requested_date,
            Note=request.note,
            Line=[
                {"ProductCode": line.product_code, "Quantity": line.quantity}
                for line in request.lines
            ],
        )
        return written.expect_quote()

    async def accept_quote(
        self, customer: str, quote_id: str, signer: str, customer_reference: str | None
    ) -> tuple[Quote, Order]:
        written = await self._write(
            "AcceptQuote",
            CustomerNumber=customer,
            QuoteId=quote_id,
            SignedBy=signer,
            ClientOrderRef=customer_reference,
        )
        return written.expect_quote(), written.expect_order()

    async def decline_quote(self, customer: str, quote_id: str, reason: str) -> Quote:
        written = await self._write(
            "DeclineQuote", CustomerNumber=customer, QuoteId=quote_id, Reason=reason
        )
        return written.expect_quote()

    async def reorder(
        self, customer: str, order_id: str, customer_reference: str | None
    ) -> Order | Quote:
        written = await self._write(
            "CopyOrder",
            CustomerNumber=customer,
            OrderId=order_id,
            ClientOrderRef=customer_reference,
        )
        return written.order or written.expect_quote()

    async def cancel_order(self, customer: str, order_id: str, reason: str) -> Order:
        written = await self._write(
            "CancelOrder", CustomerNumber=customer, OrderId=order_id, Reason=reason
        )
        return written.expect_order()

    async def create_booking(self, request: BookingRequest) -> Booking:
        written = await self._write(
            "CreateServiceBooking",
            CustomerNumber=request.customer,
            SlotId=request.slot_id,
            Attendee=[{"Name": p.name, "Email": p.email} for p in request.participants],
            IdempotencyKey=request.idempotency_key,
        )
        return written.expect_booking()

    async def reschedule_booking(
        self, customer: str, booking_id: str, slot_id: str, idempotency_key: str
    ) -> Booking:
        written = await self._write(
            "RescheduleServiceBooking",
            CustomerNumber=customer,
            BookingId=booking_id,
            SlotId=slot_id,
            IdempotencyKey=idempotency_key,
        )
        return written.expect_booking()

    async def cancel_booking(
        self, customer: str, booking_id: str, reason: str | None, idempotency_key: str
    ) -> Booking:
        written = await self._write(
            "CancelServiceBooking",
            CustomerNumber=customer,
            BookingId=booking_id,
            Reason=reason,
            IdempotencyKey=idempotency_key,
        )
        return written.expect_booking()
