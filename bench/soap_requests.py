# mypy: allow-untyped-calls
# zeep is unannotated; this benchmark calls it as its binding builds a request.
"""`python -m bench.soap_requests`: the CPU time to build each ERP request the cold dashboard
and the order detail send (their arguments as the adapter passes them, 20 keys per batch) into
the HTTP body, by zeep (its binding's `_create`, then `etree_to_string`, as zeep's transport
sends it) and by the compiled writer (`connectors.base.soap_writer`), in microseconds of this
thread's CPU time per request, the best of several rounds (the machine is shared: the best
round is the one least disturbed). Prints a Markdown table.
"""

import argparse
from collections.abc import Mapping
from datetime import date

from zeep.wsdl.utils import etree_to_string

from bench.soap_answers import best_us
from connectors.base.http import HttpLimits, create_client
from connectors.base.records import System
from connectors.base.soap import SoapService, load_wsdl, request_writers
from connectors.erp.client import BINDING, WSDL_PATH

KEYS = [str(10000001 + n) for n in range(20)]
REQUESTS: dict[str, Mapping[str, object]] = {
    "GetCustomers": {"CustomerNumber": ["0000100001"]},
    "ListOrders": {
        "CustomerNumber": "0000100001",
        "Search": None,
        "DateFrom": date(2026, 1, 1),
        "DateTo": None,
        "Offset": 0,
        "Limit": 100,
    },
    "GetOrderLines": {"OrderId": KEYS},
    "GetInvoicesByOrders": {"OrderId": KEYS},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    binding = load_wsdl(WSDL_PATH).bindings[BINDING]
    writers = request_writers(WSDL_PATH, BINDING)
    # never sends: its HTTP client opens no connection until it does
    service = SoapService.create(
        System.ERP, WSDL_PATH, BINDING, "http://erp/erp", create_client("", HttpLimits())
    )
    client = service._client  # the zeep client its binding builds a request for
    options = {"address": "http://erp/erp"}
    print("| request | bytes | zeep µs | writer µs | zeep ÷ writer |")
    print("|---|--:|--:|--:|--:|")
    totals = [0.0, 0.0]
    for operation, params in REQUESTS.items():
        writer = writers[operation]

        def by_zeep(operation: str = operation, params: Mapping[str, object] = params) -> bytes:
            envelope, _ = binding._create(operation, (), dict(params), client, options)
            content: bytes = etree_to_string(envelope)
            return content

        def by_writer(params: Mapping[str, object] = params, writer: object = writer) -> bytes:
            return writer.write(params)  # type: ignore[attr-defined, no-any-return]

        content = by_writer()
        if content != by_zeep():
            raise SystemExit(f"{operation}: the writer's request differs from zeep's")
        zeep_us = best_us(by_zeep, args.calls, args.rounds)
        writer_us = best_us(by_writer, args.calls, args.rounds)
        totals[0] += zeep_us
        totals[1] += writer_us
        print(
            f"| {operation} | {len(content):,} | {zeep_us:.1f} | {writer_us:.1f} "
            f"| {zeep_us / writer_us:.0f} |"
        )
    print(f"| all | | {totals[0]:.1f} | {totals[1]:.1f} | {totals[0] / totals[1]:.0f} |")


if __name__ == "__main__":
    main()
