"""The sandbox ERP as any SOAP client sees it: raw HTTP against the server on loopback."""

from pathlib import Path

import httpx
import pytest
from lxml import etree

from connectors.base.soap import load_wsdl
from connectors.erp.client import WSDL_PATH as GATEWAY_WSDL
from sandbox.erp import WSDL_PATH
from sandbox.erp.operations import OPERATIONS
from sandbox.erp.writes import WRITES
from sandbox.model import Seed
from sandbox.seed import MUSTER
from tests.erp_fixtures import (
    PAYLOADS,
    RECORDED_WRITES,
    UNKNOWN,
    ErpControl,
    answer_body,
    erp,
    fault_of,
    post,
    recorded_requests,
    soap_request,
)

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"
RECORDED = sorted(OPERATIONS.keys() | RECORDED_WRITES)
"""The reads, and the writes that leave the seed as it is; the others are tested on an ERP of
their own."""
SERVED = set(OPERATIONS) | set(WRITES)


def schema_of(wsdl: etree._Element) -> etree.XMLSchema:
    schema = wsdl.find(f".//{{{XSD}}}schema")
    assert schema is not None
    return etree.XMLSchema(schema)


async def test_wsdl_is_served_with_the_requests_address(erp_url: str) -> None:
    async with httpx.AsyncClient(timeout=5.0) as http:
        response = await http.get(erp_url, params={"wsdl": ""})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    wsdl = etree.fromstring(response.content)
    address = wsdl.find(f"{{{WSDL_NS}}}service/{{{WSDL_NS}}}port/{{{WSDL_SOAP}}}address")
    assert address is not None
    assert address.get("location") == erp_url
    schema_of(wsdl)  # compiles
    operations = {
        op.get("name") for op in wsdl.iterfind(f"{{{WSDL_NS}}}binding/{{{WSDL_NS}}}operation")
    }
    assert operations == SERVED


async def test_a_soap_toolkit_reads_the_served_wsdl(erp_url: str, tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=5.0) as http:
        served = tmp_path / "erp.wsdl"
        served.write_bytes((await http.get(erp_url, params={"wsdl": ""})).content)
    wsdl = load_wsdl(served)  # zeep
    [port] = wsdl.services["ErpService"].ports.values()
    assert port.binding_options["address"] == erp_url
    assert set(port.binding.all()) == SERVED


def test_the_gateway_ships_the_vendors_wsdl() -> None:
    assert GATEWAY_WSDL.read_bytes() == WSDL_PATH.read_bytes()


async def test_raw_soap_call(erp_url: str, erp_seed: Seed) -> None:
    response = await post(
        erp_url, soap_request("GetCustomers", [("CustomerNumber", MUSTER)]), "GetCustomers"
    )
    assert response.status_code == 200
    answer = answer_body(response.content)
    assert answer.tag == erp("GetCustomersResponse")
    [customer] = answer
    expected = next(c for c in erp_seed.customers if c.number == MUSTER)
    assert customer.findtext(erp("Number")) == expected.number
    assert customer.findtext(erp("Name")) == expected.name
    assert customer.findtext(erp("CreditLimit")) == str(expected.credit_limit)


async def test_unknown_ids_are_absent(erp_url: str) -> None:
    body = soap_request("GetOrders", [("OrderId", UNKNOWN)])
    answer = answer_body((await post(erp_url, body)).content)
    assert answer.tag == erp("GetOrdersResponse")
    assert len(answer) == 0


@pytest.mark.parametrize("operation", RECORDED)
async def test_recorded_payloads_are_current(erp_url: str, erp_seed: Seed, operation: str) -> None:
    """The answers mapping tests run on are what the sandbox answers today. A missing payload
    is recorded (delete one to re-record it after an intended change)."""
    response = await post(erp_url, recorded_requests(erp_seed)[operation], operation)
    assert response.status_code == 200
    path = PAYLOADS / f"{operation}.xml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(response.content)
        pytest.fail(f"recorded {path}; check it in and run again")
    assert response.content == path.read_bytes()


