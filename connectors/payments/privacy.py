"""The payment provider adapter's part of privacy requests (`PersonalDataPort`,
`DeferredErasure`): a private customer's payments and refunds for an export; for an erasure a
redaction job, which the provider finishes later (PENDING until it has).

A company's payments are the company's: for one of its members the provider holds nothing to
export or erase.
"""

from typing import Protocol
from urllib.parse import quote

from connectors.base.ports import PaymentPort
from connectors.base.records import (
    CaseRef,
    DataSubject,
    ErasureOutcome,
    PersonalRecord,
    System,
)
from connectors.base.rest import RestClient
from connectors.payments import mapping

CATEGORY = "PAYMENTS"


class PaymentReads(PaymentPort, Protocol):
    """The provider adapter's reads and its REST client."""

    _rest: RestClient


class PaymentsPrivacy:
    """Mixed into `PaymentsAdapter`."""

    async def export_personal_data(
        self: PaymentReads, subject: DataSubject, scope: frozenset[str]
    ) -> list[PersonalRecord]:
        if not subject.whole_customer or CATEGORY not in scope:
            return []
        [payments] = await self.payments_of([subject.customer])
        refunds = await self.refunds_of([p.id for p in payments]) if payments else []
        return [
            *(PersonalRecord(CATEGORY, "PAYMENT", p.id, p) for p in payments),
            *(PersonalRecord(CATEGORY, "REFUND", r.id, r) for group in refunds for r in group),
        ]

    async def erase_personal_data(
        self: PaymentReads, subject: DataSubject, scope: frozenset[str], request_id: str
    ) -> ErasureOutcome:
        """A redaction job for the customer (one per request: its key is the request's);
        the payments it will remove are named now, while they can still be read."""
        if not subject.whole_customer or CATEGORY not in scope:
            return ErasureOutcome(System.PAYMENTS, "DONE")
        [payments] = await self.payments_of([subject.customer])
        body = await self._rest.post_form(
            "/v1/privacy/redaction_jobs",
            mapping.redaction_form([subject.customer]),
            headers={"Idempotency-Key": f"erasure-{request_id}"},
        )
        job, status = mapping.redaction_job(body)
        erased = tuple(CaseRef("PAYMENT", p.id) for p in payments)
        return ErasureOutcome(System.PAYMENTS, status, erased, reference=job)

    async def erasure_progress(self: PaymentReads, reference: str) -> ErasureOutcome:
        body = await self._rest.get(
            f"/v1/privacy/redaction_jobs/{quote(reference, safe='')}",
            operation="GET /v1/privacy/redaction_jobs/{job_id}",
        )
        job, status = mapping.redaction_job(body)
        return ErasureOutcome(System.PAYMENTS, status, reference=job)
