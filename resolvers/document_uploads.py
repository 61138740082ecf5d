"""Customer uploads to the DMS: a new document on a case, and the next version of a document.

A user uploads only documents of an audience they may read themselves, and adds versions only
to documents they can see. The file is checked here first (`resolvers.uploads`); the DMS
then applies its own limits and virus scan and stores the file whole or not at all, so every
refusal leaves nothing behind. Uploads are writes: sent once, never retried.
"""

from dataclasses import dataclass

from auth.policy import may_read_document
from connectors.base import records as r
from resolvers.access import readable
from resolvers.context import Context
from resolvers.loaders import case_key
from resolvers.uploads import IncomingFile, accept
from resolvers.writes import Problem, write_through

AUDIENCES = ("COMMERCIAL", "FINANCIAL", "TECHNICAL", "CONTRACT")
MAX_TITLE = 200
MAX_COMMENT = 1000
UPLOAD = ("input", "upload")
REFUSED_FILE = {
    "FILE_TOO_LARGE": "The document management system refuses files this large.",
    "CONTENT_TYPE_NOT_ALLOWED": "The document management system refuses this type of file.",
    "VIRUS_DETECTED": "The virus scan found malware in this file; it was not stored.",
}
"""The DMS's refusals of a file, in the gateway's words."""
NO_DOCUMENT = Problem(("input", "documentId"), "NOT_FOUND", "No document with this ID exists.")
SEND_AS_FILE = Problem(
    UPLOAD,
    "INVALID",
    "Send the file as a part of a multipart request (GraphQL multipart request spec).",
)


@dataclass(frozen=True)
class UploadRequest:
    subject: r.CaseRef | None
    """None when the ID names no case the viewer can see."""
    file: IncomingFile | None
    """None when the request carried no file part for it."""
    document_type: str
    audience: str
    title: str | None


@dataclass(frozen=True)
class VersionRequest:
    document_id: str | None
    """None when the ID is not a document's."""
    file: IncomingFile | None
    is_major: bool
    comment: str | None


async def upload(ctx: Context, request: UploadRequest) -> r.Document | list[Problem]:
    problems: list[Problem] = []
    if request.subject is None:
        problems.append(
            Problem(("input", "subjectId"), "NOT_FOUND", "No case with this ID exists.")
        )
    principal = ctx.principal
    if principal is None or not may_read_document(principal, request.audience):
        allowed = [a for a in AUDIENCES if principal and may_read_document(principal, a)]
        problems.append(
            Problem(
                ("input", "audience"),
                "AUDIENCE_NOT_ALLOWED",
                f"Upload only documents you may read yourself: {', '.join(allowed) or 'none'}.",
            )
        )
    title = _text(request.title, ("input", "title"), MAX_TITLE, problems)
    file = _accepted(ctx, request.file, problems)
    if problems or file is None or request.subject is None:
        return problems
    new = r.NewDocument(
        customer=ctx.tenant,
        title=title or file.filename.rpartition(".")[0] or file.filename,
        document_type=request.document_type,
        audience=request.audience,
        subjects=(request.subject,),
        created_by=_author(ctx),
        file=file,
    )
    write = ctx.writes.upstreams.documents.create_document(new)
    stale = {"subject_documents": [case_key(request.subject)]}
    lists = {"documents": ctx.tenant}
    return await write_through(ctx.writes, ctx.loaders, write, stale, lists, restate=_restated)


async def add_version(ctx: Context, request: VersionRequest) -> r.Document | list[Problem]:
    problems: list[Problem] = []
    found = await ctx.loaders.document.load(request.document_id) if request.document_id else None
    document = readable(ctx, found)
    if document is None:
        problems.append(NO_DOCUMENT)
    comment = _text(request.comment, ("input", "comment"), MAX_COMMENT, problems)
    file = _accepted(ctx, request.file, problems)
    if problems or file is None or document is None:
        return problems
    new = r.NewVersion(document.id, request.is_major, comment, _author(ctx), file)
    stale = {
        "document": [document.id],
        "versions": [document.id],
        "subject_documents": [case_key(subject) for subject in document.subjects],
    }
    lists = {"documents": document.customer}
    write = ctx.writes.upstreams.documents.add_version(new)
    updated = await write_through(ctx.writes, ctx.loaders, write, stale, lists, restate=_restated)
    return [NO_DOCUMENT] if updated is None else updated  # None: deleted in the DMS meanwhile


def _accepted(
    ctx: Context, file: IncomingFile | None, problems: list[Problem]
) -> r.FileContent | None:
    checked = accept(ctx.uploads, file, UPLOAD) if file is not None else SEND_AS_FILE
    if isinstance(checked, Problem):
        problems.append(checked)
        return None
    return checked


def _text(
    value: str | None, field: tuple[str, ...], limit: int, problems: list[Problem]
) -> str | None:
    """`value` stripped (None when blank), or a problem when too long or not printable."""
    text = (value or "").strip()
    if len(text) > limit or not all(ch.isprintable() or ch in "\n\t" for ch in text):
        problems.append(Problem(field, "INVALID", f"Use at most {limit} printable characters."))
    return text or None


def _author(ctx: Context) -> str:
    return ctx.principal.display_name if ctx.principal else "Portal"


def _restated(found: Problem) -> Problem:
    message = REFUSED_FILE.get(found.code)
    return found if message is None else Problem(found.field, found.code, message)
