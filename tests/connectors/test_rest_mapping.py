"""The REST adapters' mapping functions on payloads recorded from the sandbox systems
(`payloads/{crm,dms,payments}/*.json`), and on broken variants of them."""

import copy
import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base.errors import UpstreamBadResponse
from connectors.base.records import Amount, ContactFields, System
from connectors.crm import mapping as crm
from connectors.dms import mapping as dms
from connectors.payments import mapping as payments

PAYLOADS = Path(__file__).parent / "payloads"
TICKET_STATUS = {
    "new": "NEW",
    "in_progress": "IN_PROGRESS",
    "on_hold": "WAITING_ON_CUSTOMER",
    "solved": "RESOLVED",
    "closed": "CLOSED",
    "cancelled": "CANCELLED",
}
PRIORITY = {"0": "LOW", "1": "NORMAL", "2": "HIGH", "3": "URGENT"}


def recorded(system: str, name: str) -> Any:
    return json.loads((PAYLOADS / system / f"{name}.json").read_text(encoding="utf-8"))


def altered(payload: Any, change: Callable[[Any], object]) -> Any:
    """A deep copy of `payload` after `change` mutated it."""
    copied = copy.deepcopy(payload)
    change(copied)
    return copied


# -- CRM ---------------------------------------------------------------------------------


def test_every_odoo_stage_and_priority_maps() -> None:
    payload = recorded("crm", "tickets")

    tickets = crm.tickets(payload)

    assert {raw["stage"] for raw in payload} == set(TICKET_STATUS)
    for raw, ticket in zip(payload, tickets, strict=True):
        assert ticket.status == TICKET_STATUS[raw["stage"]]
        assert ticket.source_status.code == raw["stage"]
        assert ticket.priority == PRIORITY[raw["priority"]]
        assert ticket.sla.source_status == raw["sla"]["status"]
        assert (ticket.related_case is None) == (raw["related"] is None)


def test_a_ticket_page_carries_its_total() -> None:
    payload = recorded("crm", "ticket_page")

    tickets, total = crm.ticket_page(payload)

    assert [t.id for t in tickets] == [raw["id"] for raw in payload["items"]]
    assert total == payload["total"] > len(tickets)


def test_public_messages_drop_internal_notes_and_sort_oldest_first() -> None:
    payload = recorded("crm", "comments")
    assert any(raw["internal"] for raw in payload), "the recording has an internal note"

    messages = crm.public_messages(list(reversed(payload)))

    public = [raw for raw in payload if not raw["internal"]]
    assert sorted(m.id for m in messages) == sorted(raw["id"] for raw in public)
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)


def test_public_messages_in_several_offsets_sort_by_instant_then_id() -> None:
    """The sort key (`comparable`) orders the instants and breaks their ties by ID as the
    date-times themselves do, whatever offsets they are written in."""
    stamps = [
        "2026-03-01T10:00:00+01:00",
        "2026-03-01T09:00:00Z",  # the same instant as the first
        "2026-03-01T08:30:00-01:00",
        "2026-02-28T23:59:59+00:00",
        "2026-03-01T10:00:00+01:00",
    ]
    payload = recorded("crm", "comments")[:1] * len(stamps)
    payload = [
        {**copy.deepcopy(payload[index]), "id": f"c-{9 - index}", "created_at": stamp}
        for index, stamp in enumerate(stamps)
    ]
    for item in payload:
        item["internal"] = False

    messages = crm.public_messages(payload)

    expected = sorted(messages, key=lambda m: (m.created_at, m.id))
    assert messages == expected
    assert [m.id for m in messages] == ["c-6", "c-5", "c-8", "c-9", "c-7"]


def test_a_comment_that_does_not_say_whether_it_is_internal_fails_closed() -> None:
    payload = altered(recorded("crm", "comments"), lambda p: p[0].pop("internal"))

    with pytest.raises(UpstreamBadResponse) as raised:
        crm.public_messages(payload)

    assert raised.value.system is System.CRM


