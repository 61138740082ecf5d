"""Booking services: book a slot for some participants, move a booking to another slot of its
offering, cancel it, each before the start and once per idempotency key
(`resolvers.idempotent`).

The gateway checks what it can see (ownership, the slot's start and free seats, the booking's
state); the ERP, which alone knows every organization's bookings, decides: two customers
racing for the last seat both pass here, and the ERP refuses one (SLOT_FULL). Its refusals
(`UpstreamRefused`) are answered as the same user errors. The key goes on to the ERP (scoped
by organization and operation), so a retry after a lost answer books nothing twice.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pydantic import TypeAdapter

from connectors.base import records as r
from connectors.base.errors import UpstreamRefused
from resolvers import bookings
from resolvers.context import Context
from resolvers.idempotent import KEY_REUSED, Refused, key_problems, run_idempotent
from resolvers.sales_rules import text_problems
from resolvers.writes import EMAIL, Problem, refusal_problems

BOOKING = TypeAdapter(r.Booking)
MAX_PARTICIPANTS = 50
MAX_NAME = 100

SLOT, BOOKING_ID = ("input", "slotId"), ("input", "bookingId")
RULES = {
    "SLOT_UNKNOWN": Problem(SLOT, "NOT_FOUND", "No slot with this ID exists."),
    "BOOKING_UNKNOWN": Problem(BOOKING_ID, "NOT_FOUND", "No booking with this ID exists."),
    "SLOT_STARTED": Problem(SLOT, "SLOT_IN_PAST", "This slot has begun; choose a later one."),
    "SLOT_FULL": Problem(SLOT, "SLOT_FULL", "This slot has too few seats left; choose another."),
    "TOO_MANY_ATTENDEES": Problem(
        ("input", "participants"),
        "TOO_MANY_PARTICIPANTS",
        "More participants than this service takes; book several slots.",
    ),
    "ATTENDEE_INVALID": Problem(
        ("input", "participants"), "INVALID", "A participant's name or e-mail was refused."
    ),
    "OFFERING_MISMATCH": Problem(
        SLOT, "OFFERING_MISMATCH", "A booking moves only to another slot of the same service."
    ),
    "SAME_SLOT": Problem(SLOT, "SAME_SLOT", "The booking is in this slot already."),
    "BOOKING_CLOSED": Problem(
        BOOKING_ID,
        "BOOKING_NOT_CHANGEABLE",
        "Only a requested, confirmed or rescheduled booking can be changed or cancelled.",
    ),
    "BOOKING_STARTED": Problem(
        BOOKING_ID, "BOOKING_ALREADY_STARTED", "The booking has begun; it can no longer change."
    ),
    "KEY_REUSED": KEY_REUSED,
}
"""The user error of each booking rule (named as the ERP names it) the gateway checks too;
when the ERP finds one broken, its refusal is answered in the same words (`_restated`)."""
WORDED = {(found.field, found.code): found for found in RULES.values()}


@dataclass(frozen=True)
class NewBooking:
    slot_id: str | None
    """The ERP slot ID, or None when the given ID is not a slot's (as for all IDs here)."""
    participants: tuple[r.Participant, ...]
    idempotency_key: str


@dataclass(frozen=True)
class Rescheduling:
    booking_id: str | None
    slot_id: str | None
    idempotency_key: str


@dataclass(frozen=True)
class Cancellation:
    booking_id: str | None
    reason: str | None
    idempotency_key: str


async def create(ctx: Context, request: NewBooking) -> r.Booking | list[Problem]:
    problems = key_problems(request.idempotency_key) + _participant_problems(request)
    if problems:
        return problems
    participants = tuple(
        r.Participant(p.name.strip(), (p.email or "").strip() or None) for p in request.participants
    )

    async def book() -> bytes:
        slot, offering = await _open_slot(ctx, request.slot_id)
        if len(participants) > offering.max_participants:
            raise Refused([RULES["TOO_MANY_ATTENDEES"]])
        _check_seats(slot, bookings.seats_of(offering, len(participants)))
        key = _upstream_key(ctx, "createBooking", request.idempotency_key)
        new = r.BookingRequest(ctx.tenant, slot.id, participants, key)
        return await _written(ctx, lambda: ctx.writes.upstreams.bookings.create_booking(new), slot)

    named = [[p.name, p.email] for p in participants]
    return await _once(ctx, "createBooking", request, (request.slot_id, named), book)


async def reschedule(ctx: Context, request: Rescheduling) -> r.Booking | list[Problem]:
    problems = key_problems(request.idempotency_key)
    if problems:
        return problems

    async def move() -> bytes:
        booking = await _open_booking(ctx, request.booking_id)
        slot, offering = await _open_slot(ctx, request.slot_id)
        if slot.offering_id != booking.offering_id:
            raise Refused([RULES["OFFERING_MISMATCH"]])
        if slot.id == booking.slot_id:
            raise Refused([RULES["SAME_SLOT"]])
        _check_seats(slot, bookings.seats_of(offering, len(booking.participants)))
        key = _upstream_key(ctx, "rescheduleBooking", request.idempotency_key)
        write = ctx.writes.upstreams.bookings.reschedule_booking
        return await _written(
            ctx, lambda: write(ctx.tenant, booking.id, slot.id, key), slot, booking
        )

    parts = (request.booking_id, request.slot_id)
    return await _once(ctx, "rescheduleBooking", request, parts, move)


