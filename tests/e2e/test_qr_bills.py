"""Swiss QR-bills end to end: every open invoice of the seed, for a user of its organization,
through the gateway; each bill's QR payload is parsed back (SPC lines) and compared with the
sandbox ERP's own invoice, customer and address, and with the creditor settings. The signed
SVG and PDF links serve the same bill; the PDF renders to an image. Invalid invoice data is an
INVALID_QR_BILL error naming the field."""

import io
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pypdfium2
import pytest

from portalgraph.settings import Settings, SettingsError
from resolvers.labels import language_of
from sandbox.model import Invoice
from sandbox.seed import LUMIERE, MUSTER, NORDLICHT, SOPHIE, TICINO
from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, gateway_settings, running_gateway, running_sandbox

Client = Any
READER = {MUSTER: "anna", LUMIERE: "chloe", NORDLICHT: "jonas", TICINO: "marco", SOPHIE: "sophie"}
"""A user of each organization who may read its invoices."""
ADDRESS = "name street houseNumber postalCode city countryCode"
BILLS = f"""{{ viewer {{ user {{ locale }} }} invoices(first: 100) {{ edges {{ node {{ id number
  qrBill {{ account referenceType reference amount {{ amount currencyCode }} currency
    creditor {{ {ADDRESS} }} debtor {{ {ADDRESS} }} additionalInformation billingInformation
    alternativeProcedures language payload svgUrl pdfUrl }} }} }} }} }}"""
PAYMENT_PART = {"de": "Zahlteil", "fr": "Section paiement", "it": "Sezione pagamento"}
SPC_FIELDS = [
    "qr_type",
    "version",
    "coding",
    "account",
    "cr_kind",
    "cr_name",
    "cr_street",
    "cr_house",
    "cr_postal",
    "cr_city",
    "cr_country",
    "ucr_kind",
    "ucr_name",
    "ucr_street",
    "ucr_house",
    "ucr_postal",
    "ucr_city",
    "ucr_country",
    "amount",
    "currency",
    "db_kind",
    "db_name",
    "db_street",
    "db_house",
    "db_postal",
    "db_city",
    "db_country",
    "ref_type",
    "reference",
    "message",
    "trailer",
]


def parse_spc(payload: str) -> dict[str, Any]:
    """The Swiss Payments Code text as named fields, plus `billing` and `alternatives`."""
    lines = payload.split("\r\n")
    assert len(lines) >= len(SPC_FIELDS), lines
    fields: dict[str, Any] = dict(zip(SPC_FIELDS, lines, strict=False))
    rest = lines[len(SPC_FIELDS) :]
    fields["billing"] = rest[0] if rest else ""
    fields["alternatives"] = rest[1:]
    return fields


def parse_swico(text: str) -> dict[str, str]:
    """Swico S1 billing information (`//S1/10/<no>/11/<yymmdd>/...`) as tag → value."""
    assert text.startswith("//S1/"), text
    parts = text[len("//S1/") :].split("/")
    return dict(zip(parts[::2], parts[1::2], strict=True))


def payable(invoice: Invoice) -> bool:
    """The seed's invoices that get a bill: posted, open or partly paid, something to pay."""
    return (
        invoice.move_type == "out_invoice"
        and invoice.state == "posted"
        and invoice.payment_state in {"not_paid", "partial"}
        and (invoice.amount_residual > 0 or invoice.open_amount_qr)
    )


