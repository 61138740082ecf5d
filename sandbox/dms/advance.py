"""`/_advance` for the DMS: a document gets a new version (minor by default, `"major": true`
for the next major), and the DMS's webhook is sent."""

from dataclasses import replace
from typing import Any

from sandbox.advance import Advance, find
from sandbox.dms.writes import next_label, version_created
from sandbox.model import Seed
from sandbox.rest import Clock
from sandbox.webhooks import Webhooks


def dms_advances(seed: Seed, clock: Clock, webhooks: Webhooks) -> dict[str, Advance]:
    async def document(body: dict[str, Any]) -> dict[str, Any]:
        record = find(seed.documents, body.get("id"), "document")
        latest = record.versions[-1]
        label = next_label(latest.label, body.get("major") is True)
        extension = latest.filename.rsplit(".", 1)[-1]
        version = replace(
            latest,
            id=f"{record.id}-v{len(record.versions) + 1}",
            label=label,
            is_major=label.endswith(".0"),
            comment=str(body.get("comment") or f"Version {label}"),
            created_by=str(body.get("author") or "Provider"),
            created_at=clock(),
            filename=f"{record.title.replace(' ', '_')}_{label}.{extension}",
            content=latest.content + f"\n% revision {label}\n".encode(),
        )
        record.versions.append(version)
        delivery = await webhooks.deliver("dms", version_created(record, version))
        return {"document": record.id, "version": version.id, "label": label, "webhook": delivery}

    return {"document": document}
