"""The audit sink: one JSON line per staff operation and per mutation, with exactly the
documented fields, and neither tokens nor personal data beyond IDs."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import strawberry

from auth.permissions import requires
from auth.policy import Permission
from auth.principal import Principal
from portalgraph.audit import EVENT_FIELDS, AuditSink, AuditTrail
from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from tests.access_fixtures import client
from tests.stack import Tokens, running_gateway

SANDRA_SUBJECT = "7156be0b-1c07-589b-8994-b9e1e6c0d6ff"


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_every_staff_request_is_audited_and_customers_are_not(
    sandbox: Sandbox, tokens: Tokens, tmp_path: Path
) -> None:
    sink = tmp_path / "audit.jsonl"
    sandra_token, beat_token = await tokens("sandra"), await tokens("beat")
    with running_gateway(sandbox, audit_sink=str(sink)) as url:
        sandra, beat = client(url, sandra_token), client(url, beat_token)
        try:
            listed = await sandra.post("{ tickets(first: 2) { edges { node { id subject } } } }")
            ticket_id = listed.json()["data"]["tickets"]["edges"][0]["node"]["id"]
            one = await sandra.post(
                "query One($id: ID!) { ticket(id: $id) { subject } }", {"id": ticket_id}
            )
            denied = await sandra.post("{ accountBalance { totalOpen { amount } } }")
            await beat.post("{ orders(first: 1) { totalCount } }")
        finally:
            await sandra.aclose()
            await beat.aclose()
    found = events(sink)
    assert len(found) == 3  # Sandra's three requests; Beat's read is not audited
    assert all(tuple(event) == EVENT_FIELDS for event in found)
    assert {(e["actor"], e["azp"], e["tenant"], e["operationType"]) for e in found} == {
        (SANDRA_SUBJECT, "portal-frontend", MUSTER, "query")
    }
    listing, single, balance = found
    assert listing["requestId"] == listed.headers["X-Request-ID"]
    assert (listing["fields"], listing["outcome"]) == (["tickets"], "SUCCESS")
    assert ticket_id in listing["targets"]
    assert (single["operation"], single["targets"], single["requestId"]) == (
        "One",
        [ticket_id],
        one.headers["X-Request-ID"],
    )
    assert (balance["fields"], balance["outcome"]) == (["accountBalance"], "SUCCESS")
    assert denied.json()["data"]["accountBalance"]["totalOpen"]  # staff may read balances
    text = sink.read_text(encoding="utf-8")
    assert sandra_token not in text
    assert "sandra" not in text.lower()  # no login, name or e-mail: IDs only


@strawberry.type
class Renamed:
    id: strawberry.ID


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Mutation:
    """Stand-ins for the self-service mutations, which come with their own issue."""

    @strawberry.mutation
    def rename_order(self, order_id: strawberry.ID, name: str) -> Renamed:
        return Renamed(id=order_id)

    @strawberry.mutation(extensions=requires(Permission.PAYMENTS_WRITE))  # type: ignore[untyped-decorator]
    def pay(self, invoice_id: strawberry.ID) -> Renamed:
        return Renamed(id=invoice_id)


@dataclass
class AuditedContext:
    principal: Principal
    request_id: str


def principal(amr: tuple[str, ...]) -> Principal:
    return Principal(
        subject="user-1", username="daniel", display_name="Daniel", email="d@example.ch",
        locale="de-CH", roles=frozenset({"accounting"}), tenant=MUSTER, tenants=(MUSTER,),
        client_id="portal-frontend", scopes=frozenset(), amr=amr, is_service_account=False,
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )  # fmt: skip


async def test_one_event_per_mutation_with_its_outcome(tmp_path: Path) -> None:
    """The audit extension on a schema with mutations (the portal's own arrive with the
    self-service issue): each mutation field is one event; paying without the second factor
    is DENIED with MFA_REQUIRED, with it SUCCESS."""
    path = tmp_path / "audit.jsonl"
    sink = AuditSink(str(path))
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[partial(AuditTrail, sink=sink, clock=lambda: now)],
    )
    document = """mutation Both($order: ID!, $invoice: ID!) {
        renameOrder(orderId: $order, name: "Fräse") { id } pay(invoiceId: $invoice) { id } }"""
    variables = {"order": "T3JkZXI6ZXJwOjE", "invoice": "SW52b2ljZTplcnA6Mg"}
    try:
        first = await schema.execute(
            document, variables, context_value=AuditedContext(principal(("pwd",)), "r-1")
        )
        second = await schema.execute(
            document, variables, context_value=AuditedContext(principal(("pwd", "otp")), "r-2")
        )
    finally:
        sink.close()
    assert first.errors is not None
    assert first.errors[0].extensions == {
        "code": "MFA_REQUIRED",
        "permission": "payments:write",
        "stepUp": {"acrValues": "2", "amr": "otp"},
    }
    assert second.errors is None
    found = events(path)
    assert [tuple(event) for event in found] == [EVENT_FIELDS] * 4
    assert [(e["requestId"], e["fields"], e["targets"], e["outcome"]) for e in found] == [
        ("r-1", ["renameOrder"], [variables["order"]], "SUCCESS"),
        ("r-1", ["pay"], [variables["invoice"]], "DENIED"),
        ("r-2", ["renameOrder"], [variables["order"]], "SUCCESS"),
        ("r-2", ["pay"], [variables["invoice"]], "SUCCESS"),
    ]
    assert {(e["actor"], e["tenant"], e["operation"], e["time"]) for e in found} == {
        ("user-1", MUSTER, "Both", now.isoformat())
    }
