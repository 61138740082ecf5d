"""The sandbox ERP's service bookings as any SOAP client sees them: seats, idempotency keys and
the refusals (E messages naming every rule broken, changing nothing). Each test writes to an
ERP of its own, whose clock the test sets."""

from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest
from lxml import etree

from sandbox.model import ServiceSlot
from sandbox.seed import LUMIERE, MAINTENANCE, MUSTER, TRAINING
from tests.erp_fixtures import (
    UNKNOWN,
    OwnErp,
    answer_body,
    erp,
    fault_of,
    post,
    soap_request,
)


def messages(response: httpx.Response, kind: str) -> list[tuple[str, str | None]]:
    """The answer's messages of type `kind` (E, S), as (code, field)."""
    assert response.status_code == 200
    return [
        (message.findtext(erp("Code")) or "", message.findtext(erp("Field")))
        for message in answer_body(response.content).iterfind(erp("Return"))
        if message.findtext(erp("Type")) == kind
    ]


def written(response: httpx.Response) -> etree._Element:
    """The booking a write answered, after its S message and no E message."""
    assert messages(response, "E") == []
    assert len(messages(response, "S")) == 1
    booking = answer_body(response.content).find(erp("Booking"))
    assert booking is not None
    return booking


def attendee(name: str, email: str | None = None) -> tuple[str, str]:
    email_part = f"<erp:Email>{email}</erp:Email>" if email else ""
    return "Attendee", f"<erp:Name>{name}</erp:Name>{email_part}"


def create(
    slot_id: str,
    key: str,
    *attendees: tuple[str, str],
    customer: str = MUSTER,
    order: str | None = None,
) -> bytes:
    params = [("CustomerNumber", customer), ("SlotId", slot_id), *attendees]
    params += [("OrderId", order)] if order else []
    return soap_request("CreateServiceBooking", [*params, ("IdempotencyKey", key)])


def reschedule(booking_id: str, slot_id: str, key: str) -> bytes:
    params = [("CustomerNumber", MUSTER), ("BookingId", booking_id), ("SlotId", slot_id)]
    return soap_request("RescheduleServiceBooking", [*params, ("IdempotencyKey", key)])


def cancel(booking_id: str, key: str, reason: str = "Termin passt nicht") -> bytes:
    params = [("CustomerNumber", MUSTER), ("BookingId", booking_id), ("Reason", reason)]
    return soap_request("CancelServiceBooking", [*params, ("IdempotencyKey", key)])


async def seats_left(erp_url: str, slot_id: str) -> str | None:
    answer = await post(erp_url, soap_request("GetServiceSlots", [("SlotId", slot_id)]))
    return answer_body(answer.content)[0].findtext(erp("SeatsLeft"))


async def test_the_last_seat_is_booked_once(own_erp: OwnErp) -> None:
    course = own_erp.free_slot(TRAINING, seats=1)
    booked = await post(own_erp.url, create(course.id, "key-1", attendee("Eva Graf")))
    assert answer_body(booked.content).tag == erp("CreateServiceBookingResponse")
    assert messages(booked, "S") == [("BOOKING_CREATED", None)]
    booking = written(booked)
    assert (booking.findtext(erp("State")), booking.findtext(erp("SlotId"))) == (
        "booked", course.id
    )  # fmt: skip
    assert await seats_left(own_erp.url, course.id) == "0"
    before = own_erp.snapshot()
    refused = await post(own_erp.url, create(course.id, "key-2", attendee("Urs Graf")))
    assert messages(refused, "E") == [("SLOT_FULL", "SlotId")]
    assert answer_body(refused.content).find(erp("Booking")) is None
    assert own_erp.snapshot() == before


async def test_a_key_answers_its_first_booking_and_refuses_other_parameters(
    own_erp: OwnErp,
) -> None:
    visit = own_erp.free_slot(MAINTENANCE, seats=1)
    request = create(visit.id, "visit-1", attendee("Beat Frei", "beat@example.ch"))
    first, again = [written(await post(own_erp.url, request)) for _ in range(2)]
    assert first.findtext(erp("State")) == "request"  # a technician's visit awaits confirmation
    assert etree.tostring(again) == etree.tostring(first)
    other = await post(own_erp.url, create(visit.id, "visit-1", attendee("Anna Keller")))
    assert messages(other, "E") == [("KEY_REUSED", "IdempotencyKey")]
    assert [(c.object_type, c.object_id) for c in own_erp.seed.erp_changes] == [
        ("booking", first.findtext(erp("Id")))
    ]