def test_contacts_map_empty_optional_fields_to_none() -> None:
    payload = altered(recorded("crm", "contacts"), lambda p: p[0].update(phone=None, function=""))

    contact, *_ = crm.contacts(payload)

    assert (contact.phone, contact.job_title) == (None, None)


def test_a_contact_write_sends_only_what_changes() -> None:
    form = crm.contact_form(ContactFields(email="lea@example.ch", phone="", job_title=None))
    assert form == {"email": "lea@example.ch", "phone": None}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (422, {"error": {"details": [{"field": "function", "code": "too_long", "message": "m"}]}},
         [("job_title", "TOO_LONG")]),
        (422, {"error": {"details": [{"field": "fax", "code": "blocked", "message": "m"}]}},
         [(None, "REFUSED")]),
        (404, None, [("contact_id", "NOT_FOUND")]),
        (422, {"error": {"message": "validation failed"}}, None),
        (422, None, None),
        (401, {"error": {"status": 401, "message": "missing or invalid bearer token"}}, None),
    ],
)  # fmt: skip
def test_contact_refusals(status: int, body: Any, expected: list[tuple[str, str]] | None) -> None:
    refused = crm.CONTACT_CHANGE(status, body)
    found = [(r.field, r.code) for r in refused.refusals] if refused else None
    assert found == expected


def test_a_garbled_refusal_is_a_bad_response() -> None:
    with pytest.raises(UpstreamBadResponse):
        crm.CONTACT_WRITE(422, {"error": {"details": [{"field": "email"}]}})


def test_only_a_write_to_a_contact_takes_404_for_an_unknown_one() -> None:
    assert crm.CONTACT_WRITE(404, {"error": {"status": 404, "message": "not found"}}) is None


def test_a_ticket_state_the_crm_refuses_keeps_its_words() -> None:
    closed = {"error": {"status": 409, "message": "ticket T-2026-0004 is closed"}}
    refused = crm.TICKET_CHANGE(409, closed)
    assert refused is not None
    assert [(r.field, r.code, r.message) for r in refused.refusals] == [
        ("ticket_id", "TICKET_STATE_CONFLICT", "ticket T-2026-0004 is closed")
    ]
    assert crm.CONTACT_CHANGE(409, closed) is None  # no state conflict for a contact


@pytest.mark.parametrize(
    "breakage",
    [
        lambda p: p[0].pop("subject"),
        lambda p: p[0].update(priority=2),
        lambda p: p[0].update(stage="escalated"),
        lambda p: p[0].update(created_at="yesterday"),
        lambda p: p[0].update(updated_at="2026-03-10T09:00:00"),
        lambda p: p[0].pop("sla"),
        lambda p: p[0]["sla"].update(status="late"),
        lambda p: p[0].update(related={"type": "contract", "id": "1"}),
        lambda p: p.append("not an object"),
    ],
    ids=[
        "missing",
        "wrong-type",
        "unknown-stage",
        "bad-date",
        "naive-date",
        "no-sla",
        "unknown-sla",
        "unknown-related",
        "not-an-object",
    ],
)
def test_broken_tickets_are_bad_responses(breakage: Callable[[Any], object]) -> None:
    with pytest.raises(UpstreamBadResponse):
        crm.tickets(altered(recorded("crm", "tickets"), breakage))


def test_a_ticket_answer_that_is_not_a_list_is_a_bad_response() -> None:
    with pytest.raises(UpstreamBadResponse):
        crm.tickets({"items": recorded("crm", "tickets")})


# -- DMS ---------------------------------------------------------------------------------


def test_tombstones_map_to_none_and_documents_to_unified_terms() -> None:
    payload = recorded("dms", "documents")

    entries = dms.document_entries(payload)

    assert [key for key, _ in entries] == [raw["id"] for raw in payload]
    for raw, (_, document) in zip(payload, entries, strict=True):
        if raw.get("deleted"):
            assert document is None
            continue
        assert document is not None
        assert document.document_type == raw["type"].upper()
        assert document.audience == raw["audience"].upper()
        assert document.uploaded_by == raw["uploaded_by"].upper()
        assert [(s.type, s.id) for s in document.subjects] == [
            (ref["type"].upper(), ref["id"]) for ref in raw["references"]
        ]
        assert document.latest_version.id == raw["latest_version"]["id"]
    assert any(document is None for _, document in entries), "the recording has a tombstone"


