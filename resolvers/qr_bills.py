"""Swiss QR-bills, derived on the fly from an open invoice (ERP), the debtor's billing address
(ERP customer master) and the creditor's accounts (settings) with the `qrbill` library; never
stored. The reference type picks the account: a QR reference (QRR) needs the QR-IBAN, a
creditor reference (SCOR) or none (NON) the ordinary IBAN.

Data the payment standard refuses (a QRR reference with an ordinary IBAN, an address line too
long, a character outside the QR-bill's Latin character set) is an `InvalidQrBill` that names
the offending field, never a bill a bank would reject.
"""

from dataclasses import dataclass
from decimal import Decimal

from qrbill import QRBill
from stdnum import iban

from connectors.base import records as r
from resolvers.errors import ErrorCode, GatewayError
from resolvers.loaders import Loaders

PAYABLE_STATUSES = frozenset({"OPEN", "PARTIALLY_PAID"})
"""An invoice in payment (IN_PAYMENT) gets no bill: it would invite paying twice."""
CURRENCIES = frozenset({"CHF", "EUR"})
QR_IID = range(30000, 32000)
"""The institution IDs reserved for QR-IBANs."""
MAX_INFORMATION = 140
"""Additional and billing information together (Swiss Payment Standards, Ustrd + StrdBkgInf)."""
INVOICE_WORD = {"de": "Rechnung", "fr": "Facture", "it": "Fattura", "en": "Invoice"}


class InvalidQrBill(GatewayError):
    """The invoice's data cannot make a valid QR-bill; `field` names what is wrong."""

    def __init__(self, field: list[str], message: str) -> None:
        super().__init__(
            ErrorCode.INVALID_QR_BILL, f"No QR-bill can be made: {message}", field=field
        )
        self.field = field


@dataclass(frozen=True)
class StructuredAddress:
    name: str
    street: str
    house_number: str
    postal_code: str
    city: str
    country_code: str

    @classmethod
    def of(cls, address: r.Address) -> "StructuredAddress":
        return cls(
            address.name,
            address.street,
            address.house_number,
            address.postal_code,
            address.city,
            address.country_code,
        )

    def as_qrbill(self) -> dict[str, str]:
        return {
            "name": self.name,
            "street": self.street,
            "house_num": self.house_number,
            "pcode": self.postal_code,
            "city": self.city,
            "country": self.country_code,
        }


@dataclass(frozen=True)
class Creditor:
    """The provider as payee: its address and its two accounts."""

    address: StructuredAddress
    qr_iban: str
    iban: str
    vat_number: str | None = None
    """Its UID (CHE-…), written into the Swico billing information when given."""

    def account_for(self, reference_type: str) -> str:
        return self.qr_iban if reference_type == "QRR" else self.iban


def check_account(value: str, qr: bool) -> str:
    """`value` as a compact Swiss or Liechtenstein IBAN, a QR-IBAN exactly when `qr`."""
    if not iban.is_valid(value):
        raise ValueError(f"{value!r} is not a valid IBAN")
    compact = str(iban.compact(value))
    if compact[:2] not in {"CH", "LI"}:
        raise ValueError("a QR-bill account must be a Swiss or Liechtenstein IBAN")
    if (int(compact[4:9]) in QR_IID) != qr:
        kind = "a QR-IBAN (institution ID 30000-31999)" if qr else "an IBAN, not a QR-IBAN"
        raise ValueError(f"{value!r} must be {kind}")
    return compact


@dataclass(frozen=True)
class QrBill:
    """A QR-bill's content, in the viewer's language; `payload` is the SPC text it encodes."""

    invoice: r.Invoice
    account: str
    reference_type: str  # QRR | SCOR | NON
    reference: str | None
    amount: Decimal | None
    """None: an open amount, which the payer fills in."""
    currency: str
    creditor: StructuredAddress
    debtor: StructuredAddress | None
    additional_information: str
    billing_information: str
    alternative_procedures: tuple[str, ...]
    language: str
    payload: str


def applies(invoice: r.Invoice) -> bool:
    """An open invoice in CHF or EUR with something left to pay (or an open-amount bill)."""
    return (
        invoice.kind == "INVOICE"
        and invoice.status in PAYABLE_STATUSES
        and invoice.amount_residual.currency in CURRENCIES
        and (invoice.open_amount_qr_bill or invoice.amount_residual.value > 0)
    )


def swico_value(value: str) -> str:
    """A value in Swico S1 syntax: backslash and slash escaped."""
    return value.replace("\\", "\\\\").replace("/", "\\/")


def billing_information(invoice: r.Invoice, creditor: Creditor) -> str:
    """Swico S1: invoice number (10), invoice date (11), the creditor's UID (30), the VAT rate
    (32) and the payment term in days (40)."""
    parts = [
        ("10", swico_value(invoice.number)),
        ("11", invoice.issued_at.strftime("%y%m%d")),
    ]
    if creditor.vat_number:
        parts.append(("30", "".join(c for c in creditor.vat_number if c.isdigit())))
    untaxed, tax = invoice.totals.untaxed.value, invoice.totals.tax.value
    if untaxed > 0:
        rate = (tax * 100 / untaxed).quantize(Decimal("0.1")).normalize()
        parts.append(("32", f"{rate:f}"))
    parts.append(("40", f"0:{(invoice.due_date - invoice.issued_at).days}"))
    return "//S1" + "".join(f"/{tag}/{value}" for tag, value in parts)


