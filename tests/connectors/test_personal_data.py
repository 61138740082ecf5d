"""The privacy ports of every adapter against the sandbox systems on loopback: one contract
(exports name the person's records only and keep to the scope; erasures answer done, held or
pending), then what each system keeps and how a refusal reads. Reads run on a sandbox of the
module's own; each erasure on a fresh one."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from connectors.base.errors import UpstreamError, UpstreamRefused
from connectors.base.ports import DeferredErasure, PersonalDataPort, PrivacyRequestPort
from connectors.base.records import (
    DataSubject,
    ErasureOutcome,
    NewPrivacyRequest,
    PrivacyRequestUpdate,
    System,
)
from connectors.crm import CrmAdapter
from connectors.dms import DmsAdapter
from connectors.payments import PaymentsAdapter
from sandbox.seed import MUSTER, SOPHIE
from sandbox.server import CRM_TOKEN, DMS_TOKEN, PAYMENTS_SECRET_KEY, Sandbox
from tests.erp_fixtures import connect_erp
from tests.rest_fixtures import bearer_client, fast_guard
from tests.stack import running_sandbox
from tests.waiting import wait_until

EVERYTHING = frozenset({"PROFILE", "SALES", "INVOICES", "PAYMENTS", "SUPPORT", "DOCUMENTS",
                        "CONSENTS", "ACCOUNT"})  # fmt: skip
SYSTEMS = ("erp", "crm", "dms", "payments")
SOPHIE_ROSSI = DataSubject(SOPHIE, "sophie.rossi@example.ch", "Sophie Rossi", "u-sophie", True)
DANIEL = DataSubject(MUSTER, "daniel.huber@muster-maschinenbau.ch", "Daniel Huber", "u-dan", False)


@asynccontextmanager
async def adapters_of(sandbox: Sandbox) -> AsyncIterator[dict[str, PersonalDataPort]]:
    crm = CrmAdapter(bearer_client(sandbox.url("crm"), CRM_TOKEN), fast_guard(System.CRM))
    dms = DmsAdapter(bearer_client(sandbox.url("dms"), DMS_TOKEN), fast_guard(System.DMS))
    payments = PaymentsAdapter(
        bearer_client(sandbox.url("payments"), PAYMENTS_SECRET_KEY), fast_guard(System.PAYMENTS)
    )
    erp = await connect_erp(sandbox.erp_url)
    built: dict[str, PersonalDataPort] = {"erp": erp, "crm": crm, "dms": dms, "payments": payments}
    try:
        yield built
    finally:
        for adapter in (erp, crm, dms, payments):
            await adapter.aclose()


@pytest.fixture(scope="module")
async def holders(own_sandbox: Sandbox) -> AsyncIterator[dict[str, PersonalDataPort]]:
    async with adapters_of(own_sandbox) as built:
        yield built


@pytest.fixture
async def fresh() -> AsyncIterator[tuple[Sandbox, dict[str, PersonalDataPort]]]:
    """A sandbox of the test's own, for an erasure, and adapters on it."""
    with running_sandbox() as sandbox:
        async with adapters_of(sandbox) as built:
            yield sandbox, built


@pytest.mark.parametrize("system", SYSTEMS)
async def test_a_private_customers_export_holds_their_records_only(
    holders: dict[str, PersonalDataPort], system: str
) -> None:
    holder = holders[system]
    assert isinstance(holder, PersonalDataPort)
    assert holder.system.value == system
    found = await holder.export_personal_data(SOPHIE_ROSSI, EVERYTHING)
    assert found
    for record in found:
        assert record.category in EVERYTHING | {"PRIVACY_REQUESTS"}
        assert getattr(record.data, "customer", SOPHIE) == SOPHIE, record


@pytest.mark.parametrize("system", SYSTEMS)
async def test_an_export_keeps_to_its_scope(
    holders: dict[str, PersonalDataPort], system: str
) -> None:
    found = await holders[system].export_personal_data(SOPHIE_ROSSI, frozenset({"CONSENTS"}))
    assert {record.category for record in found} <= {"CONSENTS", "PRIVACY_REQUESTS"}


