"""The read side of the graph through the real gateway and sandbox: every field, the
filters, paging with stable cursors, and `node(id:)`. Expectations come from the seed."""

from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.seed import MUSTER
from sandbox.server import Sandbox
from tests.stack import GraphQLClient

Client = Callable[..., Awaitable[GraphQLClient]]

ORDER_FIELDS = """
  id number title caseType statusLabel updatedAt customerReference orderedAt
  source { system externalId }
  requestedDeliveryDate status deliveryStatus invoiceStatus blockReason
  sourceStatus { code label }
  amountUntaxed { amount currencyCode } amountTax { amount currencyCode }
  total { amount currencyCode }
  lines { position productCode description quantity deliveredQuantity invoicedQuantity
          unitPrice { amount currencyCode } total { amount currencyCode } }
  deliveries { id number status statusLabel scheduledDate shippedAt deliveredAt carrier
               trackingNumber lines { position quantity } sourceStatus { code } }
  invoices { id number }
  quote { id number status }
  documents { id title documentType }
"""


async def all_edges(client: GraphQLClient, field: str, selection: str, **args: Any) -> list[Any]:
    """Every node of a connection, read page by page with `after`."""
    nodes: list[Any] = []
    after = None
    for _ in range(50):
        query = f"""query($after: String, $filter: {args.get("filter_type", "OrderFilterInput")}) {{
            {field}(first: 7, after: $after, filter: $filter) {{
              totalCount pageInfo {{ hasNextPage endCursor }}
              edges {{ cursor node {{ {selection} }} }}
            }} }}"""
        page = (await client.query(query, {"after": after, "filter": args.get("filter")}))[field]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(nodes) == page["totalCount"]
            return nodes
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("paging did not end")


async def test_orders_page_through_every_order_of_the_tenant(
    sandbox: Sandbox, client_for: Client
) -> None:
    anna = await client_for("anna")
    nodes = await all_edges(anna, "orders", "number")
    expected = {order.number for order in sandbox.seed.orders if order.customer == MUSTER}
    assert [node["number"] for node in nodes]
    assert {n["number"] for n in nodes} == expected
    assert len(nodes) == len(expected)  # no duplicates across pages


