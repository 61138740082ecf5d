"""The compiled SOAP answer readers (`connectors.base.soap_reader`) against zeep's decoding:
every read operation of the ERP against the sandbox ERP, every recorded answer, and answers
crafted to be odd (served over loopback, `tests.soap_canned`), each decoded by a `SoapService`
with the readers (and the request writers) and one without (zeep builds every request and
decodes every answer); the results must be the same plain data, types and time zones
included, or the same error."""

from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from lxml import etree

from connectors.base.http import HttpLimits, create_client
from connectors.base.records import System
from connectors.base.soap import SoapService, answer_readers, load_wsdl
from connectors.base.soap_reader import Unrecognised
from connectors.erp.client import BINDING, WSDL_PATH
from sandbox.model import Seed
from tests.erp_fixtures import PAYLOADS, RECORDED_WRITES, recorded_requests
from tests.soap_canned import Canned

NS = "urn:portalgraph:sandbox:erp:v1"
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<soap:Body>{}</soap:Body></soap:Envelope>"
)
ORDER_HEAD = (
    "<e:Id>1</e:Id><e:Name>SO-1</e:Name><e:CustomerNumber>0000100001</e:CustomerNumber>"
    "<e:State>sale</e:State><e:DeliveryStatus>pending</e:DeliveryStatus>"
    "<e:InvoiceStatus>no</e:InvoiceStatus><e:Locked>{locked}</e:Locked>"
)
ORDER_TAIL = (
    "<e:DateOrder>{ordered}</e:DateOrder>{committed}<e:WriteDate>2026-02-27T09:00:00+01:00</e:WriteDate>"
    "<e:Currency>CHF</e:Currency><e:AmountUntaxed>{untaxed}</e:AmountUntaxed>"
    "<e:AmountTax>0</e:AmountTax><e:AmountTotal>100.00</e:AmountTotal>"
)
LINE = (  # .format(position=...)
    "<e:Line><e:Position>{position}</e:Position><e:ProductCode>FR-200</e:ProductCode>"
    "<e:Description>Fräsmodul</e:Description><e:Quantity>2</e:Quantity>"
    "<e:QtyDelivered>0</e:QtyDelivered><e:QtyInvoiced>0</e:QtyInvoiced>"
    "<e:PriceUnit>50.00</e:PriceUnit><e:PriceSubtotal>100.00</e:PriceSubtotal></e:Line>"
)


def orders(*records: str) -> bytes:
    inner = "".join(f"<e:Order>{record}</e:Order>" for record in records)
    answer = f'<e:GetOrdersResponse xmlns:e="{NS}">{inner}</e:GetOrdersResponse>'
    return ENVELOPE.format(answer).encode()


def order(
    locked: str = "false",
    ordered: str = "2026-02-26T09:00:00+01:00",
    untaxed: str = "100.00",
    middle: str = "",
    committed: str | None = None,
    lines: str = "",
) -> str:
    """An order; `middle` goes after Locked, `committed` is the CommitmentDate."""
    head = ORDER_HEAD.format(locked=locked)
    commitment = "" if committed is None else f"<e:CommitmentDate>{committed}</e:CommitmentDate>"
    tail = ORDER_TAIL.format(ordered=ordered, committed=commitment, untaxed=untaxed)
    return head + middle + tail + lines


