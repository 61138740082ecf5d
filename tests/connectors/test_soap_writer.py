"""The compiled SOAP request writers (`connectors.base.soap_writer`) against zeep's requests:
for every ERP operation, with the arguments the adapter passes (lists, absent and None
optionals, dates, decimals, non-ASCII and XML's special characters), the writer's envelope is
zeep's, byte for byte and canonicalized (C14N), and so is what each sends through its transport
(headers included, over loopback); the sandbox ERP answers both the same, reads and writes.
Arguments the writer does not take are left to zeep, with zeep's request or error."""

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from zeep.exceptions import ValidationError
from zeep.xsd.types import builtins

from connectors.base.errors import UpstreamError
from connectors.base.http import HttpLimits, create_client
from connectors.base.records import System
from connectors.base.soap import SoapService, load_wsdl, request_writers
from connectors.base.soap_writer import Unwritable
from connectors.erp.client import BINDING, WSDL_PATH
from sandbox.model import Seed
from sandbox.seed import LUMIERE, MAINTENANCE, MUSTER, TRAINING
from tests.erp_fixtures import ErpControl, OwnErp, recorded_requests, serve_own_erp
from tests.soap_canned import Canned, outcome, sent

BINDING_OBJECT = load_wsdl(WSDL_PATH).bindings[BINDING]
WRITERS = request_writers(WSDL_PATH, BINDING)
ODD = "Grüße <&> \"quoted\" 'single' ]]> \t tab\r\nnew line € 😀"
"""Non-ASCII (two-, three- and four-byte UTF-8), XML's special characters, a CDATA end and
the whitespace XML normalizes (a carriage return) in one string."""

Params = dict[str, object]


def page(**changes: object) -> Params:
    """A List* request as the adapter sends it (`ErpAdapter._list`)."""
    return {
        "CustomerNumber": MUSTER,
        "Search": None,
        "DateFrom": None,
        "DateTo": None,
        "Offset": 0,
        "Limit": 100,
        **changes,
    }


def ids(name: str) -> list[Params]:
    """A batch read as the adapter sends it: several keys, one, none, odd ones."""
    return [{name: ["10000001", "10000002", "x"]}, {name: ["1"]}, {name: []}, {name: [ODD, ""]}]


