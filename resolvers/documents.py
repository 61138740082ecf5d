"""Documents, their versions and download links (DMS); only of audiences the viewer may read,
so hidden ones are neither listed nor counted nor found by ID."""

from dataclasses import dataclass
from datetime import date

from connectors.base import records as r
from connectors.base.instants import comparable
from connectors.base.ports import ListFilter
from resolvers.access import readable, readable_all
from resolvers.context import Context
from resolvers.listing import Sort, page_of, within
from resolvers.loaders import ListKey
from resolvers.pagination import PageArgs, Slice

DOCUMENT_SORT_KEYS = {
    "CREATED_AT": lambda d: d.created_at,
    "UPDATED_AT": lambda d: d.updated_at,
    "TITLE": lambda d: d.title.casefold(),
}


@dataclass(frozen=True)
class DocumentFilter:
    types: frozenset[str] = frozenset()
    audiences: frozenset[str] = frozenset()
    subject: r.CaseRef | None = None
    search: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def accepts(self, document: r.Document) -> bool:
        return (
            (not self.types or document.document_type in self.types)
            and (not self.audiences or document.audience in self.audiences)
            and (self.subject is None or self.subject in document.subjects)
        )


async def documents(
    ctx: Context, where: DocumentFilter, sort: Sort, page: PageArgs
) -> Slice[r.Document]:
    if where.subject is not None:
        found = [
            document
            for document in await of_subject(ctx, where.subject)
            if within(document.updated_at.date(), where.date_from, where.date_to)
            and (not where.search or where.search.casefold() in document.title.casefold())
        ]
    else:
        query = ListFilter(where.search, where.date_from, where.date_to)
        found = readable_all(ctx, await ctx.loaders.documents.load(ListKey(ctx.tenant, query)))
    return page_of(filter(where.accepts, found), sort, DOCUMENT_SORT_KEYS, "documents", page)


async def document(ctx: Context, document_id: str) -> r.Document | None:
    return readable(ctx, await ctx.loaders.document.load(document_id))


async def readable_by_id(ctx: Context, ids: list[str]) -> list[r.Document | None]:
    """Each document the viewer may read, else None (unknown, deleted, another audience)."""
    return [readable(ctx, found) for found in await ctx.loaders.document.load_many(ids)]


async def of_subject(ctx: Context, subject: r.CaseRef) -> list[r.Document]:
    found: list[r.Document] = await ctx.loaders.subject_documents.load(subject)
    return sorted(
        readable_all(ctx, found), key=lambda d: (comparable(d.created_at), d.id), reverse=True
    )


async def versions(ctx: Context, document: r.Document) -> list[r.DocumentVersion]:
    found: list[r.DocumentVersion] = await ctx.loaders.versions.load(document.id)
    return found


def download_url(ctx: Context, document: r.Document, version: r.DocumentVersion) -> str:
    """A short-lived link for this viewer in this organization; minted after the ownership
    check."""
    return ctx.downloads.link(document.id, version.id, document.customer, ctx.principal)
