"""The ERP's service bookings as it reads them: seats left in a slot, and a booking with its
offering's name and its slot's times.

A slot has `capacity` seats. A booking of an offering that manages capacity (a course) takes
one seat per attendee, any other booking one seat (the technician's visit); cancelled bookings
take none. The writes are in `booking_writes.py`.
"""

from lxml import etree

from sandbox.erp import serialize
from sandbox.model import Attendee, Booking, Seed, ServiceOffering, ServiceSlot

ACTIVE = frozenset({"request", "booked", "rescheduled"})
"""States a booking can still be changed or cancelled in."""
TAKES_SEATS = ACTIVE | {"attended", "no_show"}


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


def booking_element(seed: Seed, booking: Booking) -> etree._Element:
    offering = offering_of(seed, booking.offering_id)
    return serialize.booking(booking, offering, slot_of(seed, booking.slot_id))