ODD_ADDRESS: Params = dict.fromkeys(
    ["Name", "Street", "HouseNumber", "PostalCode", "City", "Country"], ODD
)
LINE = {"ProductCode": "FR-200", "Quantity": Decimal("2")}
LISTS = [page(), page(Search=ODD, DateFrom=date(2026, 1, 1), DateTo=date(2026, 12, 31), Offset=300)]
CALLS: dict[str, list[Params]] = {
    "GetCustomers": ids("CustomerNumber"),
    "GetAddresses": ids("CustomerNumber"),
    "GetQuotes": ids("QuoteId"),
    "ListQuotes": LISTS,
    "GetQuoteLines": ids("QuoteId"),
    "GetOrders": ids("OrderId"),
    "ListOrders": LISTS,
    "GetOrderLines": ids("OrderId"),
    "GetDeliveriesByOrders": ids("OrderId"),
    "GetInvoices": ids("InvoiceId"),
    "ListInvoices": LISTS,
    "GetInvoicesByOrders": ids("OrderId"),
    "GetCreditNotes": ids("InvoiceId"),
    "GetOpenItems": ids("CustomerNumber"),
    "GetChanges": [{"SinceStamp": 0, "Limit": 0}, {"SinceStamp": 2**40, "Limit": 500}],
    "RequestQuote": [
        {
            "CustomerNumber": MUSTER,
            "RequestedBy": ODD,
            "CommitmentDate": date(2026, 4, 1),
            "Note": ODD,
            "Line": [
                LINE,
                {"ProductCode": ODD, "Quantity": Decimal("0.125")},
                {"ProductCode": "X", "Quantity": Decimal("1E+3")},
            ],
        },
        {
            "CustomerNumber": MUSTER,
            "RequestedBy": "Beat Frei",
            "CommitmentDate": None,
            "Note": "Offerte",
            "Line": [],
        },
    ],
    "AcceptQuote": [
        {"CustomerNumber": MUSTER, "QuoteId": "1", "SignedBy": ODD, "ClientOrderRef": ODD},
        {"CustomerNumber": MUSTER, "QuoteId": "1", "SignedBy": "Anna", "ClientOrderRef": None},
    ],
    "DeclineQuote": [{"CustomerNumber": MUSTER, "QuoteId": "1", "Reason": ODD}],
    "CopyOrder": [
        {"CustomerNumber": MUSTER, "OrderId": "1", "ClientOrderRef": None},
        {"CustomerNumber": MUSTER, "OrderId": "1", "ClientOrderRef": ODD},
    ],
    "CancelOrder": [{"CustomerNumber": MUSTER, "OrderId": "1", "Reason": ODD}],
    "UpdateCustomer": [
        {"CustomerNumber": MUSTER, "Name": None, "Vat": None, "Lang": "de_CH"},
        {"CustomerNumber": MUSTER, "Name": ODD, "Vat": "CHE-1", "Lang": None},
    ],
    "SetInvoiceChannel": [
        {"CustomerNumber": LUMIERE, "InvoiceChannel": "ebill", "EbillRecipientId": "4100"},
        {"CustomerNumber": LUMIERE, "InvoiceChannel": "email", "EbillRecipientId": None},
    ],
    "CreateAddress": [
        {
            "CustomerNumber": MUSTER,
            "Type": "delivery",
            "Name": "",
            "Street": ODD,
            "HouseNumber": None,
            "PostalCode": "8400",
            "City": "Winterthur",
            "Country": "CH",
        },
        {
            "CustomerNumber": MUSTER,
            "Type": "invoice",
            "Name": "Muster AG",
            "Street": "Weg",
            "HouseNumber": "1a",
            "PostalCode": "8400",
            "City": ODD,
            "Country": "CH",
        },
    ],
    "UpdateAddress": [
        {"CustomerNumber": MUSTER, "AddressId": "ADR-103", "City": "Winterthur"},
        {"CustomerNumber": MUSTER, "AddressId": "ADR-103", **ODD_ADDRESS},
        {"CustomerNumber": MUSTER, "AddressId": "ADR-103", "Name": None, "Street": None},
    ],
    "DeleteAddress": [{"CustomerNumber": MUSTER, "AddressId": "ADR-101"}],
    "SetDefaultAddress": [{"CustomerNumber": MUSTER, "AddressId": "ADR-102"}],
    "GetServiceOfferings": ids("CustomerNumber"),
    "GetServiceSlots": ids("SlotId"),
    "ListServiceSlots": [
        {"OfferingId": TRAINING, "DateFrom": date(2026, 3, 1), "DateTo": date(2026, 3, 31)},
        {"OfferingId": ODD, "DateFrom": date(999, 1, 1), "DateTo": date(9999, 12, 31)},
    ],
    "GetServiceBookings": ids("BookingId"),
    "ListServiceBookings": LISTS,
    "CreateServiceBooking": [
        {
            "CustomerNumber": MUSTER,
            "SlotId": "1",
            "Attendee": [{"Name": ODD, "Email": None}, {"Name": "Eva", "Email": "eva@x.ch"}],
            "IdempotencyKey": "key-1",
        },
    ],
    "RescheduleServiceBooking": [
        {"CustomerNumber": MUSTER, "BookingId": "1", "SlotId": "2", "IdempotencyKey": "key-2"}
    ],
    "CancelServiceBooking": [
        {"CustomerNumber": MUSTER, "BookingId": "1", "Reason": None, "IdempotencyKey": "key-3"},
        {"CustomerNumber": MUSTER, "BookingId": "1", "Reason": ODD, "IdempotencyKey": "key-4"},
    ],
    "EraseCustomerData": [
        {"CustomerNumber": MUSTER, "RequestId": "PR-1", "ObjectClass": ["PARTNER", "BILLING"]}
    ],
}
"""Per operation, requests shaped as the adapter sends them (its value types, None for an
optional value it does not have), with odd strings where it passes the user's text."""
CASES = [
    pytest.param(operation, params, id=f"{operation}-{index}")
    for operation, calls in CALLS.items()
    for index, params in enumerate(calls)
]


