"""Deleting a document with all its versions (CMIS `deleteObject`, `allVersions=true`), as a
privacy request's erasure does: the DMS keeps a tombstone (the ID answers `deleted`), the
content is gone.

Bookkeeping documents (invoices, credit notes, reminders) are under a retention hold for ten
years (`sandbox.retention`): deleting one is refused as a CMIS `constraint` (409) with the
reason `retention_hold` and the hold's last day (`retain_until`). An unknown or deleted
document is 404.
"""

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from sandbox.model import Seed
from sandbox.rest import Clock
from sandbox.retention import BOOKKEEPING_REASON, bookkeeping_until

BOOKKEEPING_TYPES = frozenset({"invoice", "credit_note", "reminder"})


class Deletion:
    def __init__(self, seed: Seed, clock: Clock, failure: Callable[..., Response]) -> None:
        self.seed = seed
        self.clock = clock
        self.failure = failure

    async def delete(self, request: Request) -> Response:
        document_id = request.path_params["document_id"]
        found = next(
            (d for d in self.seed.documents if d.id == document_id and not d.deleted), None
        )
        if found is None:
            return self.failure(404, f"no document {document_id}")
        if found.doc_type in BOOKKEEPING_TYPES:
            until = bookkeeping_until(found.versions[0].created_at.date())
            if until >= self.clock().date():
                return self.failure(
                    409,
                    f"{BOOKKEEPING_REASON} Kept until {until.isoformat()}.",
                    "retention_hold",
                    retain_until=until.isoformat(),
                )
        found.deleted = True
        for version in found.versions:
            version.content = b""
        return Response(status_code=204)