def test_versions_map_renditions() -> None:
    payload = recorded("dms", "versions")

    versions = dms.versions(payload)

    kinds = {"thumbnail": "THUMBNAIL", "preview_pdf": "PREVIEW_PDF"}
    for raw, version in zip(payload, versions, strict=True):
        assert (version.version_label, version.is_latest) == (raw["label"], raw["is_latest"])
        assert version.content_hash == raw["sha256"]
        assert [(r.kind, r.status) for r in version.renditions] == [
            (kinds[r["kind"]], r["status"].upper()) for r in raw["renditions"]
        ]
    assert {r.status for v in versions for r in v.renditions} >= {"READY", "UNAVAILABLE"}


def test_a_document_page_says_whether_more_follow() -> None:
    payload = recorded("dms", "document_page")

    documents, more = dms.document_page(payload)

    assert [d.id for d in documents] == [raw["id"] for raw in payload["objects"]]
    assert more is payload["has_more_items"] is True


@pytest.mark.parametrize(
    "breakage",
    [
        lambda p: p[0].update(type="memo"),
        lambda p: p[0].update(tags="zeichnung"),
        lambda p: p[0]["latest_version"].update(size="1216"),
        lambda p: p[0]["latest_version"].update(is_latest=1),
        lambda p: p[0]["references"].append({"type": "contact", "id": "x"}),
        lambda p: p[0]["latest_version"]["renditions"].append({"kind": "ocr", "status": "ready"}),
    ],
    ids=["type", "tags", "size", "bool", "reference", "rendition"],
)
def test_broken_documents_are_bad_responses(breakage: Callable[[Any], object]) -> None:
    with pytest.raises(UpstreamBadResponse) as raised:
        dms.document_entries(altered(recorded("dms", "documents"), breakage))

    assert raised.value.system is System.DMS


async def no_chunks() -> AsyncIterator[bytes]:
    yield b"%PDF"


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        (
            'attachment; filename="Auftragsbestatigung.pdf"; '
            "filename*=UTF-8''Auftragsbest%C3%A4tigung.pdf",
            "Auftragsbestätigung.pdf",
        ),
        ('attachment; filename="Lieferschein LS-1.pdf"', "Lieferschein LS-1.pdf"),
        ("attachment", "v-1"),
        (None, "v-1"),
    ],
)
def test_a_download_takes_the_exact_file_name(disposition: str | None, filename: str) -> None:
    downloaded = dms.downloaded(no_chunks(), "application/pdf", disposition, fallback_name="v-1")

    assert (downloaded.filename, downloaded.mime_type) == (filename, "application/pdf")


def test_a_download_without_content_type_is_octet_stream() -> None:
    assert dms.downloaded(no_chunks(), None, None, "v-1").mime_type == "application/octet-stream"


# -- payment provider --------------------------------------------------------------------


def intent(status: str) -> dict[str, Any]:
    """A recorded payment intent with the given Stripe status and a charge."""
    body = recorded("payments", "payment_intents")
    found: dict[str, Any] = next(
        raw for raw in body["data"] if raw["status"] == status and raw["latest_charge"]
    )
    return found