Request = Callable[[OwnErp], bytes]
REFUSED: list[tuple[list[tuple[str, str | None]], Request]] = [
    ([("SLOT_UNKNOWN", "SlotId")], lambda e: create(UNKNOWN, "k", attendee("A"))),
    (
        [("CUSTOMER_UNKNOWN", "CustomerNumber")],
        lambda e: create(e.seed.slots[1].id, "k", attendee("A"), customer="0"),
    ),
    (
        [("SLOT_STARTED", "SlotId")],
        lambda e: create(
            next(s.id for s in e.seed.slots if s.start < e.seed.now), "k", attendee("A")
        ),
    ),
    (
        [("TOO_MANY_ATTENDEES", "Attendee")],
        lambda e: create(
            e.free_slot(MAINTENANCE, 1).id, "k", *(attendee(f"P{i}") for i in range(4))
        ),
    ),
    (
        [("ATTENDEE_INVALID", "Attendee[2]/Email"), ("ATTENDEE_INVALID", "Attendee[3]/Name")],
        lambda e: create(
            e.free_slot(TRAINING, 8).id,
            "k",
            attendee("A"),
            attendee("B", "no-address"),
            attendee("C" * 101),
        ),
    ),
    (
        [("ORDER_UNKNOWN", "OrderId")],
        lambda e: create(
            e.free_slot(MAINTENANCE, 1).id,
            "k",
            attendee("A"),
            order=next(o.id for o in e.seed.orders if o.customer == LUMIERE),
        ),
    ),
    (
        [("BOOKING_UNKNOWN", "BookingId")],
        lambda e: cancel(e.booking(LUMIERE, TRAINING, "booked").id, "k"),
    ),
    (
        [("BOOKING_CLOSED", "BookingId")],
        lambda e: cancel(e.booking(MUSTER, MAINTENANCE, "cancelled").id, "k"),
    ),
    (
        [("FIELD_TOO_LONG", "Reason")],
        lambda e: cancel(e.booking(MUSTER, MAINTENANCE, "booked").id, "k", "x" * 1001),
    ),
    (
        [("OFFERING_MISMATCH", "SlotId")],
        lambda e: reschedule(
            e.booking(MUSTER, MAINTENANCE, "booked").id, e.free_slot(TRAINING, 8).id, "k"
        ),
    ),
    (
        [("SAME_SLOT", "SlotId"), ("SLOT_FULL", "SlotId")],
        lambda e: reschedule(
            (booked := e.booking(MUSTER, MAINTENANCE, "booked")).id, booked.slot_id, "k"
        ),
    ),
]


@pytest.mark.parametrize(
    ("rules", "request_of"), REFUSED, ids=[rules[0][0] for rules, _ in REFUSED]
)
async def test_refused_writes_name_their_rules_and_change_nothing(
    own_erp: OwnErp, rules: list[tuple[str, str | None]], request_of: Request
) -> None:
    before = own_erp.snapshot()
    response = await post(own_erp.url, request_of(own_erp))
    assert messages(response, "E") == rules
    assert own_erp.snapshot() == before
    assert own_erp.seed.erp_changes == []


async def test_a_booking_moves_and_is_cancelled_before_it_begins(own_erp: OwnErp) -> None:
    booking = own_erp.booking(MUSTER, MAINTENANCE, "booked")
    old, new = booking.slot_id, own_erp.free_slot(MAINTENANCE, seats=1).id
    moved = written(await post(own_erp.url, reschedule(booking.id, new, "m-1")))
    assert (moved.findtext(erp("State")), moved.findtext(erp("SlotId"))) == ("rescheduled", new)
    assert (await seats_left(own_erp.url, old), await seats_left(own_erp.url, new)) == ("1", "0")
    dropped = written(await post(own_erp.url, cancel(booking.id, "c-1")))
    assert dropped.findtext(erp("State")) == "cancelled"
    assert dropped.findtext(erp("CancelReason")) == "Termin passt nicht"
    assert await seats_left(own_erp.url, new) == "1"
    assert [c.object_id for c in own_erp.seed.erp_changes] == [booking.id, booking.id]
    closed = await post(own_erp.url, cancel(booking.id, "c-2"))
    assert messages(closed, "E") == [("BOOKING_CLOSED", "BookingId")]


async def test_a_begun_booking_stays(own_erp: OwnErp) -> None:
    booking = own_erp.booking(MUSTER, MAINTENANCE, "booked")
    start = next(s.start for s in own_erp.seed.slots if s.id == booking.slot_id)
    own_erp.now[0] = start + timedelta(minutes=1)
    response = await post(own_erp.url, cancel(booking.id, "late"))
    assert messages(response, "E") == [("BOOKING_STARTED", "BookingId")]
    assert booking.state == "booked"


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (create("71000002", "no-one"), "invalid request"),  # at least one attendee
        (
            soap_request(
                "ListServiceSlots",
                [("OfferingId", TRAINING), ("DateFrom", "2026-01-01"), ("DateTo", "2026-12-31")],
            ),
            "92 days",
        ),
    ],
)
async def test_malformed_requests_are_client_faults(
    own_erp: OwnErp, body: bytes, complaint: str
) -> None:
    code, text = fault_of(await post(own_erp.url, body))
    assert code == "soap:Client"
    assert complaint in text


async def test_slots_of_an_offering_earliest_first(own_erp: OwnErp) -> None:
    first, last = own_erp.seed.now.date(), own_erp.seed.now.date() + timedelta(days=14)
    params = [("OfferingId", MAINTENANCE), ("DateFrom", str(first)), ("DateTo", str(last))]
    answer = answer_body(
        (await post(own_erp.url, soap_request("ListServiceSlots", params))).content
    )
    expected = sorted(
        (s for s in own_erp.seed.slots if s.offering_id == MAINTENANCE and first <= day(s) <= last),
        key=lambda s: s.start,
    )
    assert [slot.findtext(erp("Id")) for slot in answer] == [s.id for s in expected]
    assert [slot.findtext(erp("SeatsLeft")) for slot in answer] == [
        str(s.capacity - own_erp.taken(s)) for s in expected
    ]


def day(slot: ServiceSlot) -> date:
    return slot.start.date()
