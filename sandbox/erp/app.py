"""The sandbox ERP as an ASGI app: SOAP 1.1 operations (reads and writes) POSTed to `/erp`,
the WSDL at `GET /erp?wsdl`, and the shared control surface (`/_stats`, `/_faults`)."""

from collections.abc import Mapping

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import sandbox.erp.booking_writes  # (its writes register themselves in WRITES)
import sandbox.erp.masterdata  # (its writes register themselves in WRITES)
import sandbox.erp.privacy  # noqa: F401  (its write registers itself in WRITES)
from sandbox.advance import Advance, advance_route
from sandbox.erp.envelope import (
    ERP_NS,
    SOAP_MEDIA_TYPE,
    ServiceDescription,
    SoapClientError,
    fault_response,
    operation_element,
    server_fault,
    soap_response,
)
from sandbox.erp.operations import OPERATIONS
from sandbox.erp.writes import write_operations
from sandbox.faults import Faults
from sandbox.instrument import instrumented_app
from sandbox.model import Seed
from sandbox.rest import Clock, advancing_clock
from sandbox.stats import RequestStats

ERP_PATH = "/erp"
FAULT_STATUS = 500
"""WS-I Basic Profile R1126: every SOAP Fault travels with HTTP 500, client faults too."""


async def soap_operation(request: Request) -> str:
    """The SOAP operation a request calls: the SOAPAction's last segment, else the name of the
    body's first element; anything else is named `<METHOD> <path>`."""
    if request.method == "POST" and request.url.path == ERP_PATH:
        action = request.headers.get("SOAPAction", "").strip().strip('"')
        if action:
            return action.rsplit("/", 1)[-1]
        try:
            return etree.QName(operation_element(await request.body())).localname
        except SoapClientError:
            pass
    return f"{request.method} {request.url.path}"


def create_erp_app(
    seed: Seed,
    faults: Faults,
    stats: RequestStats,
    advances: Mapping[str, Advance] | None = None,
    clock: Clock | None = None,
) -> Starlette:
    """The ERP over `seed` (read in place, so later writes to the seed show up); `advances`
    serve `POST /_advance`; writes are stamped with `clock` (default: the seed's `now`,
    advancing)."""
    description = ServiceDescription()
    handlers = {**OPERATIONS, **write_operations(clock or advancing_clock(seed.now))}

    async def wsdl(request: Request) -> Response:
        if "wsdl" not in request.query_params:
            return PlainTextResponse("SOAP endpoint: POST operations, GET ?wsdl", status_code=400)
        endpoint = str(request.base_url).rstrip("/") + ERP_PATH
        return Response(description.wsdl_for(endpoint), media_type=SOAP_MEDIA_TYPE)

    async def call(request: Request) -> Response:
        try:
            operation = operation_element(await request.body())
            name = etree.QName(operation)
            handler = handlers.get(name.localname) if name.namespace == ERP_NS else None
            if handler is None:
                raise SoapClientError(f"unknown operation {name.text}")
            description.validate(operation)
            answer = handler(seed, operation)
        except SoapClientError as error:
            return fault_response(FAULT_STATUS, "Client", str(error))
        return soap_response(answer)

    routes = [
        Route(ERP_PATH, wsdl, methods=["GET"]),
        Route(ERP_PATH, call, methods=["POST"]),
        *([advance_route(advances)] if advances else []),
    ]
    return instrumented_app(
        routes, stats, faults, operation_of=soap_operation, failure=server_fault
    )
