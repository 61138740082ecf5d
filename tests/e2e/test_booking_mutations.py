"""Booking services end to end: `createBooking`, `rescheduleBooking` and `cancelBooking`
through the real gateway into the sandbox ERP (SOAP) and back out through queries, with user
errors, denied roles, another organization's IDs, idempotency keys in Redis, the race for a
last seat, and the provider's changes reaching subscribers. These tests write, so they run on
a sandbox of their own."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sandbox.model import Booking
from sandbox.seed import ACCEPTANCE, MAINTENANCE, MUSTER, TICINO, TRAINING
from sandbox.server import Sandbox
from schema.common import GlobalId
from tests.live_stack import advance, live_gateway, open_ticket
from tests.stack import GraphQLClient, Tokens, running_gateway, without_sources
from tests.ws_client import ws_client

BOOKING_FIELDS = """booking { id number status statusLabel caseType start end
  participants { name email } offering { name } slot { id capacityLeft } }
  userErrors { field code message }"""
CREATE = f"""mutation($input: CreateBookingInput!) {{
  createBooking(input: $input) {{ {BOOKING_FIELDS} }} }}"""
RESCHEDULE = f"""mutation($input: RescheduleBookingInput!) {{
  rescheduleBooking(input: $input) {{ {BOOKING_FIELDS} }} }}"""
CANCEL = f"""mutation($input: CancelBookingInput!) {{
  cancelBooking(input: $input) {{ {BOOKING_FIELDS} cancellationReason: booking {{
    cancellationReason }} }} }}"""
SLOTS = """query($offering: ID!, $from: Date!, $to: Date!) {
  availableSlots(offeringId: $offering, from: $from, to: $to) { id start capacityLeft } }"""
SLOT = "query($id: ID!) { node(id: $id) { ... on Slot { capacityLeft } } }"
BOOKING = "query($id: ID!) { booking(id: $id) { id status start slot { id capacityLeft } } }"
BOOKINGS = "{ bookings(first: 100) { totalCount edges { node { id status } } } }"
CASES = """{ cases(first: 100, filter: {types: [BOOKING]}) {
  edges { node { id caseType statusLabel ... on Booking { status } } } } }"""


@pytest.fixture(scope="module")
def own_gateway(own_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(own_sandbox) as url:
        yield url


@pytest.fixture
async def beat(own_gateway: str, own_tokens: Tokens) -> AsyncIterator[GraphQLClient]:
    client = GraphQLClient(own_gateway, await own_tokens("beat"))
    yield client
    await client.aclose()


def gid(type_name: str, external_id: str) -> str:
    return GlobalId(type_name, "erp", external_id).encode()


def new_booking(slot_id: str, *names: str, key: str | None = None) -> dict[str, Any]:
    participants = [{"name": name, "email": f"{name.split()[0].lower()}@example.ch"}
                    for name in names]  # fmt: skip
    return {"input": {"slotId": slot_id, "participants": participants,
                      "idempotencyKey": key or str(uuid.uuid4())}}  # fmt: skip


def moving(booking_id: str, slot_id: str) -> dict[str, Any]:
    key = str(uuid.uuid4())
    return {"input": {"bookingId": booking_id, "slotId": slot_id, "idempotencyKey": key}}


def cancelling(booking_id: str, reason: str | None = None) -> dict[str, Any]:
    key = str(uuid.uuid4())
    return {"input": {"bookingId": booking_id, "reason": reason, "idempotencyKey": key}}


async def free_slots(client: GraphQLClient, sandbox: Sandbox, offering: str) -> list[Any]:
    today = sandbox.seed.now.date()
    variables = {"offering": gid("ServiceOffering", offering), "from": str(today),
                 "to": str(today + timedelta(days=14))}  # fmt: skip
    found: list[Any] = (await client.query(SLOTS, variables))["availableSlots"]
    return found


def erp_writes(sandbox: Sandbox) -> dict[str, int]:
    counts = httpx.get(f"{sandbox.url('erp')}/_stats").json()["by_operation"]
    return {name: n for name, n in counts.items() if name.endswith("ServiceBooking")}


def seeded(sandbox: Sandbox, customer: str, offering: str, state: str) -> Booking:
    return next(b for b in sandbox.seed.bookings
                if (b.customer, b.offering_id, b.state) == (customer, offering, state))  # fmt: skip


def codes(result: dict[str, Any]) -> list[tuple[list[str], str]]:
    assert result["booking"] is None
    assert all(error["message"] for error in result["userErrors"])
    return [(error["field"], error["code"]) for error in result["userErrors"]]


async def test_book_move_and_cancel_a_visit(beat: GraphQLClient, own_sandbox: Sandbox) -> None:
    first, second = (await free_slots(beat, own_sandbox, MAINTENANCE))[:2]
    await beat.query(BOOKINGS)  # warm the caches the mutations must invalidate
    created = (await beat.query(CREATE, new_booking(first["id"], "Beat Frei", "Eva Graf")))[
        "createBooking"
    ]
    assert created["userErrors"] == []
    booking = created["booking"]
    assert (booking["status"], booking["statusLabel"], booking["caseType"]) == (
        "REQUESTED", "Angefragt", "BOOKING"
    )  # fmt: skip
    assert booking["start"] == first["start"]
    assert booking["participants"] == [{"name": "Beat Frei", "email": "beat@example.ch"},
                                       {"name": "Eva Graf", "email": "eva@example.ch"}]  # fmt: skip
    assert (booking["offering"]["name"], booking["slot"]) == (
        "Wartung vor Ort", {"id": first["id"], "capacityLeft": 0}
    )  # fmt: skip
    listed = (await beat.query(BOOKINGS))["bookings"]["edges"]
    assert {"node": {"id": booking["id"], "status": "REQUESTED"}} in listed
    assert first["id"] not in [s["id"] for s in await free_slots(beat, own_sandbox, MAINTENANCE)]

    moved = (await beat.query(RESCHEDULE, moving(booking["id"], second["id"])))["rescheduleBooking"]
    assert moved["userErrors"] == []
    assert (moved["booking"]["status"], moved["booking"]["start"]) == (
        "RESCHEDULED", second["start"]
    )  # fmt: skip
    read = (await beat.query(BOOKING, {"id": booking["id"]}))["booking"]
    assert read["slot"] == {"id": second["id"], "capacityLeft": 0}
    free = [s["id"] for s in await free_slots(beat, own_sandbox, MAINTENANCE)]
    assert first["id"] in free
    assert second["id"] not in free

    cancel = cancelling(booking["id"], "  Maschine steht still  ")
    cancelled = (await beat.query(CANCEL, cancel))["cancelBooking"]
    assert cancelled["userErrors"] == []
    assert cancelled["booking"]["status"] == "CANCELLED"
    assert cancelled["cancellationReason"] == {"cancellationReason": "Maschine steht still"}
    assert second["id"] in [s["id"] for s in await free_slots(beat, own_sandbox, MAINTENANCE)]
    cases = (await beat.query(CASES))["cases"]["edges"]
    assert {"id": booking["id"], "caseType": "BOOKING", "statusLabel": "Storniert",
            "status": "CANCELLED"} in [edge["node"] for edge in cases]  # fmt: skip
    assert erp_writes(own_sandbox) == {
        "CreateServiceBooking": 1, "RescheduleServiceBooking": 1, "CancelServiceBooking": 1
    }  # fmt: skip


async def test_refused_inputs_are_user_errors_and_write_nothing(
    beat: GraphQLClient, own_sandbox: Sandbox
) -> None:
    seed = own_sandbox.seed
    visit = (await free_slots(beat, own_sandbox, MAINTENANCE))[0]["id"]
    course = (await free_slots(beat, own_sandbox, TRAINING))[-1]["id"]
    booked = seeded(own_sandbox, MUSTER, MAINTENANCE, "booked")
    past = next(s.id for s in seed.slots if s.start < seed.now)
    slot, input_ = ["input", "slotId"], ["input", "bookingId"]
    creations = {
        "bad key": (new_booking(visit, "A B", key="x"), [(["input", "idempotencyKey"], "INVALID")]),
        "nobody": ({"input": {**new_booking(visit)["input"], "participants": []}},
                   [(["input", "participants"], "INVALID")]),
        "bad e-mail": ({"input": {**new_booking(visit)["input"],
                                  "participants": [{"name": "A", "email": "a@b"}]}},
                       [(["input", "participants", "0", "email"], "INVALID")]),
        "twice": (new_booking(visit, "Eva Graf", "Eva Graf"),
                  [(["input", "participants", "1", "email"], "DUPLICATE")]),
        "no name": ({"input": {**new_booking(visit)["input"],
                               "participants": [{"name": "   "}]}},
                    [(["input", "participants", "0", "name"], "INVALID")]),
        "not an ID": (new_booking("bm9wZQ", "A B"), [(slot, "NOT_FOUND")]),
        "an order": (new_booking(gid("Order", "10000001"), "A B"), [(slot, "NOT_FOUND")]),
        "unknown": (new_booking(gid("Slot", "99999999"), "A B"), [(slot, "NOT_FOUND")]),
        "past": (new_booking(gid("Slot", past), "A B"), [(slot, "SLOT_IN_PAST")]),
        "full": (new_booking(gid("Slot", booked.slot_id), "A B"), [(slot, "SLOT_FULL")]),
        "crowd": (new_booking(visit, "A B", "C D", "E F", "G H"),
                  [(["input", "participants"], "TOO_MANY_PARTICIPANTS")]),
    }  # fmt: skip
    before = erp_writes(own_sandbox)
    for name, (variables, expected) in creations.items():
        result = (await beat.query(CREATE, variables))["createBooking"]
        assert codes(result) == expected, name

    cancelled = gid("Booking", seeded(own_sandbox, MUSTER, MAINTENANCE, "cancelled").id)
    attended = gid("Booking", seeded(own_sandbox, MUSTER, MAINTENANCE, "attended").id)
    mine = gid("Booking", booked.id)
    changes = [
        (RESCHEDULE, moving(mine, course), [(slot, "OFFERING_MISMATCH")]),
        (RESCHEDULE, moving(mine, gid("Slot", booked.slot_id)), [(slot, "SAME_SLOT")]),
        (RESCHEDULE, moving(cancelled, visit), [(input_, "BOOKING_NOT_CHANGEABLE")]),
        (RESCHEDULE, moving(mine, gid("Slot", "99999999")), [(slot, "NOT_FOUND")]),
        (CANCEL, cancelling(attended), [(input_, "BOOKING_NOT_CHANGEABLE")]),
        (CANCEL, cancelling(gid("Booking", "99999999")), [(input_, "NOT_FOUND")]),
        (CANCEL, cancelling(mine, "x" * 1001), [(["input", "reason"], "TOO_LONG")]),
    ]
    for mutation, variables, expected in changes:
        body = await beat.query(mutation, variables)
        assert codes(next(iter(body.values()))) == expected, variables
    assert erp_writes(own_sandbox) == before  # the gateway refused them all itself


async def test_a_begun_booking_is_no_longer_changed(
    own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    booked = seeded(own_sandbox, MUSTER, MAINTENANCE, "booked")
    start = next(s.start for s in own_sandbox.seed.slots if s.id == booked.slot_id)
    later = start + timedelta(minutes=5)
    with running_gateway(own_sandbox, clock=lambda: later) as url:
        client = GraphQLClient(url, await own_tokens("carla"))
        result = await client.query(CANCEL, cancelling(gid("Booking", booked.id)))
        await client.aclose()
    assert codes(result["cancelBooking"]) == [(["input", "bookingId"], "BOOKING_ALREADY_STARTED")]
    assert booked.state == "booked"


async def test_roles_without_bookings_write_are_denied(
    own_gateway: str, own_tokens: Tokens, own_sandbox: Sandbox
) -> None:
    booked = gid("Booking", seeded(own_sandbox, MUSTER, MAINTENANCE, "booked").id)
    visit = gid("Slot", own_sandbox.seed.slots[-1].id)
    for user in ("daniel", "sandra"):
        client = GraphQLClient(own_gateway, await own_tokens(user))
        client.http.headers["X-Portal-Organization"] = MUSTER
        for mutation, variables in ((CREATE, new_booking(visit, "A B")),
                                    (RESCHEDULE, moving(booked, visit)),
                                    (CANCEL, cancelling(booked))):  # fmt: skip
            body = (await client.post(mutation, variables)).json()
            assert body["data"] is None, user
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", user
        await client.aclose()


async def test_another_organizations_booking_is_not_found(
    own_gateway: str, own_tokens: Tokens, own_sandbox: Sandbox
) -> None:
    theirs = seeded(own_sandbox, TICINO, TRAINING, "booked")
    course = gid("Slot", next(s.id for s in own_sandbox.seed.slots[::-1]
                              if s.offering_id == TRAINING))  # fmt: skip
    anna = GraphQLClient(own_gateway, await own_tokens("anna"))  # acting for Muster
    answers = [
        [
            (await anna.query(CANCEL, cancelling(booking_id)))["cancelBooking"],
            (await anna.query(RESCHEDULE, moving(booking_id, course)))["rescheduleBooking"],
        ]
        for booking_id in (gid("Booking", theirs.id), gid("Booking", "99999999"))
    ]
    await anna.aclose()
    foreign, unknown = answers
    assert foreign == unknown
    assert [codes(result) for result in foreign] == [[(["input", "bookingId"], "NOT_FOUND")]] * 2
    assert theirs.state == "booked"


async def test_one_key_books_once_across_concurrent_retries_and_a_restart(
    own_sandbox: Sandbox, own_tokens: Tokens, redis_url: str, redis_prefix: str
) -> None:
    token = await own_tokens("carla")
    shared: dict[str, Any] = {"redis_url": redis_url, "cache_prefix": redis_prefix}
    with running_gateway(own_sandbox, **shared) as url:
        client = GraphQLClient(url, token)
        visit = (await free_slots(client, own_sandbox, MAINTENANCE))[-2]["id"]
        variables = new_booking(visit, "Carla Meier")
        before = erp_writes(own_sandbox).get("CreateServiceBooking", 0)
        answers = await asyncio.gather(*(client.post(CREATE, variables) for _ in range(12)))
        await client.aclose()
    bodies = [without_sources(answer.json()) for answer in answers]
    assert bodies[0]["data"]["createBooking"]["booking"]["id"]
    assert all(body == bodies[0] for body in bodies)
    assert erp_writes(own_sandbox)["CreateServiceBooking"] == before + 1

    with running_gateway(own_sandbox, **shared) as url:  # a new process, the same Redis
        client = GraphQLClient(url, token)
        replayed = without_sources((await client.post(CREATE, variables)).json())
        other = {"input": {**variables["input"], "participants": [{"name": "Beat Frei"}]}}
        refused = (await client.query(CREATE, other))["createBooking"]
        await client.aclose()
    assert (
        replayed["data"]["createBooking"]["booking"]["id"]
        == (bodies[0]["data"]["createBooking"]["booking"]["id"])
    )
    assert erp_writes(own_sandbox)["CreateServiceBooking"] == before + 1
    assert codes(refused) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]


async def test_the_last_seat_of_a_course_goes_to_exactly_one(
    beat: GraphQLClient, own_sandbox: Sandbox
) -> None:
    [course] = [s for s in await free_slots(beat, own_sandbox, TRAINING) if s["capacityLeft"] == 1]
    racers = [new_booking(course["id"], f"Teilnehmer {n}") for n in range(6)]
    answers = await asyncio.gather(*(beat.query(CREATE, variables) for variables in racers))
    results = [answer["createBooking"] for answer in answers]
    won = [r["booking"] for r in results if r["booking"] is not None]
    assert len(won) == 1
    assert won[0]["slot"] == {"id": course["id"], "capacityLeft": 0}
    lost = [codes(r) for r in results if r["booking"] is None]
    assert lost == [[(["input", "slotId"], "SLOT_FULL")]] * 5
    assert course["id"] not in [s["id"] for s in await free_slots(beat, own_sandbox, TRAINING)]


async def test_the_erp_refuses_a_seat_the_gateways_cache_still_offers(
    beat: GraphQLClient, own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    visit = (await free_slots(beat, own_sandbox, MAINTENANCE))[-1]
    cached = await beat.query(SLOT, {"id": visit["id"]})  # the slot is now cached as free
    assert cached == {"node": {"capacityLeft": 1}}
    with running_gateway(own_sandbox) as other_url:  # another replica, its own cache
        marco = GraphQLClient(other_url, await own_tokens("marco"))
        taken = await marco.query(CREATE, new_booking(visit["id"], "Marco Bernasconi"))
        await marco.aclose()
    assert taken["createBooking"]["userErrors"] == []
    before = erp_writes(own_sandbox)["CreateServiceBooking"]
    late = (await beat.query(CREATE, new_booking(visit["id"], "Beat Frei")))["createBooking"]
    assert codes(late) == [(["input", "slotId"], "SLOT_FULL")]
    assert erp_writes(own_sandbox)["CreateServiceBooking"] == before + 1  # the ERP said no
    assert visit["id"] not in [s["id"] for s in await free_slots(beat, own_sandbox, MAINTENANCE)]


async def test_a_document_belongs_to_a_booking(beat: GraphQLClient, own_sandbox: Sandbox) -> None:
    booking = gid("Booking", seeded(own_sandbox, MUSTER, MAINTENANCE, "booked").id)
    upload = """mutation($input: UploadDocumentInput!) { uploadDocument(input: $input) {
      document { id title } userErrors { code } } }"""
    variables = {"input": {"subjectId": booking, "upload": None, "documentType": "TECHNICAL",
                           "audience": "TECHNICAL", "title": "Zugangsplan Halle 3"}}  # fmt: skip
    pdf = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"
    response = await beat.post_files(
        upload, variables, {"input.upload": ("zugang.pdf", pdf, "application/pdf")}
    )
    uploaded = response.json()["data"]["uploadDocument"]
    assert uploaded["userErrors"] == []
    documents = await beat.query(
        "query($id: ID!) { booking(id: $id) { documents { id title } } }", {"id": booking}
    )
    assert documents["booking"]["documents"] == [uploaded["document"]]


async def test_the_providers_confirmation_reaches_subscribers_with_bookings_read(
    own_sandbox: Sandbox, own_tokens: Tokens
) -> None:
    """The ERP pushes nothing: its change log is polled. Anna gets the confirmed booking;
    Daniel (accounting, no bookings:read) gets the next case he may see first."""
    requested = seeded(own_sandbox, MUSTER, ACCEPTANCE, "request")
    ticket = open_ticket(own_sandbox.seed, MUSTER)
    query = """subscription { caseUpdated { __typename number
      ... on Booking { status statusLabel } } }"""
    variables = {"id": gid("Booking", requested.id)}
    with live_gateway(own_sandbox) as url:
        client = GraphQLClient(url, await own_tokens("anna"))
        before = (await client.query(BOOKING, variables))["booking"]  # now cached
        async with (
            ws_client(url, await own_tokens("anna")) as anna,
            ws_client(url, await own_tokens("daniel")) as daniel,
        ):
            await anna.start("1", query)
            await daniel.start("1", query)
            await advance(own_sandbox, "erp", object="booking", id=requested.id, to="CONFIRMED")
            confirmed = (await anna.next("1"))["data"]["caseUpdated"]
            await advance(own_sandbox, "crm", object="ticket", id=ticket, to="WAITING_ON_CUSTOMER")
            first = (await daniel.next("1"))["data"]["caseUpdated"]
        after = (await client.query(BOOKING, variables))["booking"]  # the event dropped it
        await client.aclose()
    assert (before["status"], after["status"]) == ("REQUESTED", "CONFIRMED")
    assert confirmed == {"__typename": "Booking", "number": requested.number,
                         "status": "CONFIRMED", "statusLabel": "Bestätigt"}  # fmt: skip
    assert first["__typename"] == "Ticket"
