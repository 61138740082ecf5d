"""Documents, versions and renditions (DMS)."""

from datetime import datetime

import strawberry

from connectors.base import records as r
from resolvers import documents as resolve
from resolvers.context import Context
from schema.common import Node, Synced, global_id
from schema.enums import DocumentAudience, DocumentType, RenditionKind, RenditionStatus, UploadedBy

Info = strawberry.Info[Context, None]


@strawberry.type(description="A derived view of a version: thumbnail or preview.")
class Rendition:
    kind: RenditionKind = strawberry.field(description="Thumbnail or preview.")
    status: RenditionStatus = strawberry.field(
        description="READY to show; UNAVAILABLE means the portal shows a generic icon instead."
    )
    mime_type: str | None = strawberry.field(description="The rendition's content type.")


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
    renditions: list[Rendition] = strawberry.field(description="Thumbnails and previews.")
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
            renditions=[
                Rendition(
                    kind=RenditionKind(rendition.kind),
                    status=RenditionStatus(rendition.status),
                    mime_type=rendition.mime_type,
                )
                for rendition in version.renditions
            ],
            document=document,
            record=version,
        )

    @strawberry.field(
        description="A short-lived signed link to this version's bytes, streamed by the gateway."
    )
    def download_url(self, info: Info) -> str:
        return resolve.download_url(info.context, self.document, self.record)


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

    @strawberry.field(description="Every version, newest first.")
    async def versions(self, info: Info) -> list[DocumentVersion] | None:
        found = await resolve.versions(info.context, self.record)
        return [DocumentVersion.of(self.record, version) for version in found]

    @strawberry.field(description="A short-lived signed link to the latest version's bytes.")
    def download_url(self, info: Info) -> str:
        return resolve.download_url(info.context, self.record, self.record.latest_version)


def documents_of(found: list[r.Document]) -> list[Document]:
    return [Document.of(document) for document in found]
