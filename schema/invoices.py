"""Invoices, credit notes and the account balance (ERP), with their payments."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from auth.permissions import requires, type_requires
from auth.policy import Permission
from connectors.base import records as r
from resolvers import documents as resolve_documents
from resolvers import invoices as resolve
from resolvers import qr_bills
from resolvers.context import Context
from resolvers.derived import days_overdue, is_overdue
from resolvers.labels import language_of
from schema.cases import Case, label
from schema.common import Money, SourceStatusInfo, Synced, global_id
from schema.documents import Document
from schema.enums import (
    CaseType,
    CreditNoteReason,
    CreditNoteSettlement,
    InvoiceDeliveryChannel,
    InvoiceKind,
    InvoiceStatus,
    ReferenceType,
)
from schema.payments import Payment
from schema.qr_bills import QrBill

if TYPE_CHECKING:
    from schema.orders import Order

Info = strawberry.Info[Context, None]
PDF = "application/pdf"


@strawberry.type(
    description="An invoice or a credit note (kind CREDIT_NOTE).",
    directives=[type_requires(Permission.INVOICES_READ)],
)
class Invoice(Case, Synced):
    kind: InvoiceKind = strawberry.field(description="Invoice or credit note.")
    status: InvoiceStatus = strawberry.field(description="The state in the ERP.")
    source_status: SourceStatusInfo = strawberry.field(description="The ERP's raw state.")
    issued_at: date = strawberry.field(description="The invoice date.")
    due_date: date = strawberry.field(description="When it must be paid.")
    is_overdue: bool = strawberry.field(description="Open or partially paid after the due date.")
    days_overdue: int = strawberry.field(description="Days past the due date; 0 if not overdue.")
    dunning_level: int = strawberry.field(description="How many reminders were sent.")
    amount_untaxed: Money = strawberry.field(description="Total excluding tax.")
    amount_tax: Money = strawberry.field(description="Tax.")
    total: Money = strawberry.field(description="Total including tax.")
    amount_paid: Money = strawberry.field(description="What the ERP has reconciled as paid.")
    amount_residual: Money = strawberry.field(description="What remains to be paid.")
    balance: Money = strawberry.field(description="The open balance; equal to amountResidual.")
    payment_reference: str | None = strawberry.field(description="The QRR or SCOR reference.")
    reference_type: ReferenceType = strawberry.field(description="The kind of reference.")
    delivery_channel: InvoiceDeliveryChannel = strawberry.field(description="How it was sent.")
    credit_note_reason: CreditNoteReason | None = strawberry.field(
        description="For a credit note: why it was issued."
    )
    settlement: CreditNoteSettlement | None = strawberry.field(
        description="For a credit note: how it is settled."
    )
    record: strawberry.Private[r.Invoice]

    @classmethod
    def of(cls, invoice: r.Invoice, info: Info) -> "Invoice":
        today = info.context.today
        return cls(
            id=global_id("Invoice", "erp", invoice.id),
            number=invoice.number,
            title=invoice.number,
            case_type=CaseType.INVOICE,
            status_label=label(info, invoice.status),
            updated_at=invoice.updated_at,
            case_ref=r.CaseRef("INVOICE", invoice.id),
            kind=InvoiceKind(invoice.kind),
            status=InvoiceStatus(invoice.status),
            source_status=SourceStatusInfo.of(invoice.source_status),
            issued_at=invoice.issued_at,
            due_date=invoice.due_date,
            is_overdue=is_overdue(invoice, today),
            days_overdue=days_overdue(invoice, today),
            dunning_level=invoice.dunning_level,
            amount_untaxed=Money.of(invoice.totals.untaxed),
            amount_tax=Money.of(invoice.totals.tax),
            total=Money.of(invoice.totals.total),
            amount_paid=Money.of(invoice.amount_paid),
            amount_residual=Money.of(invoice.amount_residual),
            balance=Money.of(invoice.amount_residual),
            payment_reference=invoice.payment_reference or None,
            reference_type=ReferenceType(invoice.reference_type),
            delivery_channel=InvoiceDeliveryChannel(invoice.delivery_channel),
            credit_note_reason=CreditNoteReason(invoice.credit_note_reason)
            if invoice.credit_note_reason
            else None,
            settlement=CreditNoteSettlement(invoice.credit_note_settlement)
            if invoice.credit_note_settlement
            else None,
            record=invoice,
        )

    @strawberry.field(description="Payments allocated to this invoice at the payment provider.")
    async def payments(self, info: Info) -> list[Payment] | None:
        found = await resolve.payments(info.context, self.record)
        return [Payment.of(payment, info) for payment in found]

    @strawberry.field(description="Credit notes issued against this invoice.")
    async def credit_notes(self, info: Info) -> list["Invoice"] | None:
        found = await resolve.credit_notes(info.context, self.record)
        return [Invoice.of(note, info) for note in found]

    @strawberry.field(description="For a credit note: the invoice it applies to.")
    async def applied_to(self, info: Info) -> "Invoice | None":
        target = self.record.applied_to_invoice_id
        found = await resolve.invoice(info.context, target) if target else None
        return Invoice.of(found, info) if found is not None else None

    @strawberry.field(
        description="The order this invoice bills.", extensions=requires(Permission.ORDERS_READ)
    )
    async def order(
        self, info: Info
    ) -> Annotated["Order", strawberry.lazy("schema.orders")] | None:
        from schema.orders import order_by_id

        return await order_by_id(info, self.record.order_id)

    @strawberry.field(
        description=(
            "The Swiss QR-bill for what is left to pay, in the viewer's language; null when "
            "nothing is to be paid by bill (paid, in payment, cancelled, a credit note). Data "
            "that cannot make a valid bill is an INVALID_QR_BILL error naming the field."
        )
    )
    async def qr_bill(self, info: Info) -> QrBill | None:
        ctx = info.context
        bill = await qr_bills.of_invoice(
            ctx.loaders, self.record, ctx.creditor, language_of(ctx.locale)
        )
        return QrBill.of(bill) if bill is not None else None

    @strawberry.field(description="The invoice's PDF, if the DMS has archived it.")
    async def document(self, info: Info) -> Document | None:
        found = await resolve_documents.of_subject(info.context, self.case_ref)
        pdf = next((d for d in found if d.latest_version.mime_type == PDF), None)
        return Document.of(pdf) if pdf is not None else None


@strawberry.type(
    description="The organization's open items: what is owed and when.",
    directives=[type_requires(Permission.INVOICES_READ)],
)
class AccountBalance(Synced):
    total_open: Money = strawberry.field(description="All open invoice amounts.")
    total_overdue: Money = strawberry.field(description="Open amounts past their due date.")
    due_within_30_days: Money = strawberry.field(description="Open amounts due in 30 days.")
    unapplied_credit: Money = strawberry.field(description="Credit notes not yet used up.")
    credit_limit: Money = strawberry.field(description="The credit limit the provider grants.")
    as_of: datetime = strawberry.field(description="When this was computed.")
    record: strawberry.Private[list[r.OpenItem]]

    @classmethod
    def of(cls, balance: resolve.AccountBalance) -> "AccountBalance":
        return cls(
            total_open=Money.of(balance.total_open),
            total_overdue=Money.of(balance.total_overdue),
            due_within_30_days=Money.of(balance.due_within_30_days),
            unapplied_credit=Money.of(balance.unapplied_credit),
            credit_limit=Money.of(balance.credit_limit),
            as_of=balance.as_of,
            record=balance.items,
        )
