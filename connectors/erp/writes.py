"""The ERP adapter's writes: `ErpWriter`, which sends them, and those to sales documents (the
write half of QuotePort and OrderPort); the master-data writes are in `masterdata.py`.

Each write is one SOAP call through `Guard.write`: one attempt, never retried, so a timeout
leaves the outcome unknown rather than doubled. `mapping.written` reads the answer and raises
`UpstreamRefused` when the ERP refused the write.
"""

from collections.abc import Mapping

from connectors.base.guard import Guard
from connectors.base.records import Order, Quote, QuoteRequest, System
from connectors.base.soap import Fields, SoapService
from connectors.erp import codes, mapping


class ErpWriter:
    """Mixed into `ErpAdapter`, which owns the SOAP service and the guard."""

    _soap: SoapService
    _guard: Guard

    async def _write(
        self, operation: str, fields: Mapping[str, str], **params: object
    ) -> mapping.Written:
        """Send write `operation`; `fields` names the field each request element comes from,
        for the reasons of a refusal."""
        answer = await self._guard.write(lambda: self._soap.call(operation, **params))
        return mapping.written(Fields(System.ERP, answer, operation), fields)


class SalesWrites(ErpWriter):
    """The write half of QuotePort and OrderPort."""

    async def _sales(self, operation: str, **params: object) -> mapping.Written:
        return await self._write(operation, codes.SALES_FIELDS, **params)

    async def request_quote(self, request: QuoteRequest) -> Quote:
        written = await self._sales(
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
        return written.record("Quote", mapping.quote)

    async def accept_quote(
        self, customer: str, quote_id: str, signer: str, customer_reference: str | None
    ) -> tuple[Quote, Order]:
        written = await self._sales(
            "AcceptQuote",
            CustomerNumber=customer,
            QuoteId=quote_id,
            SignedBy=signer,
            ClientOrderRef=customer_reference,
        )
        return written.record("Quote", mapping.quote), written.record("Order", mapping.order)

    async def decline_quote(self, customer: str, quote_id: str, reason: str) -> Quote:
        written = await self._sales(
            "DeclineQuote", CustomerNumber=customer, QuoteId=quote_id, Reason=reason
        )
        return written.record("Quote", mapping.quote)

    async def reorder(
        self, customer: str, order_id: str, customer_reference: str | None
    ) -> Order | Quote:
        written = await self._sales(
            "CopyOrder",
            CustomerNumber=customer,
            OrderId=order_id,
            ClientOrderRef=customer_reference,
        )
        return written.optional("Order", mapping.order) or written.record("Quote", mapping.quote)

    async def cancel_order(self, customer: str, order_id: str, reason: str) -> Order:
        written = await self._sales(
            "CancelOrder", CustomerNumber=customer, OrderId=order_id, Reason=reason
        )
        return written.record("Order", mapping.order)