def typed(value: object) -> object:
    """`value` with every type, key order and time zone spelled out, for exact comparison."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    if isinstance(value, datetime):
        zone = value.tzinfo
        return (datetime, value.isoformat(), type(zone), value.utcoffset(), value.tzname())
    return (type(value), value)


async def services(url: str) -> tuple[SoapService, SoapService]:
    """(with the compiled readers and writers, zeep only) bound to `url`."""
    compiled = SoapService.create(System.ERP, WSDL_PATH, BINDING, url, create_client(url, LIMITS))
    zeep_only = SoapService.create(
        System.ERP,
        WSDL_PATH,
        BINDING,
        url,
        create_client(url, LIMITS),
        compiled_readers=False,
        compiled_writers=False,
    )
    return compiled, zeep_only


LIMITS = HttpLimits()


@pytest.fixture
async def on_sandbox(erp_url: str) -> AsyncIterator[tuple[SoapService, SoapService]]:
    pair = await services(erp_url)
    yield pair
    for service in pair:
        await service.aclose()


@pytest.fixture
async def on_canned(
    canned: tuple[Canned, str],
) -> AsyncIterator[tuple[Canned, SoapService, SoapService]]:
    answer, url = canned
    answer.reset()
    compiled, zeep_only = await services(url)
    yield answer, compiled, zeep_only
    await compiled.aclose()
    await zeep_only.aclose()


async def outcome(service: SoapService, operation: str, **params: object) -> object:
    """The plain answer, typed, or the error raised (its type and message)."""
    try:
        return typed(await service.call(operation, **params))
    except Exception as error:
        return (type(error), str(error))


# -- the sandbox's answers -------------------------------------------------------------


def recorded_calls(seed: Seed) -> dict[str, dict[str, object]]:
    """The recorded requests, as keyword parameters."""
    calls = {}
    for operation, request in recorded_requests(seed).items():
        parameters: dict[str, list[object]] = {}
        for element in etree.fromstring(request)[0][0]:
            parameters.setdefault(etree.QName(element).localname, []).append(element.text or "")
        calls[operation] = {
            name: values[0] if len(values) == 1 else values for name, values in parameters.items()
        }
    return calls


def read_calls(seed: Seed) -> dict[str, dict[str, object]]:
    """Every read of the recorded requests, as keyword parameters."""
    calls = recorded_calls(seed)
    return {operation: calls[operation] for operation in calls.keys() - RECORDED_WRITES}


def test_every_operation_has_a_reader() -> None:
    operations = set(load_wsdl(WSDL_PATH).bindings[BINDING].all())
    assert set(answer_readers(WSDL_PATH, BINDING)) == operations


def test_every_read_operation_is_called_below(erp_seed: Seed) -> None:
    operations = load_wsdl(WSDL_PATH).bindings[BINDING].all()
    reads = {name for name in operations if name.startswith(("Get", "List"))}
    assert reads == set(read_calls(erp_seed))


async def test_every_read_answers_as_with_zeep(
    on_sandbox: tuple[SoapService, SoapService], erp_seed: Seed
) -> None:
    compiled, zeep_only = on_sandbox
    for operation, params in read_calls(erp_seed).items():
        expected = await outcome(zeep_only, operation, **params)
        assert isinstance(expected, tuple)
        assert expected[0] in ("dict", "list"), expected  # data, not an error
        assert await outcome(compiled, operation, **params) == expected, operation


RECORDED = {path.stem: path.read_bytes() for path in sorted(PAYLOADS.glob("*.xml"))}


@pytest.mark.parametrize("operation", RECORDED)
async def test_recorded_answers_are_read_without_zeep(
    on_canned: tuple[Canned, SoapService, SoapService], operation: str, erp_seed: Seed
) -> None:
    """The recorded answers (reads and writes) take the reader's path, with zeep's result."""
    answer, compiled, zeep_only = on_canned
    answer.body = RECORDED[operation]
    params = recorded_calls(erp_seed)[operation]
    reader = answer_readers(WSDL_PATH, BINDING)[operation]
    expected = await outcome(zeep_only, operation, **params)
    assert typed(reader.read(answer.body)) == expected  # no Unrecognised: the fast path
    assert await outcome(compiled, operation, **params) == expected


# -- odd answers: the same data, or the same error, as zeep gives ------------------------

FAULT = ENVELOPE.format(
    "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>database gone</faultstring>"
    "</soap:Fault>"
).encode()
CLIENT_FAULT = FAULT.replace(b"soap:Server", b"soap:Client")
ODD_ANSWERS = {
    "an empty answer": (orders(), 200),
    "a date in a record": (orders(order(committed="2026-03-19")), 200),
    "a date misplaced": (
        orders(order(middle="<e:CommitmentDate>2026-03-19</e:CommitmentDate>")),
        200,
    ),
    "missing optional elements and no lines": (orders(order()), 200),
    "optional elements present": (
        orders(
            order(
                middle="<e:ClientOrderRef>PO-1</e:ClientOrderRef>", lines=LINE.format(position=10)
            )
        ),
        200,
    ),
    "an empty record in a list": (orders(order(lines="<e:Line/>" + LINE.format(position=10))), 200),
    "an empty string": (orders(order(middle="<e:ClientOrderRef></e:ClientOrderRef>")), 200),
    "whitespace kept in strings": (
        orders(order(middle="<e:ClientOrderRef> a </e:ClientOrderRef>")),
        200,
    ),
    "nil on an optional element": (orders(order(middle='<e:ClientOrderRef xsi:nil="true"/>')), 200),
    "nil on a record": (orders(order(lines='<e:Line xsi:nil="true"/>')), 200),
    "nil on a required element": (
        orders(order().replace("<e:AmountTax>0</e:AmountTax>", '<e:AmountTax xsi:nil="true"/>')),
        200,
    ),
    "a boolean spelled 1": (orders(order(locked="1")), 200),
    "a boolean spelled yes": (orders(order(locked="yes")), 200),
    "a boolean with blanks": (orders(order(locked=" true ")), 200),
    "a decimal that is not one": (orders(order(untaxed="abc")), 200),
    "a decimal with blanks": (orders(order(untaxed=" 12.50\n")), 200),
    "a decimal with an exponent": (orders(order(untaxed="1.5E3")), 200),
    "an int that is not one": (orders(order(lines=LINE.format(position="x"))), 200),
    "an int with blanks": (orders(order(lines=LINE.format(position=" 7 "))), 200),
    "a time in UTC": (orders(order(ordered="2026-02-26T08:00:00Z")), 200),
    "a time at +00:00": (orders(order(ordered="2026-02-26T08:00:00+00:00")), 200),
    "a time west of UTC": (orders(order(ordered="2026-02-26T03:30:00-04:30")), 200),
    "a time without a zone": (orders(order(ordered="2026-02-26T09:00:00")), 200),
    "a time with a fraction": (orders(order(ordered="2026-02-26T09:00:00.5+01:00")), 200),
    "a time with microseconds": (orders(order(ordered="2026-02-26T09:00:00.123456Z")), 200),
    "a time with nanoseconds": (orders(order(ordered="2026-02-26T09:00:00.123456789Z")), 200),
    "a time with a space": (orders(order(ordered="2026-02-26 09:00:00")), 200),
    "a time zone without a colon": (orders(order(ordered="2026-02-26T09:00:00+0100")), 200),
    "a date only for a time": (orders(order(ordered="2026-02-26")), 200),
    "a time that is not one": (orders(order(ordered="yesterday")), 200),
    "a time in week notation": (orders(order(ordered="2026-W09-4T09:00:00+01:00")), 200),
    "a date with a zone": (orders(order(committed="2026-03-19+01:00")), 200),
    "a date that does not exist": (orders(order(committed="2026-02-30")), 200),
    "a date in week notation": (orders(order(committed="2026-W09-4")), 200),
    "an unexpected element": (orders(order(middle="<e:Colour>red</e:Colour>")), 200),
    "elements out of order": (orders(LINE.format(position=1) + order()), 200),
    "a required element missing in the middle": (
        orders(order().replace("<e:Name>SO-1</e:Name>", "")),
        200,
    ),
    "a required element missing at the end": (
        orders(order().replace("<e:AmountTotal>100.00</e:AmountTotal>", "")),
        200,
    ),
    "an element after the lines": (
        orders(
            order(lines=LINE.format(position=1))
            + "<e:QuoteId>3</e:QuoteId>"
            + LINE.format(position=2)
        ),
        200,
    ),
    "unqualified elements": (
        orders(order().replace("e:", ""))
        .replace(b"<Order>", b"<e:Order>")
        .replace(b"</Order>", b"</e:Order>"),
        200,
    ),
    "comments": (
        orders(order(middle="<!-- a note --><e:ClientOrderRef>P<!-- x -->O</e:ClientOrderRef>")),
        200,
    ),
    "another answer's element": (orders().replace(b"GetOrdersResponse", b"GetQuotesResponse"), 200),
    "a SOAP header": (orders(order()).replace(b"<soap:Body>", b"<soap:Header/><soap:Body>"), 200),
    "a DOCTYPE": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + orders(order()).split(b"?>", 1)[1],
        200,
    ),
    "not XML": (b"<<garbage>>", 200),
    "not SOAP": (b"<html><body>maintenance</body></html>", 200),
    "an empty body": (ENVELOPE.format("").encode(), 200),
    "a server fault": (FAULT, 500),
    "a client fault": (CLIENT_FAULT, 500),
    "a fault with status 200": (FAULT, 200),
    "an error without a body": (b"", 503),
    "an answer with a 500": (orders(order()), 500),
}


@pytest.mark.parametrize(("body", "status"), ODD_ANSWERS.values(), ids=ODD_ANSWERS.keys())
async def test_odd_answers_as_with_zeep(
    on_canned: tuple[Canned, SoapService, SoapService], body: bytes, status: int
) -> None:
    answer, compiled, zeep_only = on_canned
    answer.body, answer.status = body, status
    expected = await outcome(zeep_only, "GetOrders", OrderId=["1"])
    assert await outcome(compiled, "GetOrders", OrderId=["1"]) == expected


def test_odd_values_are_left_to_zeep() -> None:
    """What zeep reads leniently (a None, a False) is not the reader's to guess."""
    reader = answer_readers(WSDL_PATH, BINDING)["GetOrders"]
    lenient = ("a boolean spelled yes", "an int that is not one", "a time that is not one")
    for name in (*lenient, "nil on an optional element", "a required element missing at the end"):
        with pytest.raises(Unrecognised):
            reader.read(ODD_ANSWERS[name][0])