def assert_bill_matches(
    bill: dict[str, Any], invoice: Invoice, sandbox: Sandbox, settings: Settings, language: str
) -> None:
    spc = parse_spc(bill["payload"])
    assert (spc["qr_type"], spc["version"], spc["coding"], spc["trailer"]) == (
        "SPC", "0200", "1", "EPD"
    )  # fmt: skip
    creditor = settings.creditor
    expected_account = creditor.qr_iban if invoice.reference_type == "QRR" else creditor.iban
    assert spc["account"] == bill["account"] == expected_account
    assert [spc[f"cr_{k}"] for k in ("kind", "name", "street", "house", "postal", "city")] == [
        "S", settings.creditor_name, settings.creditor_street, settings.creditor_house_number,
        settings.creditor_postal_code, settings.creditor_city,
    ]  # fmt: skip
    assert not any(spc[f"ucr_{k}"] for k in ("kind", "name", "city"))
    if invoice.open_amount_qr:
        assert spc["amount"] == ""
        assert bill["amount"] is None
    else:
        assert Decimal(spc["amount"]) == invoice.amount_residual
        assert bill["amount"] == {"amount": spc["amount"], "currencyCode": invoice.currency}
    assert spc["currency"] == bill["currency"] == invoice.currency
    address = next(
        a
        for a in sandbox.seed.addresses
        if a.customer == invoice.customer and a.type == "invoice" and a.is_default
    )
    assert [spc[f"db_{k}"] for k in ("kind", "name", "street", "house", "postal", "city")] == [
        "S", address.name, address.street, address.house_number, address.postal_code,
        address.city,
    ]  # fmt: skip
    assert spc["db_country"] == address.country
    assert spc["ref_type"] == bill["referenceType"] == invoice.reference_type
    assert spc["reference"] == (bill["reference"] or "") == invoice.payment_reference
    assert spc["message"] == bill["additionalInformation"]
    assert invoice.number in spc["message"]
    swico = parse_swico(spc["billing"])
    assert spc["billing"] == bill["billingInformation"]
    assert swico["10"] == invoice.number
    assert swico["11"] == invoice.invoice_date.strftime("%y%m%d")
    assert swico["40"] == f"0:{(invoice.due_date - invoice.invoice_date).days}"
    if invoice.amount_untaxed:
        assert Decimal(swico["32"]) == (invoice.amount_tax * 100 / invoice.amount_untaxed).quantize(
            Decimal("0.1")
        )
    assert len(spc["message"]) + len(spc["billing"]) <= 140
    customer = next(c for c in sandbox.seed.customers if c.number == invoice.customer)
    ebill = (
        [f"eBill/B/{customer.ebill_recipient_id}"] if invoice.delivery_channel == "ebill" else []
    )
    assert spc["alternatives"] == bill["alternativeProcedures"] == ebill
    assert bill["language"] == language


async def test_every_open_invoice_of_the_seed_has_a_matching_qr_bill(
    sandbox: Sandbox, client_for: Client
) -> None:
    settings = gateway_settings(sandbox)
    cases: set[str] = set()
    for organization, user in READER.items():
        client = await client_for(user)
        data = await client.query(BILLS)
        language = language_of(data["viewer"]["user"]["locale"])
        by_number = {e["node"]["number"]: e["node"] for e in data["invoices"]["edges"]}
        seeded = [i for i in sandbox.seed.invoices if i.customer == organization]
        for invoice in seeded:
            if invoice.state == "draft":
                continue
            bill = by_number[invoice.number]["qrBill"]
            if not payable(invoice):
                assert bill is None, invoice.number
                continue
            assert bill is not None, invoice.number
            assert_bill_matches(bill, invoice, sandbox, settings, language)
            cases |= {invoice.reference_type, invoice.currency}
            cases |= {"OPEN_AMOUNT"} if invoice.open_amount_qr else set()
            cases |= {"EBILL"} if invoice.delivery_channel == "ebill" else set()
            cases |= {"PARTIAL"} if invoice.payment_state == "partial" else set()
            cases |= {f"LANGUAGE_{language}"}
    assert cases >= {"QRR", "SCOR", "NON", "CHF", "EUR", "OPEN_AMOUNT", "EBILL", "PARTIAL"}
    assert cases >= {"LANGUAGE_de", "LANGUAGE_fr", "LANGUAGE_it"}


async def bill_of(client: GraphQLClient, number: str) -> dict[str, Any]:
    edges = (await client.query(BILLS))["invoices"]["edges"]
    bill: dict[str, Any] = next(e["node"] for e in edges if e["node"]["number"] == number)["qrBill"]
    return bill