async def test_a_company_member_is_found_by_address_login_and_name(
    own_sandbox: Sandbox, holders: dict[str, PersonalDataPort]
) -> None:
    seed = own_sandbox.seed
    for system in ("erp", "dms", "payments"):  # a company's records are the company's
        assert await holders[system].export_personal_data(DANIEL, EVERYTHING) == []
    found = await holders["crm"].export_personal_data(DANIEL, EVERYTHING)
    assert {(r.kind, r.id) for r in found} == (
        {("CONTACT", c.id) for c in seed.contacts if c.email == DANIEL.email}
        | {("CONSENT", c.id) for c in seed.consents if c.email == DANIEL.email}
        | {
            ("MESSAGE", c.id)
            for c in seed.comments
            if c.author == DANIEL.name and not c.internal and not c.author_is_staff
        }
        | {("PRIVACY_REQUEST", r.id) for r in seed.privacy_requests if r.email == DANIEL.email}
    )


async def test_erasures_answer_done_held_or_pending(
    fresh: tuple[Sandbox, dict[str, PersonalDataPort]],
) -> None:
    sandbox, holders = fresh
    seed = sandbox.seed
    invoices = {i.id for i in seed.invoices if i.customer == SOPHIE}
    contacts = {c.id for c in seed.contacts if c.customer == SOPHIE}
    intents = {i.id for i in seed.payment_intents if i.customer == SOPHIE}

    erp = await holders["erp"].erase_personal_data(SOPHIE_ROSSI, EVERYTHING, "PRQ-T1")
    assert erp.status == "HELD"
    assert {(h.kind, h.record_id) for h in erp.holds} == {
        ("INVOICE", i) for i in invoices
    } | {("CUSTOMER", SOPHIE)}  # fmt: skip
    assert {ref.type for ref in erp.erased} == {"ADDRESS", "ORDER", "DELIVERY"}
    crm = await holders["crm"].erase_personal_data(SOPHIE_ROSSI, EVERYTHING, "PRQ-T1")
    assert crm.status == "DONE"
    assert {ref.id for ref in crm.erased if ref.type == "CONTACT"} == contacts
    assert not [c for c in seed.consents if c.company_id == SOPHIE]
    dms = await holders["dms"].erase_personal_data(SOPHIE_ROSSI, EVERYTHING, "PRQ-T1")
    assert dms.status == "HELD"
    assert {h.record_id for h in dms.holds} == {
        d.id for d in seed.documents if d.customer == SOPHIE and d.doc_type == "invoice"
    }

    payments = holders["payments"]
    pending = await payments.erase_personal_data(SOPHIE_ROSSI, EVERYTHING, "PRQ-T1")
    assert pending.status == "PENDING"
    assert {ref.id for ref in pending.erased} == intents
    assert isinstance(payments, DeferredErasure)
    assert pending.reference is not None
    reference = pending.reference
    now: list[ErasureOutcome] = []

    async def finished() -> bool:
        now.append(await payments.erasure_progress(reference))
        return now[-1].status == "DONE"

    await wait_until(finished, deadline_s=10, interval_s=0.2)
    assert not [i for i in seed.payment_intents if i.customer == SOPHIE]
    again = await payments.erase_personal_data(SOPHIE_ROSSI, EVERYTHING, "PRQ-T1")
    assert again.reference == reference  # the same job: its key is the request's