async def cancel(ctx: Context, request: Cancellation) -> r.Booking | list[Problem]:
    reason = (request.reason or "").strip() or None
    problems = key_problems(request.idempotency_key) + text_problems(reason, "reason")
    if problems:
        return problems

    async def drop() -> bytes:
        booking = await _open_booking(ctx, request.booking_id)
        key = _upstream_key(ctx, "cancelBooking", request.idempotency_key)
        write = ctx.writes.upstreams.bookings.cancel_booking
        return await _written(
            ctx, lambda: write(ctx.tenant, booking.id, reason, key), None, booking
        )

    return await _once(ctx, "cancelBooking", request, (request.booking_id, reason), drop)


async def _once(
    ctx: Context,
    operation: str,
    request: NewBooking | Rescheduling | Cancellation,
    parts: object,
    write: Callable[[], Awaitable[bytes]],
) -> r.Booking | list[Problem]:
    """The booking `write` answers once per key (replayed after), its caches dropped."""
    fingerprint = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    key = request.idempotency_key
    outcome = await run_idempotent(ctx, operation, key, fingerprint, write, "erp")
    if isinstance(outcome, list):
        return outcome
    booking = BOOKING.validate_json(outcome)
    await _forget(ctx, [booking])
    return booking


async def _written(
    ctx: Context,
    write: Callable[[], Awaitable[r.Booking]],
    slot: r.Slot | None,
    booking: r.Booking | None = None,
) -> bytes:
    """The booking the ERP wrote, serialized. A refusal is `Refused`, after the cached `slot`
    and `booking` it was judged on are dropped; a booking moved away frees a seat in its old
    slot, whose entry is dropped too."""
    try:
        written = await write()
    except UpstreamRefused as refused:
        await _forget(ctx, [booking] if booking else [], [slot] if slot else [])
        problems = map(_restated, refusal_problems(refused))
        raise Refused(list(dict.fromkeys(problems))) from refused
    if booking is not None and booking.slot_id != written.slot_id:
        await _forget(ctx, [booking])
    return BOOKING.dump_json(written)


async def _forget(ctx: Context, changed: Sequence[r.Booking], slots: Sequence[r.Slot] = ()) -> None:
    """Drop the cached bookings, the slots they (and `slots`) are in, the organization's
    booking lists and the slot ranges of their offerings; the bookings and slots from this
    request's loaders too, so that the answer reads them anew."""
    offerings = {b.offering_id for b in changed} | {s.offering_id for s in slots}
    booking_ids = [b.id for b in changed]
    slot_ids = [b.slot_id for b in changed] + [s.id for s in slots]
    await ctx.writes.invalidate(
        {"booking": booking_ids, "slot": slot_ids},
        groups={"bookings": [ctx.tenant] if changed else [], "slots": sorted(offerings)},
    )
    for booking_id in booking_ids:
        ctx.loaders.forget("booking", booking_id)
    for slot_id in slot_ids:
        ctx.loaders.forget("slot", slot_id)


def _restated(found: Problem) -> Problem:
    """A problem the ERP found, in the gateway's words where it has them."""
    return WORDED.get((found.field, found.code), found)


async def _open_slot(ctx: Context, slot_id: str | None) -> tuple[r.Slot, r.ServiceOffering]:
    """The organization's slot, not yet begun, with its offering."""
    found = await bookings.slot_with_offering(ctx, slot_id)
    if found is None:
        raise Refused([RULES["SLOT_UNKNOWN"]])
    if found[0].start <= ctx.now:
        raise Refused([RULES["SLOT_STARTED"]])
    return found


def _check_seats(slot: r.Slot, seats: int) -> None:
    if seats > slot.capacity_left:
        raise Refused([RULES["SLOT_FULL"]])


async def _open_booking(ctx: Context, booking_id: str | None) -> r.Booking:
    """The organization's booking, still to take place."""
    booking = await bookings.booking(ctx, booking_id)
    if booking is None:
        raise Refused([RULES["BOOKING_UNKNOWN"]])
    if booking.status not in bookings.OPEN:
        raise Refused([RULES["BOOKING_CLOSED"]])
    if booking.start <= ctx.now:
        raise Refused([RULES["BOOKING_STARTED"]])
    return booking


def _upstream_key(ctx: Context, operation: str, key: str) -> str:
    return f"{ctx.tenant}:{operation}:{key}"


def _participant_problems(request: NewBooking) -> list[Problem]:
    problems: list[Problem] = []
    if not 1 <= len(request.participants) <= MAX_PARTICIPANTS:
        message = f"Name 1 to {MAX_PARTICIPANTS} participants."
        problems.append(Problem(("input", "participants"), "INVALID", message))
    seen: set[str] = set()
    for index, participant in enumerate(request.participants):
        path = ("input", "participants", str(index))
        if not 0 < len(participant.name.strip()) <= MAX_NAME:
            message = f"A name has 1 to {MAX_NAME} characters."
            problems.append(Problem((*path, "name"), "INVALID", message))
        email = (participant.email or "").strip().casefold()
        if email and not EMAIL.fullmatch(email):
            problems.append(Problem((*path, "email"), "INVALID", "This is no e-mail address."))
        elif email and email in seen:
            message = "Each participant may appear only once."
            problems.append(Problem((*path, "email"), "DUPLICATE", message))
        seen.add(email)
    return problems