LIMITS = HttpLimits()
REFERENCE = SoapService.create(
    System.ERP, WSDL_PATH, BINDING, "http://erp.invalid/erp", create_client("", LIMITS)
)
"""Never sends (its HTTP client opens no connection until it does): the zeep client whose
binding builds the reference requests."""


def by_zeep(operation: str, params: Mapping[str, object]) -> tuple[bytes, dict[str, str]]:
    """zeep's request envelope and HTTP headers, as its binding builds them for a client."""
    envelope, headers = BINDING_OBJECT._create(
        operation, (), dict(params), client=REFERENCE._client, options={"address": "x"}
    )
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8"), headers


def canonical(content: bytes) -> bytes:
    return etree.tostring(etree.fromstring(content), method="c14n")


def test_every_operation_has_a_writer_and_is_called_below() -> None:
    operations = set(BINDING_OBJECT.all())
    assert set(WRITERS) == operations
    assert set(CALLS) == operations


@pytest.mark.parametrize(("operation", "params"), CASES)
def test_the_writer_writes_what_zeep_builds(operation: str, params: Params) -> None:
    written = WRITERS[operation].write(params)  # no Unwritable: the fast path
    content, headers = by_zeep(operation, params)
    assert canonical(written) == canonical(content)
    assert written == content
    assert WRITERS[operation].headers == headers


def test_odd_strings_are_escaped_and_read_back() -> None:
    written = WRITERS["DeclineQuote"].write({"CustomerNumber": "1", "QuoteId": "1", "Reason": ODD})
    for escaped in (b"&lt;&amp;&gt;", b"]]&gt;", b"&#13;"):
        assert escaped in written
    reason = etree.fromstring(written)[0][0][2]
    assert reason.text == ODD


def services(url: str, limits: HttpLimits = LIMITS) -> tuple[SoapService, SoapService]:
    """(with the compiled writers, zeep only) bound to `url`; both with the compiled readers."""
    writing, zeep_only = (
        SoapService.create(
            System.ERP, WSDL_PATH, BINDING, url, create_client(url, limits), compiled_writers=on
        )
        for on in (True, False)
    )
    return writing, zeep_only


@pytest.fixture
async def on_canned(
    canned: tuple[Canned, str],
) -> AsyncIterator[tuple[Canned, SoapService, SoapService]]:
    answer, url = canned
    answer.reset()
    answer.body = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        b"<s:Fault><faultcode>s:Client</faultcode><faultstring>no</faultstring></s:Fault>"
        b"</s:Body></s:Envelope>"
    )
    answer.status = 500
    writing, zeep_only = services(url)
    yield answer, writing, zeep_only
    await writing.aclose()
    await zeep_only.aclose()


@pytest.mark.parametrize(("operation", "params"), CASES)
async def test_the_same_request_goes_out(
    on_canned: tuple[Canned, SoapService, SoapService], operation: str, params: Params
) -> None:
    """Through the transport: the same headers (SOAPAction, Content-Type, the client's own) and
    body, and the same error for the fault answered."""
    answer, writing, zeep_only = on_canned
    assert await sent(answer, writing, operation, params) == await sent(
        answer, zeep_only, operation, params
    )


