"""The ERP's service bookings: seats left in a slot, and the writes (create, reschedule,
cancel) with the checks the ERP itself makes.

A slot has `capacity` seats. A booking of an offering that manages capacity (a course) takes
one seat per attendee, any other booking one seat (the technician's visit); cancelled bookings
take none. Every write carries an `IdempotencyKey`: a repeated key answers the booking it wrote
the first time, the same key with other parameters is refused (`KeyReused`). A refused write
is a `soap:Client.<Reason>` fault and changes nothing; every write lands in the change log.
"""

import re
from collections.abc import Callable
from datetime import datetime

from lxml import etree

from sandbox.erp import serialize
from sandbox.erp.advance import record_change
from sandbox.erp.envelope import Refused, qname
from sandbox.model import Attendee, Booking, Seed, ServiceOffering, ServiceSlot
from sandbox.rest import Clock

ACTIVE = frozenset({"request", "booked", "rescheduled"})
"""States a booking can still be changed or cancelled in."""
TAKES_SEATS = ACTIVE | {"attended", "no_show"}
MAX_NAME = 100
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

Handler = Callable[[Seed, etree._Element], etree._Element]
Write = Callable[[Seed, etree._Element, datetime], Booking]


def seats_of(offering: ServiceOffering, attendees: list[Attendee]) -> int:
    return len(attendees) if offering.manage_capacity else 1


def offering_of(seed: Seed, offering_id: str) -> ServiceOffering:
    return next(o for o in seed.offerings if o.id == offering_id)


def seats_left(seed: Seed, slot: ServiceSlot) -> int:
    offering = offering_of(seed, slot.offering_id)
    taken = sum(
        seats_of(offering, booking.attendees)
        for booking in seed.bookings
        if booking.slot_id == slot.id and booking.state in TAKES_SEATS
    )
    return max(0, slot.capacity - taken)


def slot_of(seed: Seed, slot_id: str) -> ServiceSlot:
    return next(s for s in seed.slots if s.id == slot_id)


def booking_element(seed: Seed, booking: Booking, tag: str = "Booking") -> etree._Element:
    offering = offering_of(seed, booking.offering_id)
    return serialize.booking(booking, offering, slot_of(seed, booking.slot_id), tag)


def _text(request: etree._Element, name: str) -> str | None:
    return request.findtext(qname(name)) or None


def _bookable_slot(seed: Seed, slot_id: str | None, now: datetime) -> ServiceSlot:
    slot = next((s for s in seed.slots if s.id == slot_id), None)
    if slot is None:
        raise Refused("UnknownSlot", f"Slot {slot_id} does not exist.")
    if slot.start <= now:
        raise Refused("SlotStarted", f"Slot {slot.id} has already started.")
    return slot


def _reserve(seed: Seed, slot: ServiceSlot, seats: int) -> None:
    left = seats_left(seed, slot)
    if seats > left:
        raise Refused("SlotFull", f"Slot {slot.id} has {left} seats left; {seats} asked for.")


def _attendees(request: etree._Element, offering: ServiceOffering) -> list[Attendee]:
    attendees = [
        Attendee((entry.findtext(qname("Name")) or "").strip(), _text(entry, "Email"))
        for entry in request.iterfind(qname("Attendee"))
    ]
    if len(attendees) > offering.max_attendees:
        raise Refused(
            "TooManyAttendees", f"{offering.name} takes at most {offering.max_attendees}."
        )
    for attendee in attendees:
        if not 0 < len(attendee.name) <= MAX_NAME:
            raise Refused("InvalidAttendee", f"An attendee's name has 1 to {MAX_NAME} characters.")
        if attendee.email is not None and not EMAIL.fullmatch(attendee.email):
            raise Refused("InvalidAttendee", f"{attendee.email!r} is not an e-mail address.")
    return attendees


