"""The DMS adapter's part of privacy requests (`PersonalDataPort`): a private customer's
documents with every version listed for an export (their contents are fetched as the export's
archive is written), and deleted for an erasure, but for those under a retention hold.

The documents of a company are the company's: for one of its members the DMS holds nothing to
export or erase.
"""

import asyncio
from typing import Protocol
from urllib.parse import quote

from connectors.base.ports import DocumentPort, ListFilter
from connectors.base.records import (
    CaseRef,
    DataSubject,
    ErasureOutcome,
    LegalHold,
    PersonalRecord,
    System,
)
from connectors.base.rest import RestClient
from connectors.dms import mapping

CATEGORY = "DOCUMENTS"


class DmsReads(DocumentPort, Protocol):
    """The DMS adapter's reads and its REST client."""

    _rest: RestClient


class DmsPrivacy:
    """`PersonalDataPort` of the DMS, mixed into `DmsAdapter`."""

    async def export_personal_data(
        self: DmsReads, subject: DataSubject, scope: frozenset[str]
    ) -> list[PersonalRecord]:
        if not subject.whole_customer or CATEGORY not in scope:
            return []
        documents = await self.list_documents(subject.customer, ListFilter())
        ids = [d.id for d in documents]
        versions = await self.versions_of(ids) if ids else []
        return [
            *(PersonalRecord(CATEGORY, "DOCUMENT", d.id, d) for d in documents),
            *(
                PersonalRecord(CATEGORY, "DOCUMENT_VERSION", v.id, v)
                for group in versions
                for v in group
            ),
        ]

    async def erase_personal_data(
        self: DmsReads, subject: DataSubject, scope: frozenset[str], request_id: str
    ) -> ErasureOutcome:
        if not subject.whole_customer or CATEGORY not in scope:
            return ErasureOutcome(System.DMS, "DONE")
        documents = await self.list_documents(subject.customer, ListFilter())
        answers = await asyncio.gather(
            *(delete(self._rest, d.id) for d in documents), return_exceptions=True
        )
        failed = next((a for a in answers if isinstance(a, BaseException)), None)
        if failed is not None:  # raised once every deletion has had its answer
            raise failed
        holds = tuple(answer for answer in answers if isinstance(answer, LegalHold))
        erased = tuple(answer for answer in answers if isinstance(answer, CaseRef))
        return ErasureOutcome(System.DMS, "HELD" if holds else "DONE", erased, holds)


async def delete(rest: RestClient, document_id: str) -> CaseRef | LegalHold:
    """Delete a document: erased (or gone already), or kept under its hold."""
    try:
        await rest.send_json(
            "DELETE",
            f"/api/documents/{quote(document_id, safe='')}",
            operation="DELETE /api/documents/{document_id}",
            refusal=mapping.refused_deletion(document_id),
            missing_ok=True,
        )
    except mapping.RetentionHeld as held:
        return held.hold
    return CaseRef("DOCUMENT", document_id)