async def test_svg_and_pdf_carry_the_bill_and_the_pdf_renders(
    sandbox: Sandbox, client_for: Client
) -> None:
    invoice = next(i for i in sandbox.seed.invoices if i.customer == LUMIERE and payable(i))
    chloe = await client_for("chloe")
    bill = await bill_of(chloe, invoice.number)
    svg = await chloe.http.get(bill["svgUrl"])  # with chloe's bearer token, as links need
    pdf = await chloe.http.get(bill["pdfUrl"])
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text
    assert PAYMENT_PART["fr"] in svg.text
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "private, no-store"
    document = pypdfium2.PdfDocument(pdf.content)
    try:
        assert len(document) == 1
        page = document[0]
        assert round(page.get_width() / 72 * 25.4) == 210  # A4, in mm
        text = page.get_textpage().get_text_range()
        image = page.render(scale=1).to_pil()
    finally:
        document.close()
    assert PAYMENT_PART["fr"] in text
    assert invoice.number in text
    assert f"{invoice.amount_residual:,.2f}".replace(",", " ") in text
    grey = image.convert("L")
    width, height = grey.size
    bottom = grey.crop((0, int(height * 0.64), width, height))  # the payment part, 105 mm
    top = grey.crop((0, 0, width, int(height * 0.5)))
    assert bottom.getextrema()[0] == 0  # black ink: the QR code and the text
    assert top.getextrema() == (255, 255)  # the rest of the A4 page is blank
    png = io.BytesIO()
    image.save(png, format="PNG")
    assert png.getvalue().startswith(b"\x89PNG")


async def test_bill_links_are_signed_bound_to_the_user_and_follow_the_invoice(
    sandbox: Sandbox, client_for: Client
) -> None:
    anna = await client_for("anna")
    invoice = next(i for i in sandbox.seed.invoices if i.customer == MUSTER and payable(i))
    bill = await bill_of(anna, invoice.number)
    assert (await anna.http.get(bill["pdfUrl"])).status_code == 200
    base, token, signature = bill["pdfUrl"].rsplit("/", 2)
    forged = await anna.http.get(f"{base}/{token}/{signature[:-2]}xx")
    assert forged.status_code == 404
    chloe = await client_for("chloe")
    other = await bill_of(chloe, next(
        i.number for i in sandbox.seed.invoices if i.customer == LUMIERE and payable(i)
    ))  # fmt: skip
    _, other_token, _ = other["pdfUrl"].rsplit("/", 2)
    moved = await anna.http.get(f"{base}/{other_token}/{signature}")
    assert moved.status_code == 404
    assert (await chloe.http.get(bill["pdfUrl"])).status_code == 404  # another user's link
    async with httpx.AsyncClient() as anonymous:
        without_token = await anonymous.get(bill["pdfUrl"])
    assert without_token.status_code == 401


async def test_bills_are_absent_where_nothing_is_to_be_paid_by_bill(
    sandbox: Sandbox, client_for: Client
) -> None:
    anna = await client_for("anna")
    data = await anna.query(
        "{ invoices(first: 100) { edges { node { number status kind qrBill { payload } } } } }"
    )
    nodes = [e["node"] for e in data["invoices"]["edges"]]
    for node in nodes:
        if node["kind"] == "CREDIT_NOTE" or node["status"] not in {"OPEN", "PARTIALLY_PAID"}:
            assert node["qrBill"] is None, node
    statuses = {n["status"] for n in nodes if n["qrBill"] is None}
    assert {"PAID", "IN_PAYMENT", "CANCELLED", "REVERSED"} <= statuses


# -- invalid data: a sandbox of this module's own, whose ERP data is made invalid ----------


@pytest.fixture(scope="module")
def broken_sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as running:
        yield running