async def test_cursors_are_stable_and_foreign_cursors_are_refused(client_for: Client) -> None:
    anna = await client_for("anna")
    query = """query($after: String) {
        orders(first: 3, after: $after) { edges { cursor node { number } } } }"""
    first = (await anna.query(query))["orders"]["edges"]
    again = (await anna.query(query))["orders"]["edges"]
    assert first == again
    second = (await anna.query(query, {"after": first[0]["cursor"]}))["orders"]["edges"]
    assert [e["node"]["number"] for e in second[:2]] == [e["node"]["number"] for e in first[1:]]

    tickets = (await anna.query("{ tickets(first: 1) { edges { cursor } } }"))["tickets"]
    for bad in (tickets["edges"][0]["cursor"], "garbage", ""):
        body = (await anna.post(query, {"after": bad})).json()
        assert body["data"] == {"orders": None}
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
    body = (await anna.post("{ orders(first: 101) { totalCount } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_every_order_field_resolves(sandbox: Sandbox, client_for: Client) -> None:
    anna = await client_for("anna")
    data = await anna.query(f"{{ orders(first: 30) {{ edges {{ node {{ {ORDER_FIELDS} }} }} }} }}")
    orders = {edge["node"]["number"]: edge["node"] for edge in data["orders"]["edges"]}
    in_progress = next(o for o in orders.values() if o["status"] == "IN_PROGRESS")
    assert in_progress["deliveryStatus"] == "PARTIALLY_DELIVERED"
    assert {d["status"] for d in in_progress["deliveries"]} == {"SHIPPED", "PLANNED"}
    shipped = next(d for d in in_progress["deliveries"] if d["status"] == "SHIPPED")
    assert shipped["trackingNumber"]
    assert shipped["carrier"]
    delivered = [line for line in in_progress["lines"] if line["deliveredQuantity"] != "0"]
    assert 0 < len(delivered) < len(in_progress["lines"])
    accepted = [o for o in orders.values() if o["quote"]]
    assert accepted
    assert all(o["quote"]["status"] == "ACCEPTED" for o in accepted)
    assert any(o["invoices"] for o in orders.values())
    assert any(o["documents"] for o in orders.values())
    for order in orders.values():
        line_sum = sum(float(line["total"]["amount"]) for line in order["lines"])
        assert abs(line_sum - float(order["amountUntaxed"]["amount"])) < 0.01
        assert order["caseType"] == "ORDER"
        assert order["source"]["system"] == "erp"
        seeded = next(o for o in sandbox.seed.orders if o.id == order["source"]["externalId"])
        assert seeded.number == order["number"]
        assert order["statusLabel"]


async def test_order_filters(sandbox: Sandbox, client_for: Client) -> None:
    anna = await client_for("anna")
    every = await all_edges(anna, "orders", "number status customerReference orderedAt")
    for status in {o["status"] for o in every}:
        found = await all_edges(anna, "orders", "number status", filter={"statuses": [status]})
        assert {o["number"] for o in found} == {o["number"] for o in every if o["status"] == status}
    target = every[3]
    by_number = await all_edges(anna, "orders", "number", filter={"search": target["number"]})
    assert [o["number"] for o in by_number] == [target["number"]]
    by_reference = await all_edges(
        anna, "orders", "number", filter={"customerReference": target["customerReference"]}
    )
    assert target["number"] in {o["number"] for o in by_reference}
    day = target["orderedAt"][:10]
    in_range = await all_edges(
        anna, "orders", "number orderedAt", filter={"dateRange": {"start": day, "end": day}}
    )
    assert target["number"] in {o["number"] for o in in_range}
    assert all(o["orderedAt"][:10] == day for o in in_range)


async def test_invoices_with_payments_credit_notes_and_overdue(
    sandbox: Sandbox, client_for: Client
) -> None:
    daniel = await client_for("daniel", mfa=True)  # nextAction acts on a payment: step-up
    selection = """id number kind status isOverdue daysOverdue dueDate dunningLevel
        total { amount } amountPaid { amount } amountResidual { amount } balance { amount }
        paymentReference referenceType creditNoteReason settlement
        payments { id status method amount { amount currencyCode }
                   allocations { invoiceId amount { amount } }
                   refunds { status amount { amount } } failureCode nextAction { redirectUrl } }
        creditNotes { number kind settlement } appliedTo { number }
        document { title latestVersion { mimeType } } documents { id }"""
    every = await all_edges(daniel, "invoices", selection, filter_type="InvoiceFilterInput")
    seeded = {i.number for i in sandbox.seed.invoices if i.customer == MUSTER}
    assert {i["number"] for i in every} == seeded
    overdue = await all_edges(
        daniel,
        "invoices",
        "number daysOverdue",
        filter_type="InvoiceFilterInput",
        filter={"overdue": True},
    )
    assert {i["number"] for i in overdue} == {i["number"] for i in every if i["isOverdue"]}
    assert overdue
    assert all(i["daysOverdue"] > 0 for i in overdue)
    partially = next(
        i
        for i in every
        if i["status"] == "PARTIALLY_PAID"
        and i["payments"]
        and all(p["status"] == "SUCCEEDED" for p in i["payments"])
    )
    paid = sum(
        float(a["amount"]["amount"])
        for p in partially["payments"]
        for a in p["allocations"]
        if a["invoiceId"] == partially["id"]
    )
    assert abs(paid - float(partially["amountPaid"]["amount"])) < 0.01
    reversed_invoice = next(i for i in every if i["status"] == "REVERSED")
    assert [note["kind"] for note in reversed_invoice["creditNotes"]] == ["CREDIT_NOTE"]
    notes = [i for i in every if i["kind"] == "CREDIT_NOTE"]
    assert notes
    assert all(note["appliedTo"] for note in notes)
    assert all(i["balance"] == i["amountResidual"] for i in every)
    assert any(p["failureCode"] == "card_declined" for i in every for p in i["payments"])
    assert any(p["nextAction"] for i in every for p in i["payments"])
    assert any(
        i["document"] and i["document"]["latestVersion"]["mimeType"] == "application/pdf"
        for i in every
    )


async def test_account_balance_sums_the_open_items(client_for: Client) -> None:
    daniel = await client_for("daniel")
    data = await daniel.query("""{
        accountBalance { totalOpen { amount currencyCode } totalOverdue { amount }
                         dueWithin30Days { amount } unappliedCredit { amount }
                         creditLimit { amount } }
        invoices(first: 100) {
          edges { node { kind status isOverdue amountResidual { amount } } } } }""")
    balance = data["accountBalance"]
    invoices = [edge["node"] for edge in data["invoices"]["edges"]]
    open_invoices = [
        i
        for i in invoices
        if i["kind"] == "INVOICE"
        and i["amountResidual"]["amount"] != "0.00"
        and i["status"] not in ("CANCELLED",)
    ]
    assert float(balance["totalOpen"]["amount"]) == round(
        sum(float(i["amountResidual"]["amount"]) for i in open_invoices), 2
    )
    assert float(balance["totalOverdue"]["amount"]) == round(
        sum(float(i["amountResidual"]["amount"]) for i in open_invoices if i["isOverdue"]), 2
    )
    assert float(balance["unappliedCredit"]["amount"]) > 0
    assert balance["totalOpen"]["currencyCode"] == "CHF"


async def test_tickets_messages_and_sla(sandbox: Sandbox, client_for: Client) -> None:
    anna = await client_for("anna")
    selection = """id number subject status priority category channel createdBy assignee
        satisfactionRating statusLabel
        sla { status percentElapsed firstResponseDueAt resolutionDueAt firstRespondedAt resolvedAt }
        messages { authorName authorIsProvider body createdAt } lastMessage { body }
        relatedCase { __typename number caseType }"""
    every = await all_edges(anna, "tickets", selection, filter_type="TicketFilterInput")
    assert {t["number"] for t in every} == {
        t.number for t in sandbox.seed.tickets if t.customer == MUSTER
    }
    internal = [c.body for c in sandbox.seed.comments if c.internal]
    serialized = str(every)
    assert internal
    assert not any(body in serialized for body in internal)
    assert {t["sla"]["status"] for t in every} >= {
        "ON_TRACK",
        "AT_RISK",
        "PAUSED",
        "BREACHED",
        "MET",
    }
    for ticket in every:
        if ticket["messages"]:
            assert ticket["lastMessage"]["body"] == ticket["messages"][-1]["body"]
    related = {t["relatedCase"]["caseType"] for t in every if t["relatedCase"]}
    assert related == {"ORDER", "INVOICE"}
    open_only = await all_edges(
        anna,
        "tickets",
        "status",
        filter_type="TicketFilterInput",
        filter={"statuses": ["NEW", "IN_PROGRESS"]},
    )
    assert open_only
    assert {t["status"] for t in open_only} <= {"NEW", "IN_PROGRESS"}


async def test_documents_with_versions_and_downloads(sandbox: Sandbox, client_for: Client) -> None:
    anna = await client_for("anna")
    selection = """id title documentType audience tags uploadedBy mimeType size downloadUrl
        latestVersion { versionLabel isLatest } versions { totalCount edges { node {
        id versionLabel major minor isMajor isLatest checkinComment createdBy createdAt mimeType
        filename size contentHash downloadUrl renditions { kind status } } } }"""
    every = await all_edges(anna, "documents", selection, filter_type="DocumentFilterInput")
    seeded = {d.title for d in sandbox.seed.documents if d.customer == MUSTER and not d.deleted}
    assert {d["title"] for d in every} == seeded
    drawing = next(d for d in every if d["versions"]["totalCount"] == 3)
    versions = [edge["node"] for edge in drawing["versions"]["edges"]]
    assert [v["versionLabel"] for v in versions] == ["2.0", "1.1", "1.0"]
    assert [(v["major"], v["minor"]) for v in versions] == [(2, 0), (1, 1), (1, 0)]
    assert drawing["latestVersion"]["versionLabel"] == "2.0"
    version = versions[1]
    download = await anna.http.get(version["downloadUrl"])
    assert download.status_code == 200
    seed_doc = next(d for d in sandbox.seed.documents if d.title == drawing["title"])
    assert download.content == next(v.content for v in seed_doc.versions if v.label == "1.1")
    contracts = await all_edges(
        anna,
        "documents",
        "documentType",
        filter_type="DocumentFilterInput",
        filter={"types": ["CONTRACT"]},
    )
    assert contracts
    assert all(d["documentType"] == "CONTRACT" for d in contracts)


async def test_quotes_hide_drafts_and_derive_expiry(sandbox: Sandbox, client_for: Client) -> None:
    beat = await client_for("beat")
    selection = (
        "number status validUntil lines { description } order { number } documents { title }"
    )
    every = await all_edges(beat, "quotes", selection, filter_type="QuoteFilterInput")
    visible = {q.number for q in sandbox.seed.quotes if q.customer == MUSTER and q.state != "draft"}
    assert {q["number"] for q in every} == visible
    assert {q["status"] for q in every} == {"SENT", "ACCEPTED", "DECLINED", "EXPIRED", "CANCELLED"}
    expired = await all_edges(
        beat,
        "quotes",
        "number validUntil",
        filter_type="QuoteFilterInput",
        filter={"statuses": ["EXPIRED"]},
    )
    assert expired
    assert all(q["validUntil"] < str(sandbox.seed.now.date()) for q in expired)


async def test_cases_merge_the_systems_newest_first(client_for: Client) -> None:
    anna = await client_for("anna")
    data = await anna.query("""{ cases(first: 100) { totalCount edges { node {
        __typename number title caseType statusLabel updatedAt } } } }""")
    cases = [edge["node"] for edge in data["cases"]["edges"]]
    assert {case["caseType"] for case in cases} == {
        "QUOTE", "ORDER", "INVOICE", "TICKET", "BOOKING"
    }  # fmt: skip
    stamps = [case["updatedAt"] for case in cases]
    assert stamps == sorted(stamps, reverse=True)
    filtered = await anna.query("""{ cases(filter: {types: [TICKET], search: "Zeichnung"}) {
        edges { node { caseType title } } } }""")
    found = [edge["node"] for edge in filtered["cases"]["edges"]]
    assert found
    assert all(c["caseType"] == "TICKET" and "Zeichnung" in c["title"] for c in found)


async def test_viewer_and_organization(client_for: Client) -> None:
    anna = await client_for("anna")
    data = await anna.query("""{ viewer { user { username name email locale mfaEnabled } roles
        organizationNumbers isServiceAccount organization { id number kind legalName vatId
        defaultLocale currency creditStatus invoiceDeliveryChannel creditLimit { amount }
        addresses { type street houseNumber postalCode city countryCode isDefault }
        contacts { firstName lastName email jobTitle } } } }""")
    viewer = data["viewer"]
    assert viewer["user"]["username"] == "anna"
    assert viewer["user"]["mfaEnabled"] is False
    assert set(viewer["roles"]) >= {"admin", "purchasing"}
    org = viewer["organization"]
    assert org["number"] == MUSTER
    assert org["kind"] == "COMPANY"
    assert {a["type"] for a in org["addresses"]} == {"BILLING", "SHIPPING"}
    assert any(c["lastName"] == "Keller" for c in org["contacts"])


async def test_node_resolves_every_type_by_its_global_id(client_for: Client) -> None:
    anna = await client_for("anna")
    data = await anna.query("""{
        orders(first: 30) {
          edges { node { id deliveries { id } invoices { id payments { id } } } } }
        tickets(first: 1) { edges { node { id } } }
        quotes(first: 1) { edges { node { id } } }
        documents(first: 1) { edges { node { id } } } }""")
    orders = [edge["node"] for edge in data["orders"]["edges"]]
    ids = [
        orders[0]["id"],
        next(d["id"] for o in orders for d in o["deliveries"]),
        next(i["id"] for o in orders for i in o["invoices"]),
        next(p["id"] for o in orders for i in o["invoices"] for p in i["payments"]),
        data["tickets"]["edges"][0]["node"]["id"],
        data["quotes"]["edges"][0]["node"]["id"],
        data["documents"]["edges"][0]["node"]["id"],
    ]
    for node_id in ids:
        found = await anna.query(
            "query($id: ID!) { node(id: $id) { id __typename } }", {"id": node_id}
        )
        assert found["node"]["id"] == node_id
    many = await anna.query(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [*ids, "bogus"]}
    )
    assert [n["id"] if n else None for n in many["nodes"]] == [*ids, None]