def _own_booking(seed: Seed, request: etree._Element, now: datetime) -> Booking:
    """The customer's booking named in the request, still open to changes."""
    customer, booking_id = _text(request, "CustomerNumber"), _text(request, "BookingId")
    booking = next(
        (b for b in seed.bookings if b.id == booking_id and b.customer == customer), None
    )
    if booking is None:
        raise Refused("UnknownBooking", f"Booking {booking_id} does not exist.")
    if booking.state not in ACTIVE:
        raise Refused("BookingClosed", f"Booking {booking.number} is {booking.state}.")
    if slot_of(seed, booking.slot_id).start <= now:
        raise Refused("BookingStarted", f"Booking {booking.number} has already started.")
    return booking


def create(seed: Seed, request: etree._Element, now: datetime) -> Booking:
    customer = _text(request, "CustomerNumber")
    if customer is None or not any(c.number == customer for c in seed.customers):
        raise Refused("UnknownCustomer", f"Customer {customer} does not exist.")
    slot = _bookable_slot(seed, _text(request, "SlotId"), now)
    offering = offering_of(seed, slot.offering_id)
    attendees = _attendees(request, offering)
    order_id = _text(request, "OrderId")
    if order_id is not None and not any(
        o.id == order_id and o.customer == customer for o in seed.orders
    ):
        raise Refused("UnknownOrder", f"Order {order_id} does not exist.")
    _reserve(seed, slot, seats_of(offering, attendees))
    index = len(seed.bookings) + 1
    booking = Booking(
        id=f"{72000000 + index}",
        number=f"BU-{now.year}-{index:04d}",
        customer=customer,
        offering_id=offering.id,
        slot_id=slot.id,
        state="booked" if offering.auto_confirm else "request",
        attendees=attendees,
        created_at=now,
        updated_at=now,
        order_id=order_id,
    )
    seed.bookings.append(booking)
    return booking


def reschedule(seed: Seed, request: etree._Element, now: datetime) -> Booking:
    booking = _own_booking(seed, request, now)
    slot = _bookable_slot(seed, _text(request, "SlotId"), now)
    if slot.offering_id != booking.offering_id:
        raise Refused("OfferingMismatch", f"Slot {slot.id} is not one of the booked service.")
    if slot.id == booking.slot_id:
        raise Refused("SameSlot", f"Booking {booking.number} is already in slot {slot.id}.")
    _reserve(seed, slot, seats_of(offering_of(seed, slot.offering_id), booking.attendees))
    booking.slot_id, booking.state, booking.updated_at = slot.id, "rescheduled", now
    return booking


def cancel(seed: Seed, request: etree._Element, now: datetime) -> Booking:
    booking = _own_booking(seed, request, now)
    booking.state, booking.cancel_reason, booking.updated_at = (
        "cancelled",
        _text(request, "Reason"),
        now,
    )
    return booking


def _fingerprint(request: etree._Element) -> str:
    """The operation and its parameters in document order, without the idempotency key."""
    return repr(
        [
            (etree.QName(element).localname, (element.text or "").strip())
            for element in request.iter()
            if etree.QName(element).localname != "IdempotencyKey"
        ]
    )


WRITES: dict[str, Write] = {
    "CreateServiceBooking": create,
    "RescheduleServiceBooking": reschedule,
    "CancelServiceBooking": cancel,
}


class BookingWrites:
    """The write operations, each run once per idempotency key."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.done_by_key: dict[str, tuple[str, str]] = {}
        """Key → (request fingerprint, booking id)."""

    def operations(self) -> dict[str, Handler]:
        return {name: self._once(name, write) for name, write in WRITES.items()}

    def _once(self, name: str, write: Write) -> Handler:
        def handle(seed: Seed, request: etree._Element) -> etree._Element:
            key = _text(request, "IdempotencyKey") or ""
            fingerprint = _fingerprint(request)
            done = self.done_by_key.get(key)
            if done is not None and done[0] != fingerprint:
                raise Refused("KeyReused", f"Key {key!r} was used for another request.")
            if done is not None:
                booking = next(b for b in seed.bookings if b.id == done[1])
            else:
                now = self.clock()
                booking = write(seed, request, now)
                self.done_by_key[key] = (fingerprint, booking.id)
                record_change(seed, "booking", booking.id, None, booking.customer, now)
            return booking_element(seed, booking, f"{name}Response")

        return handle
