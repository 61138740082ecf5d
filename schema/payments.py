"""Payments and refunds at the payment provider."""

from datetime import datetime

import strawberry

from auth.permissions import requires, type_requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import payments as resolve
from resolvers.context import Context
from schema.cases import label
from schema.common import Money, Node, SourceStatusInfo, Synced, global_id
from schema.enums import PaymentMethod, PaymentStatus, RefundStatus

Info = strawberry.Info[Context, None]


@strawberry.type(description="The part of a payment applied to one invoice.")
class PaymentAllocation:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice's global ID.")
    amount: Money = strawberry.field(description="The amount applied to it.")


@strawberry.type(description="A refund of (part of) a payment.")
class Refund(Node):
    amount: Money = strawberry.field(description="The refunded amount.")
    status: RefundStatus = strawberry.field(description="The refund's state.")
    reason: str | None = strawberry.field(description="Why it was refunded.")
    created_at: datetime = strawberry.field(description="When it was requested.")


@strawberry.type(description="What the customer must do next to complete a payment (3-D Secure).")
class NextAction:
    redirect_url: str = strawberry.field(description="Send the customer here.")


@strawberry.type(
    description="A payment attempt at the payment provider.",
    directives=[type_requires(Permission.INVOICES_READ)],
)
class Payment(Node, Synced):
    provider: str = strawberry.field(description="The payment provider.")
    method: PaymentMethod = strawberry.field(description="How it is paid.")
    status: PaymentStatus = strawberry.field(description="The payment's state.")
    status_label: str = strawberry.field(description="The status in the viewer's language.")
    source_status: SourceStatusInfo = strawberry.field(description="The provider's raw state.")
    amount: Money = strawberry.field(description="The amount of the payment.")
    amount_refunded: Money = strawberry.field(description="How much was refunded.")
    allocations: list[PaymentAllocation] = strawberry.field(
        description="How the payment is split over invoices (partial payments allowed)."
    )
    failure_code: str | None = strawberry.field(description="Why it failed, as a code.")
    failure_message: str | None = strawberry.field(description="Why it failed.")
    next_action: NextAction | None = strawberry.field(
        description="What to do to complete it: acting on a payment needs payments:write.",
        extensions=requires(Permission.PAYMENTS_WRITE),
    )
    created_at: datetime = strawberry.field(description="When it was started.")
    settled_at: datetime | None = strawberry.field(description="When it succeeded.")
    record: strawberry.Private[r.Payment]

    @classmethod
    def of(cls, payment: r.Payment, info: Info) -> "Payment":
        return cls(
            id=global_id("Payment", "payments", payment.id),
            provider=payment.provider,
            method=PaymentMethod(payment.method),
            status=PaymentStatus(payment.status),
            status_label=label(info, payment.status),
            source_status=SourceStatusInfo.of(payment.source_status),
            amount=Money.of(payment.amount),
            amount_refunded=Money.of(payment.amount_refunded),
            allocations=[
                PaymentAllocation(
                    invoice_id=global_id("Invoice", "erp", allocation.invoice_id),
                    amount=Money.of(allocation.amount),
                )
                for allocation in payment.allocations
            ],
            failure_code=payment.failure_code,
            failure_message=payment.failure_message,
            next_action=NextAction(redirect_url=payment.next_action_url)
            if payment.next_action_url
            else None,
            created_at=payment.created_at,
            settled_at=payment.settled_at,
            record=payment,
        )

    @strawberry.field(description="Refunds of this payment.")
    async def refunds(self, info: Info) -> list[Refund] | None:
        return [
            Refund(
                id=global_id("Refund", "payments", refund.id),
                amount=Money.of(refund.amount),
                status=RefundStatus(refund.status),
                reason=refund.reason,
                created_at=refund.created_at,
            )
            for refund in await resolve.refunds(info.context, self.record)
        ]
