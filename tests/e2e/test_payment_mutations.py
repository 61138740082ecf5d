"""Paying invoices end to end: `createPaymentSession` and `cancelPayment` through the real
gateway into the sandbox payment provider and back out through queries, with user errors,
denied roles, another tenant's invoices, and idempotency keys in Redis (concurrent retries,
a restarted gateway). These tests write, so they run on a sandbox of their own."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.server import Sandbox
from tests.stack import (
    GraphQLClient,
    Tokens,
    running_gateway,
    without_sources,
)

CREATE = """mutation($input: CreatePaymentSessionInput!) {
  createPaymentSession(input: $input) {
    payment { id status amount { amount currencyCode } nextAction { redirectUrl }
              allocations { invoiceId amount { amount currencyCode } } }
    userErrors { field code message }
  }
}"""
CANCEL = """mutation($input: CancelPaymentInput!) {
  cancelPayment(input: $input) { payment { id status } userErrors { field code message } }
}"""
PAYABLE = """{ invoices(first: 100, filter: {statuses: [OPEN, PARTIALLY_PAID], kinds: [INVOICE]}) {
  edges { node { id number amountResidual { amount currencyCode } } } } }"""
PAID = """{ invoices(first: 100, filter: {statuses: [PAID], kinds: [INVOICE]}) {
  edges { node { id } } } }"""
PAYMENT = """query($id: ID!) { node(id: $id) { ... on Payment { id status
  allocations { invoiceId amount { amount } } } } }"""
INVOICE_PAYMENTS = "query($id: ID!) { invoice(id: $id) { payments { id status } } }"


@pytest.fixture
async def daniel(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[GraphQLClient]:
    client = GraphQLClient(own_gateway, await own_tokens("daniel", mfa=True))
    yield client
    await client.aclose()


def allocation(invoice: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    currency = invoice["amountResidual"]["currencyCode"]
    return {"invoiceId": invoice["id"], "amount": {"amount": str(amount), "currencyCode": currency}}


def session(allocations: list[dict[str, Any]], key: str | None = None) -> dict[str, Any]:
    return {"input": {
        "allocations": allocations, "method": "CARD", "returnUrl": "https://portal.example/paid",
        "idempotencyKey": key or str(uuid.uuid4()),
    }}  # fmt: skip


async def payable(client: GraphQLClient) -> list[dict[str, Any]]:
    edges = (await client.query(PAYABLE))["invoices"]["edges"]
    found = [e["node"] for e in edges if Decimal(e["node"]["amountResidual"]["amount"]) > 1]
    assert len(found) >= 2
    return found


def post_count(sandbox: Sandbox) -> int:
    counts = httpx.get(f"{sandbox.url('payments')}/_stats").json()["by_operation"]
    return int(counts.get("POST /v1/payment_intents", 0))


async def test_pay_two_invoices_partly_and_cancel(daniel: GraphQLClient) -> None:
    first, second = (await payable(daniel))[:2]
    half = (Decimal(first["amountResidual"]["amount"]) / 2).quantize(Decimal("0.01"))
    whole = Decimal(second["amountResidual"]["amount"])
    await daniel.query(INVOICE_PAYMENTS, {"id": first["id"]})  # warm the cache
    body = await daniel.query(CREATE, session([allocation(first, half), allocation(second, whole)]))
    result = body["createPaymentSession"]
    assert result["userErrors"] == []
    payment = result["payment"]
    assert payment["status"] == "REQUIRES_ACTION"
    assert payment["nextAction"]["redirectUrl"].startswith("https://")
    assert Decimal(payment["amount"]["amount"]) == half + whole
    assert [(a["invoiceId"], Decimal(a["amount"]["amount"])) for a in payment["allocations"]] == [
        (first["id"], half), (second["id"], whole)
    ]  # fmt: skip
    read = (await daniel.query(PAYMENT, {"id": payment["id"]}))["node"]
    assert read["status"] == "REQUIRES_ACTION"
    listed = (await daniel.query(INVOICE_PAYMENTS, {"id": first["id"]}))["invoice"]["payments"]
    assert {"id": payment["id"], "status": "REQUIRES_ACTION"} in listed  # cache invalidated

    canceled = await daniel.query(CANCEL, {"input": {"paymentId": payment["id"]}})
    assert canceled["cancelPayment"] == {
        "payment": {"id": payment["id"], "status": "CANCELED"}, "userErrors": []
    }  # fmt: skip
    assert (await daniel.query(PAYMENT, {"id": payment["id"]}))["node"]["status"] == "CANCELED"
    again = (await daniel.query(CANCEL, {"input": {"paymentId": payment["id"]}}))["cancelPayment"]
    assert again["payment"] is None
    assert [e["code"] for e in again["userErrors"]] == ["PAYMENT_NOT_CANCELABLE"]


async def test_refused_inputs_are_user_errors_and_pay_nothing(
    daniel: GraphQLClient, own_sandbox: Sandbox
) -> None:
    invoice = (await payable(daniel))[0]
    residual = Decimal(invoice["amountResidual"]["amount"])
    paid = (await daniel.query(PAID))["invoices"]["edges"][0]["node"]
    other = "EUR" if invoice["amountResidual"]["currencyCode"] != "EUR" else "CHF"
    cases = {
        "AMOUNT_ABOVE_RESIDUAL": [allocation(invoice, residual + Decimal("0.01"))],
        "INVALID_AMOUNT": [allocation(invoice, Decimal("-1"))],
        "CURRENCY_MISMATCH": [{**allocation(invoice, Decimal(1)),
                               "amount": {"amount": "1", "currencyCode": other}}],
        "INVOICE_NOT_PAYABLE": [{"invoiceId": paid["id"], **allocation(invoice, Decimal(1))}
                                | {"invoiceId": paid["id"]}],
        "NOT_FOUND": [{**allocation(invoice, Decimal(1)), "invoiceId": "bm9wZQ"}],
        "DUPLICATE": [allocation(invoice, Decimal(1)), allocation(invoice, Decimal(1))],
    }  # fmt: skip
    before = post_count(own_sandbox)
    for code, allocations in cases.items():
        result = (await daniel.query(CREATE, session(allocations)))["createPaymentSession"]
        assert result["payment"] is None, code
        assert code in [e["code"] for e in result["userErrors"]], (code, result)
        assert all(e["field"][0] == "input" and e["message"] for e in result["userErrors"])
    bad_key = session([allocation(invoice, Decimal(1))], key="x")
    result = (await daniel.query(CREATE, bad_key))["createPaymentSession"]
    assert result["userErrors"][0]["field"] == ["input", "idempotencyKey"]
    assert post_count(own_sandbox) == before


async def test_roles_without_payments_write_are_denied(
    own_gateway: str, own_tokens: Tokens, daniel: GraphQLClient
) -> None:
    invoice = (await payable(daniel))[0]
    variables = session([allocation(invoice, Decimal(1))])
    for user, mfa, code in (("carla", False, "FORBIDDEN"), ("beat", False, "FORBIDDEN"),
                            ("daniel", False, "MFA_REQUIRED")):  # fmt: skip
        client = GraphQLClient(own_gateway, await own_tokens(user, mfa=mfa))
        body = (await client.post(CREATE, variables)).json()
        await client.aclose()
        assert body["data"] is None, user
        assert body["errors"][0]["extensions"]["code"] == code, user


async def test_another_organizations_invoice_is_not_found(
    own_gateway: str, own_tokens: Tokens, daniel: GraphQLClient
) -> None:
    muster_invoice = (await payable(daniel))[0]
    anna = GraphQLClient(own_gateway, await own_tokens("anna", mfa=True))
    anna.http.headers["X-Portal-Organization"] = "0000100004"  # acting for Logistica Ticino
    result = await anna.query(CREATE, session([allocation(muster_invoice, Decimal(1))]))
    await anna.aclose()
    errors = result["createPaymentSession"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "allocations", "0", "invoiceId"], "NOT_FOUND")
    ]


async def test_one_key_pays_once_across_concurrent_retries_and_a_restart(
    own_sandbox: Sandbox, own_tokens: Tokens, redis_url: str, redis_prefix: str
) -> None:
    token = await own_tokens("daniel", mfa=True)
    shared: dict[str, Any] = {"redis_url": redis_url, "cache_prefix": redis_prefix}
    with running_gateway(own_sandbox, **shared) as url:
        client = GraphQLClient(url, token)
        invoice = (await payable(client))[0]
        variables = session([allocation(invoice, Decimal("1.00"))], key=str(uuid.uuid4()))
        before = post_count(own_sandbox)
        answers = await asyncio.gather(*(client.post(CREATE, variables) for _ in range(20)))
        await client.aclose()
    assert post_count(own_sandbox) == before + 1  # one payment created at the provider
    bodies = [without_sources(answer.json()) for answer in answers]  # timings differ
    assert bodies[0]["data"]["createPaymentSession"]["payment"]["id"]
    assert all(body == bodies[0] for body in bodies)

    with running_gateway(own_sandbox, **shared) as url:  # a new process, the same Redis
        client = GraphQLClient(url, token)
        replayed = without_sources((await client.post(CREATE, variables)).json())
        changed = session([allocation(invoice, Decimal("2.00"))], key=variables["input"][
            "idempotencyKey"])  # fmt: skip
        refused = (await client.query(CREATE, changed))["createPaymentSession"]
        await client.aclose()
    assert replayed == bodies[0]
    assert post_count(own_sandbox) == before + 1
    assert refused["payment"] is None
    assert refused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