def test_values_in_canonical_form() -> None:
    reader = answer_readers(WSDL_PATH, BINDING)["GetOrders"]
    body = orders(order(untaxed="12.50", committed="2026-03-19", lines=LINE.format(position=7)))
    [record] = cast(list[dict[str, Any]], reader.read(body))
    assert record["AmountUntaxed"] == Decimal("12.50")
    assert record["CommitmentDate"] == date(2026, 3, 19)
    assert record["Line"][0]["Position"] == 7
    assert record["DateOrder"].utcoffset().total_seconds() == 3600


async def test_the_sandbox_counts_one_request_per_call(
    on_sandbox: tuple[SoapService, SoapService], erp_control: object
) -> None:
    compiled, _ = on_sandbox
    await compiled.call("GetOrders", OrderId=["10000001"])
    assert await erp_control.requests() == {"GetOrders": 1}  # type: ignore[attr-defined]


async def test_a_multipart_answer_is_left_to_zeep(
    on_canned: tuple[Canned, SoapService, SoapService],
) -> None:
    answer, compiled, zeep_only = on_canned
    answer.body = orders(order())
    answer.content_type = 'multipart/related; boundary="b"'
    expected = await outcome(zeep_only, "GetOrders", OrderId=["1"])
    assert await outcome(compiled, "GetOrders", OrderId=["1"]) == expected