@pytest.fixture(scope="module")
def uncached_gateway(broken_sandbox: Sandbox) -> Iterator[str]:
    """A gateway that reads invoices, customers and addresses anew on every request."""
    no_cache = {"invoice": 0, "invoices": 0, "customer": 0, "addresses": 0}
    with running_gateway(broken_sandbox, cache_ttl_s=no_cache) as url:
        yield url


@pytest.fixture
async def jonas(uncached_gateway: str, broken_sandbox: Sandbox) -> AsyncIterator[GraphQLClient]:
    client = GraphQLClient(uncached_gateway, await Tokens(broken_sandbox.url("idp"))("jonas"))
    yield client
    await client.aclose()


INVOICE_BILL = """query($id: ID!) { invoice(id: $id) { number qrBill { payload } } }"""
LONG_NAME = "Nordlicht Handels- und Vertriebsgesellschaft für Nordeuropa mbH & Co. KG, Konstanz"


@pytest.mark.parametrize(
    ("breakage", "field"),
    [
        ("qrr_with_iban", ["reference"]),
        ("long_name", ["debtor", "name"]),
        ("long_city", ["debtor", "city"]),
        ("foreign_script", ["debtor", "street"]),
    ],
)
async def test_invalid_data_is_a_typed_error_naming_the_field(
    broken_sandbox: Sandbox, jonas: GraphQLClient, breakage: str, field: list[str]
) -> None:
    """Each case breaks one thing of Nordlicht's open SCOR invoice or its billing address in the
    ERP, asks for the bill and puts the data back."""
    seed = broken_sandbox.seed
    invoice = next(i for i in seed.invoices if i.customer == NORDLICHT and payable(i))
    address = next(a for a in seed.addresses if a.customer == NORDLICHT and a.type == "invoice")
    saved = (invoice.payment_reference, address.name, address.city, address.street)
    if breakage == "qrr_with_iban":  # a QR reference on an invoice billed to the ordinary IBAN
        muster = next(i for i in seed.invoices if i.reference_type == "QRR")
        invoice.payment_reference = muster.payment_reference
    elif breakage == "long_name":
        address.name = LONG_NAME
    elif breakage == "long_city":
        address.city = "Konstanz am Bodensee, Landkreis Konstanz, Baden-Württemberg"
    else:
        address.street = "Seestraße 八"
    try:
        edges = (await jonas.query("{ invoices { edges { node { id number } } } }"))["invoices"]
        invoice_id = next(
            e["node"]["id"] for e in edges["edges"] if e["node"]["number"] == invoice.number
        )
        response = await jonas.post(INVOICE_BILL, {"id": invoice_id})
    finally:
        invoice.payment_reference, address.name, address.city, address.street = saved
    body = response.json()
    assert body["data"]["invoice"] == {"number": invoice.number, "qrBill": None}
    [error] = body["errors"]
    assert error["path"] == ["invoice", "qrBill"]
    assert error["extensions"]["code"] == "INVALID_QR_BILL"
    assert error["extensions"]["field"] == field
    assert error["message"].startswith("No QR-bill can be made")
    repaired = await jonas.query(INVOICE_BILL, {"id": invoice_id})
    assert repaired["invoice"]["qrBill"]["payload"].startswith("SPC")


def test_the_creditor_accounts_are_checked_at_start(sandbox: Sandbox) -> None:
    settings = gateway_settings(sandbox)
    assert settings.creditor.qr_iban == "CH4431999123000889012"
    with pytest.raises(SettingsError, match=r"PORTALGRAPH_CREDITOR_IBAN .*not a QR-IBAN"):
        Settings.from_environment(creditor_iban=settings.creditor_qr_iban)
    with pytest.raises(SettingsError, match=r"PORTALGRAPH_CREDITOR_QR_IBAN .*QR-IBAN"):
        Settings.from_environment(creditor_qr_iban=settings.creditor_iban)
    with pytest.raises(SettingsError, match=r"PORTALGRAPH_CREDITOR_IBAN .*not a valid IBAN"):
        Settings.from_environment(creditor_iban="CH93 0076 2011 6238 5295 8")
