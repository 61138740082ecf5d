"""Booking services on the read side, through the real gateway and the sandbox ERP: the
catalog at each organization's prices, free slots, the bookings connection with its filters,
and by ID. Expectations come from the seed."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sandbox.model import Seed, ServiceSlot
from sandbox.seed import LUMIERE, MAINTENANCE, MUSTER, TRAINING
from sandbox.server import Sandbox
from schema.common import GlobalId
from tests.stack import GraphQLClient

Client = Callable[..., Awaitable[GraphQLClient]]

OFFERINGS = """{ serviceOfferings { id name durationMinutes location perParticipant
  maxParticipants price { amount currencyCode } } }"""
SLOTS = """query($offering: ID!, $from: Date!, $to: Date!) {
  availableSlots(offeringId: $offering, from: $from, to: $to) {
    id start end capacityLeft offering { name } } }"""
BOOKINGS = """query($filter: BookingFilterInput, $first: Int, $after: String) {
  bookings(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id number title caseType status statusLabel start end
      sourceStatus { code label } participants { name email } cancellationReason
      offering { id name } slot { id } relatedOrder { number } source { system externalId } } }
  } }"""


def gid(type_name: str, external_id: str) -> str:
    return GlobalId(type_name, "erp", external_id).encode()


def seats_left(seed: Seed, slot: ServiceSlot) -> int:
    offering = next(o for o in seed.offerings if o.id == slot.offering_id)
    taken = sum(
        len(b.attendees) if offering.manage_capacity else 1
        for b in seed.bookings
        if b.slot_id == slot.id and b.state != "cancelled"
    )
    return slot.capacity - taken


def slot_range(seed: Seed, days: int) -> dict[str, str]:
    today = seed.now.date()
    return {"from": str(today - timedelta(days=14)), "to": str(today + timedelta(days=days))}


async def test_the_catalog_at_each_organizations_prices(
    client_for: Client, sandbox: Sandbox
) -> None:
    seed = sandbox.seed
    anna, mia = await client_for("anna"), await client_for("mia")
    muster = (await anna.query(OFFERINGS))["serviceOfferings"]
    assert [(o["id"], o["name"], o["durationMinutes"], o["maxParticipants"]) for o in muster] == [
        (gid("ServiceOffering", o.id), o.name, o.duration_minutes, o.max_attendees)
        for o in seed.offerings
    ]
    assert [o["price"] for o in muster] == [
        {"amount": str(o.prices["CHF"]), "currencyCode": "CHF"} for o in seed.offerings
    ]
    assert [(o["location"], o["perParticipant"]) for o in muster] == [
        ("ONSITE", False), ("REMOTE", True), ("PROVIDER_SITE", False)
    ]  # fmt: skip
    nordlicht = (await mia.query(OFFERINGS))["serviceOfferings"]
    assert [o["price"]["currencyCode"] for o in nordlicht] == ["EUR"] * len(seed.offerings)


async def test_a_specialist_sees_the_catalog_without_prices(client_for: Client) -> None:
    carla = await client_for("carla")
    body = (await carla.post(OFFERINGS)).json()
    offerings = body["data"]["serviceOfferings"]
    assert offerings
    assert all(o["price"] is None and o["name"] for o in offerings)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


async def test_free_slots_lie_ahead_and_have_seats(client_for: Client, sandbox: Sandbox) -> None:
    seed = sandbox.seed
    beat = await client_for("beat")
    for offering in (TRAINING, MAINTENANCE):
        variables = {"offering": gid("ServiceOffering", offering), **slot_range(seed, 30)}
        found = (await beat.query(SLOTS, variables))["availableSlots"]
        expected = sorted(
            (s for s in seed.slots if s.offering_id == offering and s.start > seed.now
             and seats_left(seed, s) > 0),
            key=lambda s: s.start,
        )  # fmt: skip
        assert [(s["id"], s["capacityLeft"]) for s in found] == [
            (gid("Slot", s.id), seats_left(seed, s)) for s in expected
        ]
        assert len(found) < len([s for s in seed.slots if s.offering_id == offering])
    course = next(s for s in seed.slots if s.offering_id == TRAINING and seats_left(seed, s) == 1)
    variables = {"offering": gid("ServiceOffering", TRAINING), **slot_range(seed, 30)}
    found = (await beat.query(SLOTS, variables))["availableSlots"]
    assert {"id": gid("Slot", course.id), "start": course.start.isoformat(),
            "end": course.end.isoformat(), "capacityLeft": 1,
            "offering": {"name": "Online-Schulung"}} in found  # fmt: skip


async def test_slot_ranges_and_offerings_are_checked(client_for: Client, sandbox: Sandbox) -> None:
    beat = await client_for("beat")
    today = sandbox.seed.now.date()
    training = gid("ServiceOffering", TRAINING)
    cases = [
        ({"offering": training, "from": str(today), "to": str(today - timedelta(days=1))},
         "BAD_USER_INPUT"),
        ({"offering": training, "from": str(today), "to": str(today + timedelta(days=62))},
         "BAD_USER_INPUT"),
        ({"offering": gid("ServiceOffering", "99999999"), "from": str(today), "to": str(today)},
         "NOT_FOUND"),
        ({"offering": gid("Order", "10000001"), "from": str(today), "to": str(today)},
         "NOT_FOUND"),
    ]  # fmt: skip
    for variables, code in cases:
        body = (await beat.post(SLOTS, variables)).json()
        assert body["data"] == {"availableSlots": None}, variables
        assert body["errors"][0]["extensions"]["code"] == code, variables


async def all_bookings(client: GraphQLClient, **filter_: Any) -> list[dict[str, Any]]:
    """Every booking, read two at a time with `after`."""
    found: list[dict[str, Any]] = []
    after = None
    for _ in range(20):
        page = (await client.query(BOOKINGS, {"filter": filter_, "first": 2, "after": after}))[
            "bookings"
        ]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(found)
            return found
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("more pages than bookings")


async def test_the_organizations_bookings(client_for: Client, sandbox: Sandbox) -> None:
    seed = sandbox.seed
    anna = await client_for("anna")
    found = await all_bookings(anna)
    mine = sorted((b for b in seed.bookings if b.customer == MUSTER),
                  key=lambda b: next(s.start for s in seed.slots if s.id == b.slot_id),
                  reverse=True)  # fmt: skip
    assert [b["number"] for b in found] == [b.number for b in mine]  # latest start first
    orders = {o.id: o.number for o in seed.orders}
    for booking, record in zip(found, mine, strict=True):
        assert booking["caseType"] == "BOOKING"
        assert booking["source"] == {"system": "erp", "externalId": record.id}
        assert booking["sourceStatus"]["code"] == record.state
        assert booking["slot"] == {"id": gid("Slot", record.slot_id)}
        assert booking["offering"]["id"] == gid("ServiceOffering", record.offering_id)
        assert booking["title"].startswith(booking["offering"]["name"])
        assert booking["participants"] == [{"name": a.name, "email": a.email}
                                           for a in record.attendees]  # fmt: skip
        related = orders[record.order_id] if record.order_id else None
        assert booking["relatedOrder"] == ({"number": related} if related else None)
        assert booking["cancellationReason"] == record.cancel_reason
    labels = {b["status"]: b["statusLabel"] for b in found}
    assert labels == {"CONFIRMED": "Bestätigt", "CANCELLED": "Storniert",
                      "COMPLETED": "Abgeschlossen", "REQUESTED": "Angefragt"}  # fmt: skip

    upcoming = await all_bookings(anna, upcoming=True)
    assert upcoming
    assert all(b["start"] > seed.now.isoformat() for b in upcoming)
    past = await all_bookings(anna, upcoming=False)
    assert len(upcoming) + len(past) == len(found)
    courses = await all_bookings(anna, offeringIds=[gid("ServiceOffering", TRAINING)])
    assert {b["offering"]["name"] for b in courses} == {"Online-Schulung"}
    confirmed = await all_bookings(anna, statuses=["CONFIRMED", "REQUESTED"])
    assert {b["status"] for b in confirmed} == {"CONFIRMED", "REQUESTED"}
    [searched] = await all_bookings(anna, search=mine[0].number.lower())
    assert searched["number"] == mine[0].number


async def test_bookings_by_id_node_and_among_the_cases(
    client_for: Client, sandbox: Sandbox
) -> None:
    seed = sandbox.seed
    anna, luc = await client_for("anna"), await client_for("luc")
    ours = next(b for b in seed.bookings if b.customer == MUSTER)
    theirs = next(b for b in seed.bookings if b.customer == LUMIERE)
    query = "query($id: ID!) { booking(id: $id) { id number statusLabel } }"
    found = (await anna.query(query, {"id": gid("Booking", ours.id)}))["booking"]
    assert found["number"] == ours.number
    french = (await luc.query(query, {"id": gid("Booking", theirs.id)}))["booking"]
    assert french["statusLabel"] == "Confirmée"
    foreign = (await anna.post(query, {"id": gid("Booking", theirs.id)})).json()
    unknown = (await anna.post(query, {"id": gid("Booking", "99999999")})).json()
    assert (
        foreign["errors"][0]["extensions"]
        == unknown["errors"][0]["extensions"]
        == {"code": "NOT_FOUND"}
    )
    nodes = await anna.query(
        """query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }""",
        {"ids": [gid("Booking", ours.id), gid("Slot", ours.slot_id),
                 gid("ServiceOffering", ours.offering_id), gid("Booking", theirs.id)]},
    )  # fmt: skip
    assert [n["__typename"] if n else None for n in nodes["nodes"]] == [
        "Booking", "Slot", "ServiceOffering", None
    ]  # fmt: skip
    cases = await anna.query("""{ cases(first: 100, filter: {types: [BOOKING]}) {
        totalCount edges { node { id caseType } } } }""")
    assert cases["cases"]["totalCount"] == len([b for b in seed.bookings if b.customer == MUSTER])
