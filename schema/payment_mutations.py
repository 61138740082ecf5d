"""Paying invoices: `createPaymentSession` and `cancelPayment` (payment provider)."""

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from resolvers import payment_sessions as resolve
from resolvers.context import Context
from schema.common import MoneyInput, UserError
from schema.enums import PaymentMethod
from schema.payloads import external_id_of, idempotency_key_field, user_errors
from schema.payments import Payment

Info = strawberry.Info[Context, None]


@strawberry.input(description="How much of one invoice to pay.")
class InvoiceAllocationInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice's global ID.")
    amount: MoneyInput = strawberry.field(
        description="At most the invoice's residual, in its currency (partial payments allowed)."
    )


@strawberry.input(description="Pay one or several invoices, fully or partly.")
class CreatePaymentSessionInput:
    allocations: list[InvoiceAllocationInput] = strawberry.field(
        description="The invoices and amounts; one currency per payment."
    )
    method: PaymentMethod = strawberry.field(description="CARD, TWINT or POSTFINANCE.")
    return_url: str | None = strawberry.field(
        default=None,
        description="Where the provider sends the customer back after paying (https).",
    )
    idempotency_key: str = idempotency_key_field("pays")


@strawberry.type(description="The payment started, with its next action.")
class CreatePaymentSessionPayload:
    payment: Payment | None = strawberry.field(description="The payment; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Cancel a payment still awaiting the customer.")
class CancelPaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="The payment's global ID.")


@strawberry.type(description="The canceled payment.")
class CancelPaymentPayload:
    payment: Payment | None = strawberry.field(description="The payment; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        description="Start paying invoices at the payment provider (partial amounts allowed, "
        "never above the residual); the payment's nextAction says where to send the customer.",
        extensions=requires(Permission.PAYMENTS_WRITE),
    )
    async def create_payment_session(
        self, info: Info, input: CreatePaymentSessionInput
    ) -> CreatePaymentSessionPayload:
        request = resolve.PaymentRequest(
            allocations=tuple(
                resolve.AllocationRequest(
                    external_id_of(a.invoice_id, "Invoice"), a.amount.amount, a.amount.currency_code
                )
                for a in input.allocations
            ),
            method=input.method.value,
            return_url=input.return_url,
            idempotency_key=input.idempotency_key,
        )
        outcome = await resolve.start(info.context, request)
        if isinstance(outcome, list):
            return CreatePaymentSessionPayload(payment=None, user_errors=user_errors(outcome))
        return CreatePaymentSessionPayload(payment=Payment.of(outcome, info), user_errors=[])

    @strawberry.mutation(
        description="Cancel a payment in PENDING or REQUIRES_ACTION.",
        extensions=requires(Permission.PAYMENTS_WRITE),
    )
    async def cancel_payment(self, info: Info, input: CancelPaymentInput) -> CancelPaymentPayload:
        outcome = await resolve.cancel(info.context, external_id_of(input.payment_id, "Payment"))
        if isinstance(outcome, list):
            return CancelPaymentPayload(payment=None, user_errors=user_errors(outcome))
        return CancelPaymentPayload(payment=Payment.of(outcome, info), user_errors=[])