UNWRITABLE: dict[str, tuple[str, Params]] = {
    "an int as a string": ("ListOrders", page(Offset="0")),
    "a bool for an int": ("ListOrders", page(Limit=True)),
    "a float for a decimal": (
        "RequestQuote",
        {
            "CustomerNumber": "1",
            "RequestedBy": "a",
            "Line": [{"ProductCode": "X", "Quantity": 1.5}],
        },
    ),
    "an int for a decimal": (
        "RequestQuote",
        {"CustomerNumber": "1", "RequestedBy": "a", "Line": [{"ProductCode": "X", "Quantity": 2}]},
    ),
    "a datetime for a date": ("ListOrders", page(DateFrom=datetime(2026, 1, 1, 12, 30))),
    "a date as a string": ("ListOrders", page(DateFrom="2026-01-01")),
    "a number for a string": ("GetOrders", {"OrderId": [1, 2]}),
    "bytes for a string": ("GetOrders", {"OrderId": [b"1"]}),
    "a tuple for a list": ("GetOrders", {"OrderId": ("1", "2")}),
    "one value for a list": ("GetOrders", {"OrderId": "1"}),
    "None in a list": ("GetOrders", {"OrderId": ["1", None]}),
    "a list for one value": ("ListOrders", page(CustomerNumber=["1", "2"])),
    "a required element missing": ("ListOrders", {"CustomerNumber": "1", "Offset": 0}),
    "a required element None": ("ListOrders", page(Limit=None)),
    "an unknown argument": ("GetOrders", {"OrderId": ["1"], "Colour": "red"}),
    "an unknown element in a record": (
        "RequestQuote",
        {
            "CustomerNumber": "1",
            "RequestedBy": "a",
            "Line": [{"ProductCode": "X", "Quantity": Decimal(1), "Colour": "red"}],
        },
    ),
    "a record missing a required element": (
        "CreateServiceBooking",
        {"CustomerNumber": "1", "SlotId": "1", "Attendee": [{}], "IdempotencyKey": "k"},
    ),
    "no item of a required list": (
        "CreateServiceBooking",
        {"CustomerNumber": "1", "SlotId": "1", "Attendee": [], "IdempotencyKey": "k"},
    ),
    "a string for a record": (
        "CreateServiceBooking",
        {"CustomerNumber": "1", "SlotId": "1", "Attendee": ["Eva"], "IdempotencyKey": "k"},
    ),
    "a control character": ("GetOrders", {"OrderId": ["a\x01b"]}),
    "a NUL": ("GetOrders", {"OrderId": ["a\x00"]}),
    "a lone surrogate": ("GetOrders", {"OrderId": ["a\ud800"]}),
    "a non-character": ("GetOrders", {"OrderId": ["a\ufffe"]}),
    "SOAP headers": ("GetOrders", {"OrderId": ["1"], "_soapheaders": None}),
}


@pytest.mark.parametrize(("operation", "params"), UNWRITABLE.values(), ids=UNWRITABLE.keys())
async def test_other_arguments_are_left_to_zeep(
    on_canned: tuple[Canned, SoapService, SoapService], operation: str, params: Params
) -> None:
    """The writer refuses them; the service sends zeep's request, or raises zeep's error."""
    answer, writing, zeep_only = on_canned
    with pytest.raises(Unwritable):
        WRITERS[operation].write(params)
    answer.requests.clear()
    expected = await outcome(zeep_only, operation, params)
    requests = list(answer.requests)
    answer.requests.clear()
    assert await outcome(writing, operation, params) == expected
    assert answer.requests == requests


async def test_a_request_that_does_not_fit_raises_zeeps_error(
    on_canned: tuple[Canned, SoapService, SoapService],
) -> None:
    answer, writing, _ = on_canned
    with pytest.raises(ValidationError, match="Missing element Limit"):
        await writing.call("ListOrders", CustomerNumber="1", Offset=0)
    assert answer.requests == []


ODD_WSDL = """<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:tns="urn:odd" targetNamespace="urn:odd">
  <types><xsd:schema targetNamespace="urn:odd" elementFormDefault="qualified">
    <xsd:element name="Plain"><xsd:complexType><xsd:sequence>
      <xsd:element name="Text" type="xsd:string"/></xsd:sequence></xsd:complexType></xsd:element>
    <xsd:element name="Timed"><xsd:complexType><xsd:sequence>
      <xsd:element name="Span" type="xsd:duration"/></xsd:sequence></xsd:complexType></xsd:element>
    <xsd:element name="Chosen"><xsd:complexType><xsd:choice>
      <xsd:element name="A" type="xsd:string"/><xsd:element name="B" type="xsd:string"/>
    </xsd:choice></xsd:complexType></xsd:element>
    <xsd:element name="Flagged"><xsd:complexType><xsd:sequence>
      <xsd:element name="Text" type="xsd:string"/></xsd:sequence>
      <xsd:attribute name="flag" type="xsd:string"/></xsd:complexType></xsd:element>
    <xsd:element name="Nil"><xsd:complexType><xsd:sequence>
      <xsd:element name="Text" type="xsd:string" nillable="true"/></xsd:sequence>
    </xsd:complexType></xsd:element>
    <xsd:element name="Bounded"><xsd:complexType><xsd:sequence>
      <xsd:element name="Text" type="xsd:string" maxOccurs="3"/></xsd:sequence>
    </xsd:complexType></xsd:element>
  </xsd:schema></types>
  {messages}
  <portType name="Port">{operations}</portType>
  <binding name="Soap11" type="tns:Port">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    {bound11}
  </binding>
  <binding name="Soap12" type="tns:Port">
    <soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    {bound12}
  </binding>
</definitions>"""
ODD_OPERATIONS = ("Plain", "Timed", "Chosen", "Flagged", "Nil", "Bounded")


