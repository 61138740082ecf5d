"""Documents, versions and renditions (DMS)."""

from datetime import datetime

import strawberry

from connectors.base import records as r
from resolvers import documents as resolve
from resolvers import renditions
from resolvers.context import Context
from resolvers.derived_files import RENDITION, derived_url
from resolvers.pagination import PageArgs, paginate
from schema.common import Connection, Node, Synced, connection, global_id
from schema.enums import DocumentAudience, DocumentType, RenditionKind, RenditionStatus, UploadedBy

Info = strawberry.Info[Context, None]


@strawberry.type(
    description=(
        "A derived view of a version: a thumbnail or a preview image of its first page (the "
        "DMS's own, or rendered by the gateway), or the DMS's preview PDF."
    )
)
class Rendition:
    kind: RenditionKind = strawberry.field(description="Thumbnail or preview.")
    status: RenditionStatus = strawberry.field(
        description=(
            "READY to show; PENDING while it is being made (ask again); UNAVAILABLE for a "
            "format that cannot be rendered: show `fallbackIcon` instead."
        )
    )
    mime_type: str | None = strawberry.field(description="The rendition's content type.")
    fallback_icon: str = strawberry.field(
        description=(
            "A generic icon for the file's format, to show until (or unless) the rendition is "
            "READY: pdf, image, cad, code, text, spreadsheet, archive or file."
        )
    )
    document: strawberry.Private[r.Document]
    version: strawberry.Private[r.DocumentVersion]
    served: strawberry.Private[bool]

    @classmethod
    def of(
        cls, view: renditions.RenditionView, document: r.Document, version: r.DocumentVersion
    ) -> "Rendition":
        return cls(
            kind=RenditionKind(view.kind),
            status=RenditionStatus(view.status),
            mime_type=view.mime_type,
            fallback_icon=renditions.fallback_icon(version.mime_type),
            document=document,
            version=version,
            served=view.served,
        )

    @strawberry.field(description="A short-lived signed link to the rendition when READY.")
    def url(self, info: Info) -> str | None:
        if not self.served:
            return None
        variant = f"{self.kind.value}:{self.version.id}"
        document = self.document
        ctx = info.context
        return derived_url(
            ctx.downloads, RENDITION, document.id, variant, document.customer, ctx.principal
        )


async def renditions_of(
    info: Info, document: r.Document, version: r.DocumentVersion
) -> list[Rendition]:
    found = await renditions.views(info.context.renditions, document, version)
    return [Rendition.of(view, document, version) for view in found]


@strawberry.type(description="One version of a document (CMIS version series).")
class DocumentVersion(Node):
    version_label: str = strawberry.field(description='The label, such as "1.0" or "1.1".')
    is_major: bool = strawberry.field(description="A major version (x.0).")
    is_latest: bool = strawberry.field(description="The newest version of the document.")
    checkin_comment: str | None = strawberry.field(description="What changed.")
    created_by: str = strawberry.field(description="Who created this version.")
    created_at: datetime = strawberry.field(description="When it was created.")
    mime_type: str = strawberry.field(description="The content type of the file.")
    filename: str = strawberry.field(description="The file name.")
    size: int = strawberry.field(description="The size in bytes.")
    content_hash: str = strawberry.field(description="The SHA-256 of the content, hex.")
    major: int | None = strawberry.field(
        description='The major version number ("2" of "2.1"); null for a non-numeric label.'
    )
    minor: int | None = strawberry.field(
        description='The minor version number ("1" of "2.1"); null for a non-numeric label.'
    )
    document: strawberry.Private[r.Document]
    record: strawberry.Private[r.DocumentVersion]

    @classmethod
    def of(cls, document: r.Document, version: r.DocumentVersion) -> "DocumentVersion":
        return cls(
            id=global_id("DocumentVersion", "dms", f"{document.id}/{version.id}"),
            version_label=version.version_label,
            is_major=version.is_major,
            is_latest=version.is_latest,
            checkin_comment=version.comment or None,
            created_by=version.created_by,
            created_at=version.created_at,
            mime_type=version.mime_type,
            filename=version.filename,
            size=version.size,
            content_hash=version.content_hash,
            major=version_number(version.version_label, 0),
            minor=version_number(version.version_label, 1),
            document=document,
            record=version,
        )

    @strawberry.field(
        description="A short-lived signed link to this version's bytes, streamed by the gateway."
    )
    def download_url(self, info: Info) -> str:
        return resolve.download_url(info.context, self.document, self.record)

    @strawberry.field(description="Thumbnail, preview image and preview PDF of this version.")
    async def renditions(self, info: Info) -> list[Rendition]:
        return await renditions_of(info, self.document, self.record)


def version_number(label: str, position: int) -> int | None:
    """A part of a `major.minor` label."""
    parts = label.split(".")
    return int(parts[position]) if len(parts) == 2 and all(p.isdigit() for p in parts) else None


@strawberry.type(
    description=(
        "A document shared with the customer (quote PDF, drawing, ...); visible only with "
        "the permission of its audience, `documents:read:<audience>`."
    )
)
class Document(Node, Synced):
    title: str = strawberry.field(description="The document's title.")
    document_type: DocumentType = strawberry.field(description="What the document is.")
    audience: DocumentAudience = strawberry.field(description="Who it is meant for.")
    tags: list[str] = strawberry.field(description="Free tags from the DMS.")
    uploaded_by: UploadedBy = strawberry.field(description="Customer or provider.")
    created_at: datetime = strawberry.field(description="When the first version was created.")
    updated_at: datetime = strawberry.field(description="When the latest version was created.")
    record: strawberry.Private[r.Document]

    @classmethod
    def of(cls, document: r.Document) -> "Document":
        return cls(
            id=global_id("Document", "dms", document.id),
            title=document.title,
            document_type=DocumentType(document.document_type),
            audience=DocumentAudience(document.audience),
            tags=list(document.tags),
            uploaded_by=UploadedBy(document.uploaded_by),
            created_at=document.created_at,
            updated_at=document.updated_at,
            record=document,
        )

    @strawberry.field(description="The newest version.")
    def latest_version(self) -> DocumentVersion:
        return DocumentVersion.of(self.record, self.record.latest_version)

    @strawberry.field(description="The content type of the latest version.")
    def mime_type(self) -> str:
        return self.record.latest_version.mime_type

    @strawberry.field(description="The size of the latest version, in bytes.")
    def size(self) -> int:
        return self.record.latest_version.size

    @strawberry.field(description="The version history, newest first (Relay connection).")
    async def versions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[DocumentVersion] | None:
        found = await resolve.versions(info.context, self.record)
        page = paginate(found, lambda v: v.id, "versions", PageArgs(first, after, last, before))
        return connection(page, lambda version: DocumentVersion.of(self.record, version))

    @strawberry.field(description="Thumbnail and preview image of the latest version's first page.")
    async def renditions(self, info: Info) -> list[Rendition]:
        return await renditions_of(info, self.record, self.record.latest_version)

    @strawberry.field(description="A short-lived signed link to the latest version's bytes.")
    def download_url(self, info: Info) -> str:
        return resolve.download_url(info.context, self.record, self.record.latest_version)


def documents_of(found: list[r.Document]) -> list[Document]:
    return [Document.of(document) for document in found]
