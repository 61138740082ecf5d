"""A person's export: every system's records about them gathered into one machine-readable
JSON document (UTF-8), and the document versions it lists, whose contents its archive holds.

    {"request": {"id", "type", "requestedAt"},
     "subject": {"organization", "email", "name"},
     "generatedAt": "…",
     "systems": [{"system": "erp", "status": "DONE" | "FAILED",
                  "records": [{"category", "kind", "id", "data": {…}}]}]}

`data` is the record in the portal's terms (field names as in `connectors.base.records`).
A system that could not be read is FAILED with no records; the others are complete.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from pydantic_core import to_jsonable_python

from connectors.base.errors import UpstreamError
from connectors.base.ports import PersonalDataPort
from connectors.base.records import DataSubject, PersonalRecord, PrivacyRequest, System

Note = Callable[[System, str], Awaitable[None]]
"""Records how far a system got (DONE, FAILED)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArchivedFile:
    """A document version whose content the export's archive holds."""

    document_id: str
    version_id: str
    path: str


async def gather(
    holders: Sequence[PersonalDataPort], subject: DataSubject, scope: frozenset[str], note: Note
) -> dict[System, list[PersonalRecord] | None]:
    """Every holder's records about `subject`, read concurrently; None for a system that failed."""

    async def one(holder: PersonalDataPort) -> list[PersonalRecord] | None:
        try:
            found = await holder.export_personal_data(subject, scope)
        except UpstreamError as error:
            log.warning("export from %s failed: %s", holder.system.value, error)
            await note(holder.system, "FAILED")
            return None
        await note(holder.system, "DONE")
        return found

    answers = await asyncio.gather(*(one(holder) for holder in holders))
    return {holder.system: answer for holder, answer in zip(holders, answers, strict=True)}


def document(
    request: PrivacyRequest,
    subject: DataSubject,
    found: dict[System, list[PersonalRecord] | None],
    generated_at: datetime,
) -> bytes:
    return orjson.dumps(
        {
            "request": {
                "id": request.id,
                "type": request.type,
                "requestedAt": request.requested_at.isoformat(),
            },
            "subject": {
                "organization": subject.customer,
                "email": subject.email,
                "name": subject.name,
            },
            "generatedAt": generated_at.isoformat(),
            "systems": [
                {
                    "system": system.value,
                    "status": "FAILED" if records is None else "DONE",
                    "records": [
                        {
                            "category": record.category,
                            "kind": record.kind,
                            "id": record.id,
                            "data": to_jsonable_python(record.data),
                        }
                        for record in records or ()
                    ],
                }
                for system, records in found.items()
            ],
        }
    )


def archived_files(exported: bytes) -> list[ArchivedFile]:
    """The document versions an export lists, each under `documents/<document>/<label> <file>`."""
    files = []
    for system in orjson.loads(exported)["systems"]:
        for record in system["records"]:
            if record["kind"] == "DOCUMENT_VERSION":
                data = record["data"]
                name = f"{data['version_label']} {data['filename']}".replace("/", "_")
                path = f"documents/{data['document_id']}/{name}"
                files.append(ArchivedFile(data["document_id"], data["id"], path))
    return files