def odd_wsdl() -> str:
    def bound(soap: str) -> str:
        return "".join(
            f'<operation name="{name}"><{soap}:operation soapAction="urn:odd/{name}"/>'
            f'<input><{soap}:body use="literal"/></input>'
            f'<output><{soap}:body use="literal"/></output></operation>'
            for name in ODD_OPERATIONS
        )

    return ODD_WSDL.format(
        messages="".join(
            f'<message name="{name}"><part name="p" element="tns:{name}"/></message>'
            for name in ODD_OPERATIONS
        ),
        operations="".join(
            f'<operation name="{name}"><input message="tns:{name}"/>'
            f'<output message="tns:{name}"/></operation>'
            for name in ODD_OPERATIONS
        ),
        bound11=bound("soap"),
        bound12=bound("soap12"),
    )


def test_operations_beyond_the_compiler_get_no_writer(tmp_path: Path) -> None:
    """Simple types without a text function, choices, attributes, nillable or bounded
    elements, and SOAP 1.2 stay with zeep."""
    path = tmp_path / "odd.wsdl"
    path.write_text(odd_wsdl())
    assert set(request_writers(path, "{urn:odd}Soap11")) == {"Plain"}
    assert request_writers(path, "{urn:odd}Soap12") == {}


# -- the sandbox ERP answers both the same ------------------------------------------------


def typed_reads(seed: Seed) -> dict[str, Params]:
    """Every read of the recorded requests (`tests.erp_fixtures`), with the value types the
    adapter passes: lists of keys, ints and dates."""
    convert: dict[object, Callable[[str], object]] = {
        builtins.Integer.xmlvalue: int,
        builtins.Date.xmlvalue: date.fromisoformat,
    }
    reads = {}
    for operation, request in recorded_requests(seed).items():
        if not operation.startswith(("Get", "List")):
            continue
        elements = dict(BINDING_OBJECT.get(operation).input.body.type.elements)
        params: dict[str, Any] = {}
        for child in etree.fromstring(request)[0][0]:
            name = etree.QName(child).localname
            element = elements[name]
            value = convert.get(type(element.type).xmlvalue, str)(child.text or "")
            if element.max_occurs == 1:
                params[name] = value
            else:
                params.setdefault(name, []).append(value)
        reads[operation] = params
    return reads


async def test_every_read_answers_the_same(erp_url: str, erp_seed: Seed) -> None:
    writing, zeep_only = services(erp_url)
    try:
        reads = typed_reads(erp_seed)
        assert set(reads) == {name for name in CALLS if name.startswith(("Get", "List"))}
        for operation, params in reads.items():
            WRITERS[operation].write(params)  # the fast path
            expected = await outcome(zeep_only, operation, params)
            assert isinstance(expected, list | dict), (operation, expected)  # data, not an error
            assert await outcome(writing, operation, params) == expected, operation
    finally:
        await writing.aclose()
        await zeep_only.aclose()