def test_recorded_intents_map_by_stripe_status() -> None:
    body = recorded("payments", "payment_intents")

    payments_found, cursor = payments.stripe_list(body, payments.payment)

    assert cursor is None
    statuses = {p.id: p.status for p in payments_found}
    for raw in body["data"]:
        refunded = (raw["latest_charge"] or {}).get("amount_refunded", 0)
        if raw["status"] == "succeeded" and refunded:
            assert statuses[raw["id"]] == "PARTIALLY_REFUNDED"
        elif raw["status"] == "requires_payment_method" and raw["last_payment_error"]:
            assert statuses[raw["id"]] == "FAILED"
        else:
            assert statuses[raw["id"]] == raw["status"].upper()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda p: p["latest_charge"].update(amount_refunded=p["amount"]), "REFUNDED"),
        (lambda p: p["latest_charge"].update(amount_refunded=1), "PARTIALLY_REFUNDED"),
        (lambda p: p["latest_charge"].update(disputed=True), "DISPUTED"),
        (lambda p: p.update(status="requires_capture"), "AUTHORIZED"),
        (lambda p: p.update(status="requires_confirmation"), "PENDING"),
        (lambda p: p.update(status="requires_payment_method"), "PENDING"),
        (lambda p: p.update(status="canceled"), "CANCELED"),
    ],
    ids=["refunded", "partial", "disputed", "capture", "confirmation", "method", "canceled"],
)
def test_the_charge_refines_the_status(change: Callable[[Any], object], status: str) -> None:
    assert payments.payment(altered(intent("succeeded"), change)).status == status


def test_a_succeeded_payment_is_settled_when_charged() -> None:
    raw = intent("succeeded")

    payment = payments.payment(raw)

    assert payment.settled_at is not None
    assert int(payment.settled_at.timestamp()) == raw["latest_charge"]["created"]


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (123456, "chf", Amount(Decimal("1234.56"), "CHF")),
        (5000, "eur", Amount(Decimal("50.00"), "EUR")),
        (5000, "jpy", Amount(Decimal(5000), "JPY")),
        (5000, "kwd", Amount(Decimal("5.000"), "KWD")),
    ],
)
def test_minor_units_follow_the_iso_4217_exponent(
    minor: int, currency: str, amount: Amount
) -> None:
    assert payments.amount(minor, currency) == amount


def test_allocations_come_from_the_metadata_string() -> None:
    raw = intent("processing")

    payment = payments.payment(raw)

    allocated = json.loads(raw["metadata"]["allocations"])
    assert [(a.invoice_id, a.amount.value * 100) for a in payment.allocations] == [
        (entry["invoice_id"], entry["amount"]) for entry in allocated
    ]


def test_an_intent_created_outside_the_portal_has_no_allocations() -> None:
    raw = altered(intent("processing"), lambda p: p["metadata"].pop("allocations"))

    assert payments.payment(raw).allocations == ()


def test_an_unknown_method_is_other() -> None:
    raw = altered(intent("processing"), lambda p: p.update(payment_method_types=["klarna"]))

    assert payments.payment(raw).method == "OTHER"


@pytest.mark.parametrize(
    "breakage",
    [
        lambda p: p["metadata"].update(allocations="[{invoice_id: 1}]"),
        lambda p: p["metadata"].update(allocations='[{"invoice_id": "9", "amount": "5"}]'),
        lambda p: p.update(latest_charge="ch_3MusterMulti001"),
        lambda p: p.pop("metadata"),
        lambda p: p.update(amount=1.5),
        lambda p: p.update(status="requires_magic"),
        lambda p: p.update(created="2026-03-10"),
    ],
    ids=["json", "amount-string", "unexpanded", "metadata", "float", "status", "created"],
)
def test_broken_intents_are_bad_responses(breakage: Callable[[Any], object]) -> None:
    with pytest.raises(UpstreamBadResponse) as raised:
        payments.payment(altered(intent("processing"), breakage))

    assert raised.value.system is System.PAYMENTS


def test_a_list_with_more_pages_gives_the_last_id_as_cursor() -> None:
    body = altered(recorded("payments", "refunds"), lambda p: p.update(has_more=True))

    refunds, cursor = payments.stripe_list(body, payments.refund)

    assert cursor == body["data"][-1]["id"] == refunds[-1].id


def test_refunds_map_status_and_amount() -> None:
    body = recorded("payments", "refunds")

    refunds, _ = payments.stripe_list(body, payments.refund)

    assert [(r.payment_id, r.status, r.amount.value * 100) for r in refunds] == [
        (raw["payment_intent"], raw["status"].upper(), raw["amount"]) for raw in body["data"]
    ]
