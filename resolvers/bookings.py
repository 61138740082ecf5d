"""Service offerings, their free slots and the organization's bookings (ERP).

Offerings are the organization's own catalog (its prices); a slot is visible only through an
offering of that catalog, a booking only to its organization.
"""

from dataclasses import dataclass
from datetime import date, datetime

from connectors.base import records as r
from connectors.base.ports import ListFilter
from connectors.base.reads import valid_until
from resolvers.access import owned
from resolvers.context import Context
from resolvers.errors import BadUserInput, NotFound
from resolvers.listing import Sort, page_of
from resolvers.loaders import ListKey, SlotRange
from resolvers.pagination import PageArgs, Slice

BOOKING_SORT_KEYS = {
    "START": lambda b: b.start,
    "CREATED_AT": lambda b: b.created_at,
    "UPDATED_AT": lambda b: b.updated_at,
    "NUMBER": lambda b: b.number,
}
OPEN = frozenset({"REQUESTED", "CONFIRMED", "RESCHEDULED"})
"""Bookings that still take place, and may be rescheduled or cancelled before their start."""
MAX_SLOT_DAYS = 62


@dataclass(frozen=True)
class BookingFilter:
    statuses: frozenset[str] = frozenset()
    offering_ids: frozenset[str] = frozenset()
    upcoming: bool | None = None
    search: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def pushed_down(self) -> ListFilter:
        return ListFilter(self.search, self.date_from, self.date_to)

    def accepts(self, booking: r.Booking, now: datetime) -> bool:
        return (
            (not self.statuses or booking.status in self.statuses)
            and (not self.offering_ids or booking.offering_id in self.offering_ids)
            and (self.upcoming is None or self._upcoming(booking, now) == self.upcoming)
        )

    @staticmethod
    def _upcoming(booking: r.Booking, now: datetime) -> bool:
        if booking.start > now:
            valid_until(booking.start)
            return True
        return False


def seats_of(offering: r.ServiceOffering, participants: int) -> int:
    """The seats a booking takes: one per participant of a course, else one."""
    return participants if offering.per_participant else 1


async def offerings(ctx: Context) -> list[r.ServiceOffering]:
    found: list[r.ServiceOffering] = await ctx.loaders.offerings.load(ctx.tenant)
    return found


async def offering(ctx: Context, offering_id: str | None) -> r.ServiceOffering | None:
    return next((o for o in await offerings(ctx) if o.id == offering_id), None)


async def available_slots(ctx: Context, offering_id: str, first: date, last: date) -> list[r.Slot]:
    """The offering's slots starting on the days `first` to `last` that still have a seat,
    earliest first; NOT_FOUND for an offering not in the organization's catalog."""
    if not 0 <= (last - first).days < MAX_SLOT_DAYS:
        raise BadUserInput(f"`to` must be 0 to {MAX_SLOT_DAYS - 1} days after `from`.", "to")
    if await offering(ctx, offering_id) is None:
        raise NotFound("service offering")
    found: list[r.Slot] = await ctx.loaders.slots.load(SlotRange(offering_id, first, last))
    shown = [slot for slot in found if slot.start > ctx.now and slot.capacity_left > 0]
    if shown:  # until the first one starts
        valid_until(min(slot.start for slot in shown))
    return shown


async def slot_with_offering(
    ctx: Context, slot_id: str | None
) -> tuple[r.Slot, r.ServiceOffering] | None:
    """A slot of an offering in the organization's catalog, with that offering."""
    found: r.Slot | None = await ctx.loaders.slot.load(slot_id) if slot_id else None
    service = await offering(ctx, found.offering_id) if found is not None else None
    return (found, service) if found is not None and service is not None else None


async def slot(ctx: Context, slot_id: str | None) -> r.Slot | None:
    found = await slot_with_offering(ctx, slot_id)
    return found[0] if found is not None else None


async def all_bookings(ctx: Context, query: ListFilter | None = None) -> list[r.Booking]:
    found: list[r.Booking] = await ctx.loaders.bookings.load(
        ListKey(ctx.tenant, query or ListFilter())
    )
    for booking in found:
        ctx.loaders.booking.prime(booking.id, booking)
    return found


async def bookings(
    ctx: Context, where: BookingFilter, sort: Sort, page: PageArgs
) -> Slice[r.Booking]:
    found = await all_bookings(ctx, where.pushed_down())
    accepted = (booking for booking in found if where.accepts(booking, ctx.now))
    return page_of(accepted, sort, BOOKING_SORT_KEYS, "bookings", page)


async def booking(ctx: Context, booking_id: str | None) -> r.Booking | None:
    return owned(ctx, await ctx.loaders.booking.load(booking_id)) if booking_id else None
