"""Uploading documents: `uploadDocument` and `addDocumentVersion` (DMS). The file travels as a
part of a GraphQL multipart request (the `graphql-multipart-request-spec`); the view accepts
multipart requests for mutations only."""

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from auth.permissions import requires
from auth.policy import Permission
from resolvers import document_uploads as resolve
from resolvers.context import Context
from resolvers.uploads import HEAD_BYTES, IncomingFile
from schema.common import UserError
from schema.documents import Document, DocumentVersion
from schema.enums import DocumentAudience, DocumentType
from schema.payloads import external_id_of, user_errors
from schema.resolution import visible_case

Info = strawberry.Info[Context, None]


@strawberry.input(description="A new document on one of the organization's cases.")
class UploadDocumentInput:
    subject_id: strawberry.ID = strawberry.field(
        description="The case the document belongs to: a quote, order, invoice, ticket or booking."
    )
    upload: Upload = strawberry.field(
        description="The file, sent as a part of the multipart request (PDF, PNG, JPEG, "
        "DWG/DXF, Office, TXT or CSV within the size limit)."
    )
    document_type: DocumentType = strawberry.field(description="What the document is.")
    audience: DocumentAudience = strawberry.field(
        description="Who may read it: an audience the uploader may read."
    )
    title: str | None = strawberry.field(
        default=None, description="The title; the file name without its extension if left out."
    )


@strawberry.type(description="The document stored, with its first version 1.0.")
class UploadDocumentPayload:
    document: Document | None = strawberry.field(description="The document; null on user errors.")
    user_errors: list[UserError] = strawberry.field(description="Why the upload was refused.")


@strawberry.input(description="The next version of a document.")
class AddDocumentVersionInput:
    document_id: strawberry.ID = strawberry.field(description="The document's global ID.")
    upload: Upload = strawberry.field(
        description="The file, sent as a part of the multipart request."
    )
    is_major: bool = strawberry.field(
        default=False, description="The next major version (1.1 → 2.0) instead of a minor one."
    )
    comment: str | None = strawberry.field(default=None, description="What changed.")


@strawberry.type(description="The document with its new version as the latest.")
class AddDocumentVersionPayload:
    document: Document | None = strawberry.field(description="The document; null on user errors.")
    version: DocumentVersion | None = strawberry.field(
        description="The new version; null on user errors."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the upload was refused.")


async def incoming(upload: object) -> IncomingFile | None:
    """The file part of a multipart request; None for anything else (a JSON value)."""
    if not isinstance(upload, UploadFile):
        return None
    head = await upload.read(HEAD_BYTES)
    await upload.seek(0)
    return IncomingFile(
        upload.filename or "", upload.content_type, upload.size or 0, head, upload.file
    )


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(
        description="Upload a document to a case (virus-scanned by the DMS; stored whole or "
        "not at all).",
        extensions=requires(Permission.DOCUMENTS_WRITE),
    )
    async def upload_document(
        self, info: Info, input: UploadDocumentInput
    ) -> UploadDocumentPayload:
        request = resolve.UploadRequest(
            subject=await visible_case(info, input.subject_id),
            file=await incoming(input.upload),
            document_type=input.document_type.value,
            audience=input.audience.value,
            title=input.title,
        )
        outcome = await resolve.upload(info.context, request)
        if isinstance(outcome, list):
            return UploadDocumentPayload(document=None, user_errors=user_errors(outcome))
        return UploadDocumentPayload(document=Document.of(outcome), user_errors=[])

    @strawberry.mutation(
        description="Check in the next version of a document: minor (1.0 → 1.1) or major (→ 2.0).",
        extensions=requires(Permission.DOCUMENTS_WRITE),
    )
    async def add_document_version(
        self, info: Info, input: AddDocumentVersionInput
    ) -> AddDocumentVersionPayload:
        request = resolve.VersionRequest(
            document_id=external_id_of(input.document_id, "Document"),
            file=await incoming(input.upload),
            is_major=input.is_major,
            comment=input.comment,
        )
        outcome = await resolve.add_version(info.context, request)
        if isinstance(outcome, list):
            return AddDocumentVersionPayload(
                document=None, version=None, user_errors=user_errors(outcome)
            )
        return AddDocumentVersionPayload(
            document=Document.of(outcome),
            version=DocumentVersion.of(outcome, outcome.latest_version),
            user_errors=[],
        )
