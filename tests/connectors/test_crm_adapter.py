"""The CRM adapter against the sandbox CRM: batching, mapping, paging, internal notes, faults."""

import math
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import replace

import pytest

from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRefused,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.base.ports import ListFilter
from connectors.base.records import CaseRef, ContactFields, NewTicket, SlaClock, System, Ticket
from connectors.base.rest import MAX_BATCH as CRM_BATCH
from connectors.crm import CrmAdapter
from sandbox.crm.app import sla_status
from sandbox.model import Seed
from sandbox.seed import MUSTER
from tests.rest_fixtures import (
    CRM_TOKEN,
    FAST_RETRY,
    HANG_LIMITS,
    SandboxControl,
    bearer_client,
    fast_guard,
)

TICKET_STATUS = {
    "new": "NEW",
    "in_progress": "IN_PROGRESS",
    "on_hold": "WAITING_ON_CUSTOMER",
    "solved": "RESOLVED",
    "closed": "CLOSED",
    "cancelled": "CANCELLED",
}
PRIORITY = {"0": "LOW", "1": "NORMAL", "2": "HIGH", "3": "URGENT"}
CONTACTS, TICKETS, COMMENTS = "GET /api/v1/contacts", "GET /api/v1/tickets", "GET /api/v1/comments"
UNKNOWN = "does-not-exist"


