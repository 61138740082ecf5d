"""The sandbox ERP's writes to service bookings (Odoo appointments): book a slot for some
attendees, move a booking to another slot of its offering, cancel it, each before it begins.

They answer like the sales writes (`writes.py`): E messages name every rule broken and change
nothing. Each runs once per `IdempotencyKey`: a repeated key answers the booking written the
first time, the same key with other parameters is refused (KEY_REUSED). Every booking written
lands in the change log.
"""

import re
from collections.abc import Callable
from datetime import datetime

from lxml import etree

from sandbox.erp.advance import record_change
from sandbox.erp.bookings import (
    ACTIVE,
    booking_element,
    offering_of,
    seats_left,
    seats_of,
    slot_of,
)
from sandbox.erp.envelope import qname
from sandbox.erp.writes import (
    Checks,
    Message,
    Refused,
    Request,
    Written,
    customer_of,
    of_customer,
    write,
)
from sandbox.model import Attendee, Booking, Seed, ServiceSlot

MAX_NAME = 100
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

BookingWrite = Callable[[Seed, datetime, Request], tuple[Booking, tuple[str, str]]]
"""A write's booking and its S message."""


def once(name: str) -> Callable[[BookingWrite], BookingWrite]:
    """Register a booking write that runs once per idempotency key."""

    def register(handler: BookingWrite) -> BookingWrite:
        def run(seed: Seed, now: datetime, request: Request) -> Written:
            key = request.optional("IdempotencyKey") or ""
            fingerprint = repr(
                [
                    (etree.QName(child).localname, child.text)
                    for child in request.element.iter()
                    if etree.QName(child).localname != "IdempotencyKey"
                ]
            )
            done = seed.booking_keys.get(key)
            if done is not None and done[0] != fingerprint:
                text = f"key {key} was used for another request"
                raise Refused([Message("KEY_REUSED", text, "IdempotencyKey")])
            if done is not None:
                booking, created = next(b for b in seed.bookings if b.id == done[1]), done[2]
            else:
                booking, created = handler(seed, now, request)
                seed.booking_keys[key] = (fingerprint, booking.id, created)
                record_change(seed, "booking", booking.id, None, booking.customer, now)
            return Written([booking_element(seed, booking)], created)

        write(name)(run)
        return handler

    return register


def bookable_slot(seed: Seed, request: Request, now: datetime) -> ServiceSlot:
    wanted = request.optional("SlotId")
    slot = next((s for s in seed.slots if s.id == wanted), None)
    if slot is None:
        raise Refused([Message("SLOT_UNKNOWN", f"no slot {wanted}", "SlotId")])
    if slot.start <= now:
        raise Refused([Message("SLOT_STARTED", f"slot {slot.id} has begun", "SlotId")])
    return slot


def check_seats(checks: Checks, seed: Seed, slot: ServiceSlot, attendees: list[Attendee]) -> None:
    wanted, left = seats_of(offering_of(seed, slot.offering_id), attendees), seats_left(seed, slot)
    checks.require(wanted <= left, "SLOT_FULL", f"{left} seats left, {wanted} wanted", "SlotId")


def attendees_of(checks: Checks, request: Request, limit: int) -> list[Attendee]:
    entries = [Request(entry) for entry in request.element.iterfind(qname("Attendee"))]
    attendees = [Attendee(e.optional("Name") or "", e.optional("Email")) for e in entries]
    checks.require(
        len(attendees) <= limit, "TOO_MANY_ATTENDEES", f"at most {limit} attendees", "Attendee"
    )
    for index, attendee in enumerate(attendees, start=1):
        at = f"Attendee[{index}]"
        checks.require(
            0 < len(attendee.name) <= MAX_NAME,
            "ATTENDEE_INVALID",
            f"a name has 1 to {MAX_NAME} characters",
            f"{at}/Name",
        )
        checks.require(
            attendee.email is None or EMAIL.fullmatch(attendee.email),
            "ATTENDEE_INVALID",
            f"{attendee.email} is no e-mail address",
            f"{at}/Email",
        )
    return attendees


def open_booking(seed: Seed, request: Request, now: datetime) -> Booking:
    """The customer's booking the request names, still to take place."""
    customer = customer_of(seed, request, selling=False)
    booking = of_customer(customer, request, seed.bookings, "BookingId", "BOOKING_UNKNOWN")
    checks = Checks()
    checks.require(
        booking.state in ACTIVE,
        "BOOKING_CLOSED",
        f"{booking.number} is {booking.state}",
        "BookingId",
    )
    checks.require(
        slot_of(seed, booking.slot_id).start > now,
        "BOOKING_STARTED",
        f"{booking.number} has begun",
        "BookingId",
    )
    checks.done()
    return booking


@once("CreateServiceBooking")
def create_booking(seed: Seed, now: datetime, request: Request) -> tuple[Booking, tuple[str, str]]:
    customer = customer_of(seed, request, selling=True)
    slot = bookable_slot(seed, request, now)
    offering = offering_of(seed, slot.offering_id)
    if request.optional("OrderId") is not None:
        of_customer(customer, request, seed.orders, "OrderId", "ORDER_UNKNOWN")
    checks = Checks()
    attendees = attendees_of(checks, request, offering.max_attendees)
    check_seats(checks, seed, slot, attendees)
    checks.done()
    index = len(seed.bookings) + 1
    booking = Booking(
        id=f"{72000000 + index}",
        number=f"BU-{now.year}-{index:04d}",
        customer=customer.number,
        offering_id=offering.id,
        slot_id=slot.id,
        state="booked" if offering.auto_confirm else "request",
        attendees=attendees,
        created_at=now,
        updated_at=now,
        order_id=request.optional("OrderId"),
    )
    seed.bookings.append(booking)
    return booking, ("BOOKING_CREATED", f"{offering.name} booked: {booking.number}")


@once("RescheduleServiceBooking")
def reschedule_booking(
    seed: Seed, now: datetime, request: Request
) -> tuple[Booking, tuple[str, str]]:
    booking = open_booking(seed, request, now)
    slot = bookable_slot(seed, request, now)
    checks = Checks()
    checks.require(
        slot.offering_id == booking.offering_id,
        "OFFERING_MISMATCH",
        f"slot {slot.id} is not of the booked service",
        "SlotId",
    )
    checks.require(slot.id != booking.slot_id, "SAME_SLOT", "the booking is in it", "SlotId")
    check_seats(checks, seed, slot, booking.attendees)
    checks.done()
    booking.slot_id, booking.state, booking.updated_at = slot.id, "rescheduled", now
    return booking, ("BOOKING_RESCHEDULED", f"{booking.number} moved to slot {slot.id}")


@once("CancelServiceBooking")
def cancel_booking(seed: Seed, now: datetime, request: Request) -> tuple[Booking, tuple[str, str]]:
    booking = open_booking(seed, request, now)
    checks = Checks()
    reason = request.text(checks, "Reason")
    checks.done()
    booking.state, booking.cancel_reason, booking.updated_at = "cancelled", reason, now
    return booking, ("BOOKING_CANCELLED", f"{booking.number} cancelled")
