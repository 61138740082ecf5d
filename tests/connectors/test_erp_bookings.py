"""The ERP adapter's BookingPort against an ERP of each test's own, over real SOAP: reads,
writes sent exactly once (never retried, unlike reads), keys passed on, refusals with their
reason."""

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from connectors.base.errors import UpstreamRefused, UpstreamUnavailable
from connectors.base.ports import ListFilter
from connectors.base.records import BookingRequest, Participant
from connectors.erp import ErpAdapter
from sandbox.seed import MAINTENANCE, MUSTER, NORDLICHT, TRAINING
from tests.erp_fixtures import ErpControl, OwnErp, connect_erp

BEAT = Participant("Beat Frei", "beat.frei@muster-maschinenbau.ch")


def reasons(refused: UpstreamRefused) -> list[tuple[str | None, str]]:
    return [(refusal.field, refusal.code) for refusal in refused.refusals]


@pytest.fixture
async def adapter(own_erp: OwnErp) -> AsyncIterator[ErpAdapter]:
    connected = await connect_erp(own_erp.url)
    yield connected
    await connected.aclose()


@pytest.fixture
async def control(own_erp: OwnErp) -> AsyncIterator[ErpControl]:
    async with httpx.AsyncClient(base_url=own_erp.base_url, timeout=5.0) as http:
        yield ErpControl(http)


async def test_offerings_slots_and_bookings(adapter: ErpAdapter, own_erp: OwnErp) -> None:
    muster, nordlicht, unknown = await adapter.offerings_of([MUSTER, NORDLICHT, "none"])
    assert [o.id for o in muster] == [o.id for o in own_erp.seed.offerings]
    assert {o.price.currency for o in muster} == {"CHF"}
    assert {o.price.currency for o in nordlicht} == {"EUR"}
    assert unknown == []
    today = own_erp.seed.now.date()
    slots = await adapter.slots_of(TRAINING, today, today + timedelta(days=30))
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    assert all(s.offering_id == TRAINING and s.start.date() >= today for s in slots)
    [found, missing] = await adapter.get_slots([slots[0].id, "none"])
    assert (found, missing) == (slots[0], None)
    listed = await adapter.list_bookings(MUSTER, ListFilter())
    assert {b.id for b in listed} == {b.id for b in own_erp.seed.bookings if b.customer == MUSTER}
    assert await adapter.get_bookings([listed[0].id]) == [listed[0]]


async def test_a_write_is_sent_once_and_replayed_by_its_key(
    adapter: ErpAdapter, own_erp: OwnErp, control: ErpControl
) -> None:
    slot = own_erp.free_slot(MAINTENANCE, seats=1)
    request = BookingRequest(MUSTER, slot.id, (BEAT,), f"{MUSTER}:createBooking:key-1")
    booking = await adapter.create_booking(request)
    assert (booking.customer, booking.slot_id, booking.status) == (MUSTER, slot.id, "REQUESTED")
    assert booking.participants == (BEAT,)
    assert await adapter.create_booking(request) == booking
    assert len([b for b in own_erp.seed.bookings if b.slot_id == slot.id]) == 1
    assert await control.requests() == {"CreateServiceBooking": 2}


async def test_refusals_name_the_rules_and_fields(adapter: ErpAdapter, own_erp: OwnErp) -> None:
    booked = own_erp.booking(MUSTER, MAINTENANCE, "booked")
    attended = own_erp.booking(MUSTER, MAINTENANCE, "attended")
    with pytest.raises(UpstreamRefused) as closed:
        await adapter.reschedule_booking(MUSTER, attended.id, booked.slot_id, "k-1")
    assert reasons(closed.value) == [
        ("booking_id", "BOOKING_NOT_CHANGEABLE"),
        ("booking_id", "BOOKING_ALREADY_STARTED"),
    ]
    crowd = (BEAT, Participant("Anna Keller", "no-address"), Participant("C", None),
             Participant("D", None))  # fmt: skip
    with pytest.raises(UpstreamRefused) as taken:
        await adapter.create_booking(BookingRequest(MUSTER, booked.slot_id, crowd, "k-2"))
    assert reasons(taken.value) == [
        ("participants", "TOO_MANY_PARTICIPANTS"),
        ("participants.1.email", "INVALID"),
        ("slot_id", "SLOT_FULL"),
    ]  # every rule broken, in one answer, in the portal's terms
    assert all(refusal.message for refusal in taken.value.refusals)
    assert not taken.value.retriable
    assert own_erp.seed.erp_changes == []


async def test_writes_are_never_retried_reads_are(
    adapter: ErpAdapter, own_erp: OwnErp, control: ErpControl
) -> None:
    booking = own_erp.booking(MUSTER, MAINTENANCE, "booked")
    await control.set_faults(mode="down")
    with pytest.raises(UpstreamUnavailable):
        await adapter.cancel_booking(MUSTER, booking.id, None, "k-1")
    with pytest.raises(UpstreamUnavailable):
        await adapter.get_bookings([booking.id])
    assert await control.requests() == {"CancelServiceBooking": 1, "GetServiceBookings": 2}
    assert booking.state == "booked"