async def test_contacts_of_reads_every_customer_in_one_request(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    customers = [customer.number for customer in rest_seed.customers] + [UNKNOWN]

    found = await crm_adapter.contacts_of(customers)

    expected = [[c for c in rest_seed.contacts if c.customer == number] for number in customers]
    assert [
        [
            (c.id, c.customer, c.first_name, c.last_name, c.email, c.phone, c.job_title)
            for c in group
        ]
        for group in found
    ] == [
        [
            (c.id, c.customer, c.first_name, c.last_name, c.email, c.phone, c.job_title)
            for c in group
        ]
        for group in expected
    ]
    assert await crm_control.requests() == {CONTACTS: 1}


async def test_segments_of_answers_each_customers_segment_in_key_order(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    customers = [UNKNOWN, *(customer.number for customer in reversed(rest_seed.customers))]

    found = await crm_adapter.segments_of(customers)

    assert found[0] is None
    assert [(s.customer, s.segment) for s in found[1:] if s is not None] == [
        (c.number, c.segment) for c in reversed(rest_seed.customers)
    ]
    assert {s.segment for s in found if s is not None} >= {"key_account", "sme", "consumer"}
    assert await crm_control.requests() == {"GET /api/v1/companies": 1}


async def test_get_tickets_maps_each_ticket_in_key_order(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    seeded = list(reversed(rest_seed.tickets))

    found = await crm_adapter.get_tickets([ticket.id for ticket in seeded] + [UNKNOWN])

    assert found[-1] is None
    for expected, ticket in zip(seeded, found, strict=False):
        assert ticket is not None
        assert (ticket.id, ticket.number, ticket.customer, ticket.subject) == (
            expected.id,
            expected.number,
            expected.customer,
            expected.subject,
        )
        assert ticket.status == TICKET_STATUS[expected.stage]
        assert ticket.source_status.code == expected.stage
        assert ticket.priority == PRIORITY[expected.priority]
        assert ticket.satisfaction_rating == expected.rating
        assert ticket.related_case == (
            CaseRef(expected.related_type.upper(), expected.related_id)
            if expected.related_type and expected.related_id
            else None
        )
        assert ticket.sla == SlaClock(
            first_response_due_at=expected.sla_response_due,
            resolution_due_at=expected.sla_resolution_due,
            first_responded_at=expected.first_response_at,
            resolved_at=expected.resolved_at,
            paused_since=expected.sla_paused_since,
            source_status=sla_status(expected, rest_seed.now),
        )
    assert await crm_control.requests() == {TICKETS: 1}


async def test_the_seed_shows_every_sla_state(crm_adapter: CrmAdapter, rest_seed: Seed) -> None:
    found = await crm_adapter.get_tickets([ticket.id for ticket in rest_seed.tickets])

    states = {ticket.sla.source_status for ticket in found if ticket is not None}
    assert states == {"ongoing", "reached", "failed", "paused"}


async def test_more_than_a_batch_of_ids_is_split(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    unknown = [f"{UNKNOWN}-{n}" for n in range(150)]
    ids = [ticket.id for ticket in rest_seed.tickets] + unknown

    found = await crm_adapter.get_tickets(ids)

    assert [ticket.id if ticket else None for ticket in found] == [
        ticket.id for ticket in rest_seed.tickets
    ] + [None] * len(unknown)
    assert await crm_control.requests() == {TICKETS: math.ceil(len(ids) / CRM_BATCH)}


async def test_list_tickets_pages_through_a_customers_tickets(
    crm_url: str, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    page_size = 3
    expected = sorted(ticket.id for ticket in rest_seed.tickets if ticket.customer == MUSTER)
    adapter = CrmAdapter(
        bearer_client(crm_url, CRM_TOKEN), fast_guard(System.CRM), page_size=page_size
    )

    async with aclosing(adapter):
        found = await adapter.list_tickets(MUSTER, ListFilter())

    assert sorted(ticket.id for ticket in found) == expected
    assert await crm_control.requests() == {TICKETS: -(-len(expected) // page_size)}


async def test_list_tickets_pushes_search_and_dates_down(
    crm_adapter: CrmAdapter, rest_seed: Seed
) -> None:
    target = next(t for t in rest_seed.tickets if t.customer == MUSTER and t.related_type)
    day = target.created_at.date()

    by_text = await crm_adapter.list_tickets(MUSTER, ListFilter(search=target.subject.upper()))
    by_day = await crm_adapter.list_tickets(MUSTER, ListFilter(date_from=day, date_to=day))

    assert [ticket.id for ticket in by_text] == [target.id]
    assert {ticket.id for ticket in by_day} == {
        t.id for t in rest_seed.tickets if t.customer == MUSTER and t.created_at.date() == day
    }


async def test_messages_of_returns_public_comments_oldest_first(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    subjects = [CaseRef("TICKET", ticket.id) for ticket in rest_seed.tickets]
    subjects += [CaseRef("ORDER", order.id) for order in rest_seed.orders]
    subjects += [CaseRef("TICKET", UNKNOWN)]

    found = await crm_adapter.messages_of(subjects)

    for subject, messages in zip(subjects, found, strict=True):
        public = sorted(
            (
                c
                for c in rest_seed.comments
                if (c.subject_type.upper(), c.subject_id) == (subject.type, subject.id)
                and not c.internal
            ),
            key=lambda c: (c.created_at, c.id),
        )
        assert [
            (m.id, m.subject, m.author_name, m.author_is_provider, m.body, m.created_at)
            for m in messages
        ] == [(c.id, subject, c.author, c.author_is_staff, c.body, c.created_at) for c in public]
    assert any(found[subjects.index(CaseRef("ORDER", o.id))] for o in rest_seed.orders)
    assert await crm_control.requests() == {COMMENTS: math.ceil(len(subjects) / CRM_BATCH)}


async def test_internal_notes_never_leave_the_adapter(
    crm_adapter: CrmAdapter, rest_seed: Seed
) -> None:
    internal = [comment for comment in rest_seed.comments if comment.internal]
    assert internal, "the seed has a ticket with an internal note"

    found = await crm_adapter.messages_of([CaseRef("TICKET", c.subject_id) for c in internal])

    returned = [message for messages in found for message in messages]
    assert returned, "the ticket's public comments still come back"
    assert not {c.id for c in internal} & {m.id for m in returned}
    assert not any(c.body in m.body for c in internal for m in returned)


async def test_no_keys_no_request(crm_adapter: CrmAdapter, crm_control: SandboxControl) -> None:
    assert await crm_adapter.get_tickets([]) == []
    assert await crm_adapter.contacts_of([]) == []
    assert await crm_adapter.messages_of([]) == []
    assert await crm_control.requests() == {}


@pytest.mark.parametrize(
    ("mode", "error", "attempts"),
    [
        ("down", UpstreamUnavailable, FAST_RETRY.attempts),
        ("garbage", UpstreamBadResponse, 1),
    ],
)
async def test_faults_become_upstream_errors(
    crm_adapter: CrmAdapter,
    crm_control: SandboxControl,
    mode: str,
    error: type[UpstreamError],
    attempts: int,
) -> None:
    await crm_control.set_faults(mode=mode)

    with pytest.raises(error) as raised:
        await crm_adapter.get_tickets(["TCK-1001"])

    assert raised.value.system is System.CRM
    assert await crm_control.requests() == {TICKETS: attempts}


async def test_a_hanging_crm_times_out(crm_url: str, crm_control: SandboxControl) -> None:
    await crm_control.set_faults(mode="hang")
    adapter = CrmAdapter(bearer_client(crm_url, CRM_TOKEN, HANG_LIMITS), fast_guard(System.CRM))

    async with aclosing(adapter):
        with pytest.raises(UpstreamTimeout):
            await adapter.list_tickets(MUSTER, ListFilter())


async def test_a_wrong_token_is_rejected(crm_url: str) -> None:
    async with aclosing(
        CrmAdapter(bearer_client(crm_url, "wrong"), fast_guard(System.CRM))
    ) as adapter:
        with pytest.raises(UpstreamRejected):
            await adapter.get_tickets(["TCK-1001"])


async def test_refused_writes_carry_the_crms_reason_and_are_sent_once(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    closed = next(t for t in rest_seed.tickets if t.stage == "closed")
    stored = len(rest_seed.tickets), closed.rating
    new = NewTicket(MUSTER, "Betreff", "Text", "general", "NORMAL", "Anna Keller", None)
    unknown_order = replace(new, related_case=CaseRef("ORDER", UNKNOWN))
    writes: list[tuple[Callable[[], Awaitable[Ticket]], str, str]] = [
        (lambda: crm_adapter.close_ticket(closed.id), "ticket_id", "TICKET_STATE_CONFLICT"),
        (lambda: crm_adapter.rate_ticket(closed.id, 7, None), "rating", "INVALID"),
        (lambda: crm_adapter.reopen_ticket(UNKNOWN), "ticket_id", "NOT_FOUND"),
        (lambda: crm_adapter.create_ticket(replace(new, category="x")), "category", "INVALID"),
        (lambda: crm_adapter.create_ticket(replace(new, subject=" ")), "subject", "REQUIRED"),
        (lambda: crm_adapter.create_ticket(unknown_order), "related_case_id", "NOT_FOUND"),
    ]

    for write, field, code in writes:
        with pytest.raises(UpstreamRefused) as refused:
            await write()
        [reason] = refused.value.refusals
        assert (reason.field, reason.code) == (field, code)
        assert reason.message

    assert await crm_control.requests() == {
        "POST /api/v1/tickets/{ticket_id}/close": 1,
        "POST /api/v1/tickets/{ticket_id}/rating": 1,
        "POST /api/v1/tickets/{ticket_id}/reopen": 1,
        "POST /api/v1/tickets": 3,
    }
    assert (len(rest_seed.tickets), closed.rating) == stored


async def test_a_contact_is_created_changed_and_deleted(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    before = [vars(c).copy() for c in rest_seed.contacts]
    fields = ContactFields("Lea", "Brunner", "lea.brunner@muster-maschinenbau.ch", " ", "Einkauf")

    created = await crm_adapter.create_contact(MUSTER, fields)
    changed = await crm_adapter.update_contact(created.id, ContactFields(phone="+41 52 260 10 09"))
    cleared = await crm_adapter.update_contact(created.id, ContactFields(job_title=""))
    listed = (await crm_adapter.contacts_of([MUSTER]))[0]
    await crm_adapter.delete_contact(created.id)

    assert (created.customer, created.email, created.phone, created.job_title) == (
        MUSTER, "lea.brunner@muster-maschinenbau.ch", None, "Einkauf"
    )  # fmt: skip
    assert (changed.first_name, changed.phone) == ("Lea", "+41 52 260 10 09")
    assert cleared.job_title is None
    assert cleared in listed
    assert [vars(c) for c in rest_seed.contacts] == before
    assert await crm_control.requests() == {
        "POST /api/v1/contacts": 1,
        "PATCH /api/v1/contacts/{contact_id}": 2,
        "GET /api/v1/contacts": 1,
        "DELETE /api/v1/contacts/{contact_id}": 1,
    }


async def test_refused_contact_writes_say_why(crm_adapter: CrmAdapter, rest_seed: Seed) -> None:
    taken = next(c for c in rest_seed.contacts if c.customer == MUSTER).email.upper()
    with pytest.raises(UpstreamRefused) as invalid:
        await crm_adapter.create_contact(MUSTER, ContactFields("", "Frei", "beat@", "call me"))
    with pytest.raises(UpstreamRefused) as duplicate:
        await crm_adapter.create_contact(MUSTER, ContactFields("Beat", "Frei", taken))
    with pytest.raises(UpstreamRefused) as unknown:
        await crm_adapter.delete_contact(UNKNOWN)

    assert [(v.field, v.code) for v in invalid.value.refusals] == [
        ("first_name", "REQUIRED"), ("email", "INVALID_EMAIL"), ("phone", "INVALID_PHONE")
    ]  # fmt: skip
    assert [(v.field, v.code) for v in duplicate.value.refusals] == [("email", "EMAIL_TAKEN")]
    assert [(v.field, v.code) for v in unknown.value.refusals] == [("contact_id", "NOT_FOUND")]
    assert all(v.message for v in invalid.value.refusals)


async def test_a_contact_write_is_sent_once(
    crm_adapter: CrmAdapter, crm_control: SandboxControl, rest_seed: Seed
) -> None:
    count = len(rest_seed.contacts)
    await crm_control.set_faults(mode="down")

    with pytest.raises(UpstreamUnavailable):
        await crm_adapter.create_contact(MUSTER, ContactFields("Lea", "Brunner", "lea@example.ch"))

    assert await crm_control.requests() == {"POST /api/v1/contacts": 1}
    assert len(rest_seed.contacts) == count
