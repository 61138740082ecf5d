"""The Swiss QR-bill of an open invoice (derived, never stored)."""

import strawberry

from connectors.base.records import Amount
from resolvers import qr_bills as resolve
from resolvers.context import Context
from resolvers.derived_files import QR_BILL, derived_url
from schema.common import CurrencyCode, Money, StructuredAddress
from schema.enums import ReferenceType

Info = strawberry.Info[Context, None]


@strawberry.type(description="The creditor's or the debtor's address on a QR-bill.")
class QrBillAddress(StructuredAddress):
    @classmethod
    def of(cls, address: resolve.StructuredAddress) -> "QrBillAddress":
        return cls(
            name=address.name,
            street=address.street,
            house_number=address.house_number,
            postal_code=address.postal_code,
            city=address.city,
            country_code=address.country_code,
        )


@strawberry.type(
    description=(
        "The payment part of an open invoice with its Swiss QR code, in the viewer's language, "
        "for a banking app or for print."
    )
)
class QrBill:
    account: str = strawberry.field(
        description="The creditor's IBAN, a QR-IBAN with a QRR reference (compact form)."
    )
    reference_type: ReferenceType = strawberry.field(description="QRR, SCOR or NON.")
    reference: str | None = strawberry.field(description="The payment reference, if any.")
    amount: Money | None = strawberry.field(
        description="What is left to pay; null for an open amount that the payer fills in."
    )
    currency: CurrencyCode = strawberry.field(description="CHF or EUR.")
    creditor: QrBillAddress = strawberry.field(description="Who is paid.")
    debtor: QrBillAddress | None = strawberry.field(
        description="Who pays (the organization's billing address)."
    )
    additional_information: str = strawberry.field(description="The unstructured message.")
    billing_information: str = strawberry.field(
        description="Structured billing information in Swico S1 syntax (`//S1/10/...`)."
    )
    alternative_procedures: list[str] = strawberry.field(
        description="Alternative procedures, such as `eBill/B/<recipient>` for eBill customers."
    )
    language: str = strawberry.field(description="The language of the labels: de, fr, it, en.")
    payload: str = strawberry.field(
        description="The QR code's content: the Swiss Payments Code text (`SPC` lines)."
    )
    record: strawberry.Private[resolve.QrBill]

    @classmethod
    def of(cls, bill: resolve.QrBill) -> "QrBill":
        return cls(
            account=bill.account,
            reference_type=ReferenceType(bill.reference_type),
            reference=bill.reference,
            amount=Money.of(Amount(bill.amount, bill.currency))
            if bill.amount is not None
            else None,
            currency=CurrencyCode(bill.currency),
            creditor=QrBillAddress.of(bill.creditor),
            debtor=QrBillAddress.of(bill.debtor) if bill.debtor else None,
            additional_information=bill.additional_information,
            billing_information=bill.billing_information,
            alternative_procedures=list(bill.alternative_procedures),
            language=bill.language,
            payload=bill.payload,
            record=bill,
        )

    def _url(self, info: Info, extension: str) -> str:
        invoice = self.record.invoice
        variant = f"{extension}.{self.record.language}"
        ctx = info.context
        return derived_url(
            ctx.downloads, QR_BILL, invoice.id, variant, invoice.customer, ctx.principal
        )

    @strawberry.field(description="A short-lived signed link to the payment part as SVG.")
    def svg_url(self, info: Info) -> str:
        return self._url(info, "svg")

    @strawberry.field(
        description="A short-lived signed link to an A4 PDF with the payment part at the bottom."
    )
    def pdf_url(self, info: Info) -> str:
        return self._url(info, "pdf")