FAULTS = {
    "down": {"mode": "down"},
    "a server fault": {"error_rate": 1.0},
    "noise": {"mode": "garbage", "garbage": "noise"},
    "a truncated answer": {"mode": "garbage", "garbage": "truncated"},
    "values of the wrong types": {"mode": "garbage", "garbage": "wrong_types"},
    "a hang": {"mode": "hang"},
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_failures_are_the_same(
    erp_url: str, erp_control: ErpControl, fault: dict[str, object]
) -> None:
    """The sandbox's faults raise the same errors for written requests as for zeep's (the
    same client, timeouts included), one request each."""
    limits = HttpLimits(connect_timeout_s=1.0, read_timeout_s=0.2, total_timeout_s=0.5)
    writing, zeep_only = services(erp_url, limits)
    await erp_control.set_faults(**fault)
    params = page()
    try:
        expected = await outcome(zeep_only, "ListOrders", params)
        assert isinstance(expected, tuple), expected
        assert issubclass(expected[0], UpstreamError)
        assert await outcome(writing, "ListOrders", params) == expected
    finally:
        await writing.aclose()
        await zeep_only.aclose()
    assert await erp_control.requests() == {"ListOrders": 2}


def writes(erp: OwnErp) -> list[tuple[str, Params]]:
    """A run of writes against a fresh ERP: accepted ones, refused ones, each write kind."""
    seed = erp.seed
    quote = next(q.id for q in seed.quotes if q.customer == MUSTER and q.state == "sent")
    order = next(o.id for o in seed.orders if o.customer == MUSTER and o.state == "sale")
    slot = erp.free_slot(MAINTENANCE, seats=1)
    booked = erp.booking(MUSTER, MAINTENANCE, "booked").id
    later = next(
        s.id
        for s in seed.slots
        if s.offering_id == MAINTENANCE and s.start > slot.start and erp.taken(s) == 0
    )
    return [
        ("RequestQuote", CALLS["RequestQuote"][0] | {"Line": [LINE]}),
        ("RequestQuote", CALLS["RequestQuote"][1]),
        ("AcceptQuote", CALLS["AcceptQuote"][0] | {"QuoteId": quote}),  # refused: too long
        ("AcceptQuote", CALLS["AcceptQuote"][0] | {"QuoteId": quote, "ClientOrderRef": "Grüße"}),
        ("DeclineQuote", CALLS["DeclineQuote"][0] | {"QuoteId": quote}),  # refused: accepted
        ("CopyOrder", CALLS["CopyOrder"][0] | {"OrderId": order}),
        ("CancelOrder", CALLS["CancelOrder"][0] | {"OrderId": order}),
        ("UpdateCustomer", CALLS["UpdateCustomer"][0]),
        ("UpdateCustomer", CALLS["UpdateCustomer"][1]),  # refused: not a UID
        ("SetInvoiceChannel", CALLS["SetInvoiceChannel"][1]),
        ("CreateAddress", CALLS["CreateAddress"][1]),
        ("CreateAddress", CALLS["CreateAddress"][0]),  # refused: no name
        ("UpdateAddress", CALLS["UpdateAddress"][1]),
        ("SetDefaultAddress", CALLS["SetDefaultAddress"][0]),
        ("DeleteAddress", CALLS["DeleteAddress"][0]),
        (
            "CreateServiceBooking",
            CALLS["CreateServiceBooking"][0]
            | {"SlotId": slot.id, "Attendee": [{"Name": ODD, "Email": None}]},
        ),
        (
            "RescheduleServiceBooking",
            CALLS["RescheduleServiceBooking"][0] | {"BookingId": booked, "SlotId": later},
        ),
        ("CancelServiceBooking", CALLS["CancelServiceBooking"][1] | {"BookingId": booked}),
        ("CancelServiceBooking", CALLS["CancelServiceBooking"][0]),  # refused: unknown
        ("EraseCustomerData", CALLS["EraseCustomerData"][0]),
    ]


async def test_every_write_answers_the_same() -> None:
    """The same run of writes, against two ERPs of the same seed and clock: one written to by
    the writers, one by zeep; the same answers (accepted or refused) and the same records."""
    with serve_own_erp() as mine, serve_own_erp() as zeeps:
        writing, _ = services(mine.url)
        _, zeep_only = services(zeeps.url)
        try:
            for operation, params in writes(mine):
                WRITERS[operation].write(params)  # the fast path
                expected = await outcome(zeep_only, operation, params)
                assert isinstance(expected, dict), (operation, expected)  # answered, not failed
                assert await outcome(writing, operation, params) == expected, operation
        finally:
            for service in (writing, zeep_only):
                await service.aclose()
        assert mine.seed == zeeps.seed