async def test_an_open_disputes_messages_are_kept_and_others_made_anonymous(
    fresh: tuple[Sandbox, dict[str, PersonalDataPort]],
) -> None:
    sandbox, holders = fresh
    crm = holders["crm"]
    daniels = await crm.erase_personal_data(DANIEL, frozenset({"SUPPORT"}), "PRQ-T2")
    assert daniels.status == "HELD"
    [hold] = daniels.holds
    dispute = next(t for t in sandbox.seed.tickets if t.related_id == "90000008")
    assert (hold.kind, hold.record_id) == ("MESSAGE", f"{dispute.id}-C1")
    assert dispute.subject in hold.reason
    beat = DataSubject(MUSTER, "beat.frei@muster-maschinenbau.ch", "Beat Frei", "u-beat", False)
    written = {c.id for c in sandbox.seed.comments if c.author == "Beat Frei"}
    assert written
    beats = await crm.erase_personal_data(beat, frozenset({"SUPPORT", "CONSENTS"}), "PRQ-T3")
    assert (beats.status, {ref.id for ref in beats.erased}) == ("DONE", written)
    by_id = {c.id: c for c in sandbox.seed.comments}
    assert {by_id[c].author for c in written} == {"Former user"}  # the thread stays


async def test_refusals_read_in_the_portals_terms(
    fresh: tuple[Sandbox, dict[str, PersonalDataPort]],
) -> None:
    _, holders = fresh
    stranger = DataSubject("0009999999", "x@example.ch", "X", "u-x", True)
    with pytest.raises(UpstreamRefused) as unknown:
        await holders["erp"].erase_personal_data(stranger, EVERYTHING, "PRQ-T4")
    assert [r.code for r in unknown.value.refusals] == ["NOT_FOUND"]
    crm = holders["crm"]
    assert isinstance(crm, CrmAdapter)
    requests: PrivacyRequestPort = crm
    new = NewPrivacyRequest(SOPHIE, SOPHIE_ROSSI.email, "u-sophie", "EXPORT", ())
    opened = await requests.open_privacy_request(new)
    assert (opened.status, opened.type, opened.customer) == ("RECEIVED", "EXPORT", SOPHIE)
    with pytest.raises(UpstreamRefused) as twice:
        await requests.open_privacy_request(new)
    assert [r.code for r in twice.value.refusals] == ["REQUEST_IN_PROGRESS"]
    with pytest.raises(UpstreamRefused) as scope:
        await requests.open_privacy_request(
            NewPrivacyRequest(SOPHIE, SOPHIE_ROSSI.email, "u-sophie", "ERASURE", ())
        )
    assert [(r.field, r.code) for r in scope.value.refusals] == [("scope", "REQUIRED")]
    done = await requests.update_privacy_request(opened.id, PrivacyRequestUpdate("COMPLETED", ()))
    assert done.completed_at is not None
    with pytest.raises(UpstreamRefused) as final:
        await requests.update_privacy_request(opened.id, PrivacyRequestUpdate("IN_PROGRESS", ()))
    assert [r.code for r in final.value.refusals] == ["REQUEST_FINISHED"]


@pytest.mark.parametrize(
    ("system", "operation"),
    [
        ("erp", "EraseCustomerData"),
        ("crm", "POST /api/v1/privacy/erasures"),
        ("dms", "DELETE /api/documents/{document_id}"),
        ("payments", "POST /v1/privacy/redaction_jobs"),
    ],
)
async def test_an_erasure_is_sent_once_even_when_it_fails(
    own_sandbox: Sandbox, holders: dict[str, PersonalDataPort], system: str, operation: str
) -> None:
    async with httpx.AsyncClient(base_url=own_sandbox.url(system), timeout=5.0) as control:
        await control.post("/_faults", json={"mode": "down", "operations": [operation]})
        await control.post("/_stats/reset")
        try:
            with pytest.raises(UpstreamError):
                await holders[system].erase_personal_data(SOPHIE_ROSSI, EVERYTHING, "PRQ-T5")
            counts = (await control.get("/_stats")).json()["by_operation"]
        finally:
            await control.post("/_faults", json={"mode": "ok"})
    documents = [d for d in own_sandbox.seed.documents if d.customer == SOPHIE and not d.deleted]
    assert counts[operation] == (len(documents) if system == "dms" else 1)  # never repeated