@pytest.mark.parametrize("operation", RECORDED)
def test_answers_conform_to_the_wsdl(operation: str) -> None:
    schema = schema_of(etree.parse(str(WSDL_PATH)).getroot())
    answer = answer_body((PAYLOADS / f"{operation}.xml").read_bytes())
    assert answer.tag == erp(f"{operation}Response")
    schema.assertValid(answer)


async def test_list_pages_newest_first(erp_url: str, erp_seed: Seed) -> None:
    expected = sorted(
        (o for o in erp_seed.orders if o.customer == MUSTER), key=lambda o: o.date_order
    )[::-1]
    params = [("CustomerNumber", MUSTER), ("Offset", "2"), ("Limit", "3")]
    answer = answer_body((await post(erp_url, soap_request("ListOrders", params))).content)
    assert answer.findtext(erp("Total")) == str(len(expected))
    assert [o.findtext(erp("Id")) for o in answer.iterfind(erp("Order"))] == [
        o.id for o in expected[2:5]
    ]


async def test_list_searches_references_case_insensitively(erp_url: str, erp_seed: Seed) -> None:
    order = next(o for o in erp_seed.orders if o.customer == MUSTER and o.client_order_ref)
    assert order.client_order_ref is not None
    params = [
        ("CustomerNumber", MUSTER),
        ("Search", order.client_order_ref.lower()),
        ("DateFrom", order.date_order.date().isoformat()),
        ("DateTo", order.date_order.date().isoformat()),
        ("Offset", "0"),
        ("Limit", "100"),
    ]
    answer = answer_body((await post(erp_url, soap_request("ListOrders", params))).content)
    assert [o.findtext(erp("Id")) for o in answer.iterfind(erp("Order"))] == [order.id]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (soap_request("GetEverything", []), "unknown operation"),
        (
            soap_request(
                "ListOrders", [("CustomerNumber", MUSTER), ("Offset", "0"), ("Limit", "101")]
            ),
            "Limit",
        ),
        (soap_request("GetOrders", [("Order", "1")]), "invalid request"),
        (b"<not-soap/>", "not a SOAP 1.1 envelope"),
        (b"\x00 garbage", "not well-formed"),
    ],
)
async def test_bad_requests_get_a_client_fault(erp_url: str, body: bytes, reason: str) -> None:
    response = await post(erp_url, body)
    assert response.status_code == 500
    code, text = fault_of(response)
    assert code == "soap:Client"
    assert reason in text


async def test_requests_are_counted_per_operation(erp_url: str, erp_control: ErpControl) -> None:
    await post(erp_url, soap_request("GetCustomers", [("CustomerNumber", MUSTER)]), "GetCustomers")
    await post(erp_url, soap_request("GetOpenItems", [("CustomerNumber", MUSTER)]))  # no action
    await post(erp_url, soap_request("GetOpenItems", [("CustomerNumber", MUSTER)]))
    async with httpx.AsyncClient(timeout=5.0) as http:
        await http.get(erp_url, params={"wsdl": ""})
    assert await erp_control.requests() == {"GetCustomers": 1, "GetOpenItems": 2, "GET /erp": 1}


async def test_injected_outage_is_a_server_fault(erp_url: str, erp_control: ErpControl) -> None:
    await erp_control.set_faults(mode="down", operations=["GetQuotes"])
    down = await post(erp_url, soap_request("GetQuotes", [("QuoteId", UNKNOWN)]), "GetQuotes")
    up = await post(erp_url, soap_request("GetOrders", [("OrderId", UNKNOWN)]), "GetOrders")
    assert down.status_code == 503
    assert fault_of(down)[0] == "soap:Server"
    assert up.status_code == 200


async def test_injected_garbage_is_not_xml(erp_url: str, erp_control: ErpControl) -> None:
    await erp_control.set_faults(mode="garbage")
    response = await post(erp_url, soap_request("GetQuotes", [("QuoteId", UNKNOWN)]))
    assert response.status_code == 200
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)