def alternative_procedures(invoice: r.Invoice, customer: r.Customer) -> tuple[str, ...]:
    """eBill customers pay in their e-banking: `eBill/B/<recipient>`."""
    if invoice.delivery_channel == "EBILL" and customer.ebill_recipient_id:
        return (f"eBill/B/{customer.ebill_recipient_id}",)
    return ()


def billing_address(addresses: list[r.Address]) -> r.Address | None:
    billing = [address for address in addresses if address.type == "BILLING"]
    return next((a for a in billing if a.is_default), billing[0] if billing else None)


def derive(
    invoice: r.Invoice,
    customer: r.Customer,
    debtor: r.Address | None,
    creditor: Creditor,
    language: str,
) -> QrBill:
    """The QR-bill of an invoice that `applies`, validated by the payment standard's rules."""
    debtor_address = StructuredAddress.of(debtor) if debtor is not None else None
    draft = QrBill(
        invoice=invoice,
        account=creditor.account_for(invoice.reference_type),
        reference_type=invoice.reference_type,
        reference=invoice.payment_reference or None,
        amount=None if invoice.open_amount_qr_bill else invoice.amount_residual.value,
        currency=invoice.amount_residual.currency,
        creditor=creditor.address,
        debtor=debtor_address,
        additional_information=f"{INVOICE_WORD.get(language, 'Invoice')} {invoice.number}",
        billing_information=billing_information(invoice, creditor),
        alternative_procedures=alternative_procedures(invoice, customer),
        language=language,
        payload="",
    )
    return QrBill(**{**vars(draft), "payload": library_bill(draft).qr_data()})


def library_bill(bill: QrBill) -> QRBill:
    """The `qrbill` object of a bill (for its payload, SVG and PDF); `InvalidQrBill` when the
    library refuses the data."""
    check_characters(bill)
    if (bill.reference_type == "NON") != (bill.reference is None):
        raise InvalidQrBill(
            ["reference"], f"reference type {bill.reference_type} does not fit the reference"
        )
    try:
        return QRBill(
            account=bill.account,
            creditor=bill.creditor.as_qrbill(),
            debtor=bill.debtor.as_qrbill() if bill.debtor else None,
            amount=bill.amount,
            currency=bill.currency,
            reference_number=bill.reference,
            additional_information=bill.additional_information,
            billing_information=bill.billing_information,
            alt_procs=bill.alternative_procedures,
            language=bill.language,
        )
    except ValueError as error:
        raise InvalidQrBill(field_of(str(error)), str(error)) from None


ADDRESS_FIELDS = (
    ("house number", "houseNumber"),
    ("postal code", "postalCode"),
    ("street", "street"),
    ("city", "city"),
    ("country", "countryCode"),
    ("name", "name"),
)
MESSAGE_FIELDS = (
    ("reference", ["reference"]),
    ("iban", ["account"]),
    ("amount", ["amount"]),
    ("currency", ["currency"]),
    ("billing information", ["billingInformation"]),
    ("additional information", ["additionalInformation"]),
    ("alternative procedure", ["alternativeProcedures"]),
)


def field_of(message: str) -> list[str]:
    """The field a `qrbill` error message is about (the library raises plain ValueErrors)."""
    text = message.lower()
    for party in ("creditor", "debtor"):
        if f"{party} address" in text:
            detail = text.split(":", 1)[-1]
            return [party, next((name for word, name in ADDRESS_FIELDS if word in detail), "")]
    return next((path for word, path in MESSAGE_FIELDS if word in text), ["invoice"])


def check_characters(bill: QrBill) -> None:
    """Every text must be in the QR-bill's Latin character set (checked per field, so that the
    error names it; the library would only fail later, while drawing)."""
    texts: list[tuple[list[str], str]] = [
        (["additionalInformation"], bill.additional_information),
        (["billingInformation"], bill.billing_information),
    ]
    for party, address in (("creditor", bill.creditor), ("debtor", bill.debtor)):
        if address is not None:
            texts += [([party, key], value) for key, value in address_fields(address)]
    for path, value in texts:
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise InvalidQrBill(
                path, f"{'.'.join(path)} has characters outside the QR-bill character set"
            ) from None
    if len(bill.additional_information) + len(bill.billing_information) > MAX_INFORMATION:
        raise InvalidQrBill(
            ["billingInformation"],
            f"additional and billing information exceed {MAX_INFORMATION} characters together",
        )


def address_fields(address: StructuredAddress) -> list[tuple[str, str]]:
    return [
        ("name", address.name),
        ("street", address.street),
        ("houseNumber", address.house_number),
        ("postalCode", address.postal_code),
        ("city", address.city),
        ("countryCode", address.country_code),
    ]


async def of_invoice(
    loaders: Loaders, invoice: r.Invoice, creditor: Creditor, language: str
) -> QrBill | None:
    """The QR-bill of an invoice the caller has checked is the viewer's; None when no bill
    applies (paid, cancelled, a credit note, another currency)."""
    if not applies(invoice):
        return None
    customer: r.Customer | None = await loaders.customer.load(invoice.customer)
    addresses: list[r.Address] = await loaders.addresses.load(invoice.customer)
    if customer is None:
        return None
    return derive(invoice, customer, billing_address(addresses), creditor, language)
