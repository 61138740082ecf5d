"""The `insights` query end to end: usage counted in a real Redis by the gateway itself, SLA
from the CRM, who may see which organization."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.seed import LUMIERE, MUSTER
from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, running_gateway

INSIGHTS = """
query Insights($from: Date!, $to: Date!, $org: String) {
  insights(from: $from, to: $to, organizationId: $org) {
    organizations
    total { activeUsers logins selfServiceActions actions { kind count } }
    daily { start activeUsers }
    weekly { start days activeUsers }
    sla { priority total met breached metPercent averageFirstResponseMinutes }
    roi {
      currency hourlyRate grossSavingsPerMonth netSavingsPerMonth paybackMonths
      firstYearRoiPercent minutesSaved { kind minutes actionsPerMonth }
    }
  }
}
"""
TICKETS = """query($from: Date!, $to: Date!) {
  tickets(first: 100, filter: {dateRange: {start: $from, end: $to}}) {
    edges { node { priority status sla { status } } } } }"""


@pytest.fixture
def gateway(sandbox: Sandbox, redis_url: str, redis_prefix: str) -> Iterator[str]:
    with running_gateway(sandbox, redis_url=redis_url, cache_prefix=redis_prefix) as url:
        yield url


def today(sandbox: Sandbox) -> str:
    return sandbox.seed.now.date().isoformat()


async def ask(client: GraphQLClient, sandbox: Sandbox, **variables: Any) -> dict[str, Any]:
    day = sandbox.seed.now.date()
    window = {"from": (day - timedelta(days=29)).isoformat(), "to": day.isoformat()}
    data = await client.query(INSIGHTS, {**window, **variables})
    insights: dict[str, Any] = data["insights"]
    return insights


async def test_usage_is_counted_per_member_session_and_action(
    sandbox: Sandbox, gateway: str, tokens: Tokens
) -> None:
    anna = GraphQLClient(gateway, await tokens("anna"))
    beat = GraphQLClient(gateway, await tokens("beat"))
    await anna.query(
        "{ orders { totalCount } invoices { totalCount } mine: tickets { totalCount } }"
    )
    await anna.query("{ orders { totalCount } }")
    await beat.query("{ orders { totalCount } viewer { roles } }")

    insights = await ask(anna, sandbox)
    await anna.aclose()
    await beat.aclose()

    assert insights["organizations"] == [MUSTER]
    total = insights["total"]
    assert (total["activeUsers"], total["logins"]) == (2, 2)
    actions = {a["kind"]: a["count"] for a in total["actions"]}
    assert actions == {"ORDER_STATUS_CHECK": 3, "INVOICE_LOOKUP": 1, "TICKET_STATUS_CHECK": 1}
    assert total["selfServiceActions"] == 5
    assert [d["activeUsers"] for d in insights["daily"]] == [0] * 29 + [2]
    assert [(w["days"], w["activeUsers"]) for w in insights["weekly"]] == [(7, 0)] * 4 + [(2, 2)]

    roi = insights["roi"]
    minutes = {m["kind"]: Decimal(m["minutes"]) for m in roi["minutesSaved"]}
    per_month = {m["kind"]: Decimal(m["actionsPerMonth"]) for m in roi["minutesSaved"]}
    assert per_month["ORDER_STATUS_CHECK"] == Decimal(3)  # 3 in 30 days
    saved = sum((Decimal(n) * minutes[kind] for kind, n in actions.items()), Decimal(0))
    expected_gross = (saved / 60 * Decimal(roi["hourlyRate"])).quantize(Decimal("0.01"))
    assert Decimal(roi["grossSavingsPerMonth"]) == expected_gross
    assert roi["paybackMonths"] is None  # five actions do not pay for a portal


async def test_sla_report_matches_the_crm_tickets(
    sandbox: Sandbox, gateway: str, tokens: Tokens
) -> None:
    anna = GraphQLClient(gateway, await tokens("anna"))
    day = sandbox.seed.now.date()
    window = {"from": (day - timedelta(days=29)).isoformat(), "to": day.isoformat()}
    tickets = [e["node"] for e in (await anna.query(TICKETS, window))["tickets"]["edges"]]
    insights = await ask(anna, sandbox)
    await anna.aclose()

    counted = [t for t in tickets if t["status"] != "CANCELLED"]
    lines = {line["priority"]: line for line in insights["sla"]}
    assert set(lines) == {t["priority"] for t in counted} | {"ALL"}
    for priority, line in lines.items():
        mine = [t for t in counted if priority in ("ALL", t["priority"])]
        met = sum(t["sla"]["status"] == "MET" for t in mine)
        breached = sum(t["sla"]["status"] == "BREACHED" for t in mine)
        assert (line["total"], line["met"], line["breached"]) == (len(mine), met, breached)
    seed_muster = [
        t
        for t in sandbox.seed.tickets
        if t.customer == MUSTER
        and t.stage != "cancelled"
        and t.created_at.date() >= day - timedelta(days=29)
    ]
    responses = [
        (t.first_response_at - t.created_at).total_seconds() / 60
        for t in seed_muster
        if t.first_response_at is not None
    ]
    assert lines["ALL"]["averageFirstResponseMinutes"] == round(sum(responses) / len(responses), 1)
    assert lines["ALL"]["metPercent"] == round(
        lines["ALL"]["met"] / (lines["ALL"]["met"] + lines["ALL"]["breached"]) * 100, 1
    )


async def test_who_sees_which_organization(sandbox: Sandbox, gateway: str, tokens: Tokens) -> None:
    anna = GraphQLClient(gateway, await tokens("anna"))
    await anna.query("{ orders { totalCount } }")  # Muster has usage now
    beat = GraphQLClient(gateway, await tokens("beat"))
    luc = GraphQLClient(gateway, await tokens("luc"))
    sandra = GraphQLClient(gateway, await tokens("sandra"))
    day = today(sandbox)
    try:
        forbidden = (await beat.post(INSIGHTS, {"from": day, "to": day})).json()
        assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        other = (await luc.post(INSIGHTS, {"from": day, "to": day, "org": MUSTER})).json()
        unknown = (await luc.post(INSIGHTS, {"from": day, "to": day, "org": "0000999999"})).json()
        assert other["errors"][0]["message"] == unknown["errors"][0]["message"]
        assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert (await ask(luc, sandbox))["organizations"] == [LUMIERE]
        # every organization whose members used the portal: luc's own questions count too
        assert (await ask(sandra, sandbox))["organizations"] == [MUSTER, LUMIERE]
        lumiere = await ask(sandra, sandbox, org=LUMIERE)
        assert lumiere["organizations"] == [LUMIERE]
        window_start = sandbox.seed.now.date() - timedelta(days=29)
        lumiere_tickets = [
            t
            for t in sandbox.seed.tickets
            if t.customer == LUMIERE
            and t.stage != "cancelled"
            and t.created_at.date() >= window_start
        ]
        assert lumiere["sla"][-1]["total"] == len(lumiere_tickets)
        backwards = (await anna.post(INSIGHTS, {"from": day, "to": "2000-01-01"})).json()
        assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    finally:
        for client in (anna, beat, luc, sandra):
            await client.aclose()
