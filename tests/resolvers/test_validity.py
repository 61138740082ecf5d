"""Values derived from the clock tell the response cache when they change next
(`connectors.base.reads`): an answer showing them is never served past that instant."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from connectors.base import records as r
from connectors.base.reads import Reads, recording
from resolvers.context import Context
from resolvers.derived import sla_percent_elapsed, sla_status
from schema.enums import SlaStatus
from schema.tickets import Ticket

CREATED = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def clock(due_in_h: float = 10.0, responded: bool = True) -> r.SlaClock:
    return r.SlaClock(
        first_response_due_at=CREATED + timedelta(hours=1),
        resolution_due_at=CREATED + timedelta(hours=due_in_h),
        first_responded_at=CREATED + timedelta(minutes=5) if responded else None,
        resolved_at=None,
        paused_since=None,
        source_status="ongoing",
    )


def ticket(sla: r.SlaClock) -> r.Ticket:
    return r.Ticket(
        id="1", number="T-1", customer="100001", subject="s", description="d",
        category="c", priority="NORMAL", status="IN_PROGRESS",
        source_status=r.SourceStatus("open", "Open"), channel="portal", created_by="anna",
        assignee=None, created_at=CREATED, updated_at=CREATED, satisfaction_rating=None,
        related_case=None, sla=sla,
    )  # fmt: skip


def test_the_percentage_elapsed_is_valid_until_its_next_tenth() -> None:
    now = CREATED + timedelta(hours=1)  # 10.0 % of 10 hours
    reads = Reads()
    with recording(reads):
        assert sla_percent_elapsed(clock(), CREATED, now) == 10.0
    # 10.05 % of 10 hours: 3618 s after creation, when it rounds to 10.1
    assert reads.valid_until == CREATED + timedelta(seconds=3618)
    later = reads.valid_until - timedelta(microseconds=1)
    assert sla_percent_elapsed(clock(), CREATED, later) == 10.0
    assert sla_percent_elapsed(clock(), CREATED, reads.valid_until + timedelta(seconds=1)) == 10.1


def test_the_status_is_valid_until_a_due_date_passes() -> None:
    now = CREATED + timedelta(seconds=3599)  # 9.997 %: the next tenth comes after the due date
    reads = Reads()
    with recording(reads):
        sla_status(ticket(clock(responded=False)), now)
    assert reads.valid_until == CREATED + timedelta(hours=1)  # the first response is due
    assert sla_status(ticket(clock(responded=False)), reads.valid_until) == "ON_TRACK"
    after = reads.valid_until + timedelta(seconds=1)
    assert sla_status(ticket(clock(responded=False)), after) == "BREACHED"


def test_nothing_is_recorded_outside_an_answer() -> None:
    assert sla_percent_elapsed(clock(), CREATED, CREATED + timedelta(hours=1)) == 10.0


def test_a_day_derived_answer_is_valid_until_midnight() -> None:
    context = object.__new__(Context)
    context.now = datetime(2026, 3, 10, 23, 59, 30, tzinfo=UTC)
    reads = Reads()
    with recording(reads):
        assert context.today.day == 10
    assert reads.valid_until == datetime(2026, 3, 11, tzinfo=UTC)


def test_a_tickets_clock_is_computed_and_noted_only_when_asked_for() -> None:
    """A ticket shown without its SLA clock's share or status does not end its answer when
    they change; asked for, they are what `resolvers.derived` computes for the instant the
    ticket was read, and note what it notes."""
    now = CREATED + timedelta(hours=1)
    record = ticket(clock(responded=False))
    info: Any = SimpleNamespace(context=SimpleNamespace(now=now, locale="en"))
    reads = Reads()
    with recording(reads):
        shown = Ticket.of(record, info)
        sla = shown.sla()
        assert (sla.resolution_due_at, sla.first_responded_at) == (
            record.sla.resolution_due_at,
            None,
        )
    assert reads.valid_until is None
    with recording(reads):
        assert sla.percent_elapsed() == sla_percent_elapsed(record.sla, CREATED, now) == 10.0
    assert reads.valid_until == CREATED + timedelta(seconds=3618)
    expected = Reads()
    with recording(expected):
        status = sla_status(record, now)
    with recording(reads := Reads()):
        assert sla.status() == SlaStatus(status) == SlaStatus.ON_TRACK
    assert reads.valid_until == expected.valid_until == CREATED + timedelta(hours=1)
