"""One broken upstream nulls only its own fields, with a typed error naming the system; the
other systems' data still arrives and nothing of the upstream's answer leaks."""

from typing import Any

from tests.stack import GraphQLClient, Tokens, Upstream

QUERY = """{
  tickets(first: 2) { totalCount }
  orders(first: 3) { edges { node { number lines { description } documents { title }
                                    invoices { number payments { id } } } } }
}"""


def errors_by_code(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for error in body.get("errors", []):
        grouped.setdefault(error["extensions"]["code"], []).append(error)
    return grouped


async def run(url: str, tokens: Tokens) -> dict[str, Any]:
    client = GraphQLClient(url, await tokens("anna"))
    response = await client.post(QUERY)
    await client.aclose()
    assert response.status_code == 200
    assert "service unavailable" not in response.text
    assert "internal server error" not in response.text
    body: dict[str, Any] = response.json()
    return body


async def test_soap_fault_nulls_the_order_lines_only(
    upstream: Upstream, fresh_gateway_url: str, tokens: Tokens
) -> None:
    upstream.fault("erp", error_rate=1.0, operations=["GetOrderLines"])
    body = await run(fresh_gateway_url, tokens)
    orders = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert len(orders) == 3
    assert all(order["number"] for order in orders)
    assert all(order["lines"] is None for order in orders)
    assert all(order["documents"] is not None for order in orders)
    assert body["data"]["tickets"]["totalCount"] > 0
    failures = errors_by_code(body)["UPSTREAM_UNAVAILABLE"]
    assert {tuple(error["path"][-1:]) for error in failures} == {("lines",)}
    assert all(error["extensions"]["system"] == "erp" for error in failures)
    assert upstream.counts("erp")["GetOrderLines"] == 2  # one retry of an idempotent read


async def test_http_500_from_the_dms_nulls_documents_only(
    upstream: Upstream, fresh_gateway_url: str, tokens: Tokens
) -> None:
    upstream.fault("dms", error_rate=1.0)
    body = await run(fresh_gateway_url, tokens)
    orders = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert all(order["documents"] is None and order["lines"] for order in orders)
    failures = errors_by_code(body)["UPSTREAM_UNAVAILABLE"]
    assert failures
    assert all(error["extensions"]["system"] == "dms" for error in failures)
    assert all(error["path"][-1] == "documents" for error in failures)


async def test_garbage_from_the_payment_provider_is_a_bad_response(
    upstream: Upstream, fresh_gateway_url: str, tokens: Tokens
) -> None:
    upstream.fault("payments", mode="garbage")
    body = await run(fresh_gateway_url, tokens)
    invoices = [i for edge in body["data"]["orders"]["edges"] for i in edge["node"]["invoices"]]
    assert invoices
    assert all(invoice["payments"] is None for invoice in invoices)
    failures = errors_by_code(body)["UPSTREAM_BAD_RESPONSE"]
    assert failures
    assert all(error["extensions"]["system"] == "payments" for error in failures)
    assert upstream.counts("payments") == {"GET /v1/payment_intents": 1}  # never retried


async def test_crm_down_fails_the_ticket_list_and_keeps_the_orders(
    upstream: Upstream, fresh_gateway_url: str, tokens: Tokens
) -> None:
    upstream.fault("crm", mode="down")
    body = await run(fresh_gateway_url, tokens)
    assert body["data"]["tickets"] is None
    assert len(body["data"]["orders"]["edges"]) == 3
    [failure] = errors_by_code(body)["UPSTREAM_UNAVAILABLE"]
    assert failure["path"] == ["tickets"]
    assert failure["extensions"]["system"] == "crm"
