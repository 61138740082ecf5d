"""Persisted documents: automatic persisted queries (APQ, Apollo's protocol: the client sends
`extensions.persistedQuery.sha256Hash`, and the query text only when the gateway answers
`PERSISTED_QUERY_NOT_FOUND`) and trusted documents mode (only operations whose hash the
operator registered run at all, over HTTP and WebSocket alike).

Trusted documents come from a manifest (`{"<sha256>": "<query>", ...}`, as GraphQL Codegen's
and Relay's persisted-documents output) loaded into the store at start-up.
"""

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

from infra.documents import DocumentStore
from portalgraph.extensions import refuse

APQ_TTL_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class DocumentPolicy:
    store: DocumentStore
    trusted_only: bool
    """Trusted documents mode: refuse every document the operator did not register."""


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def read_manifest(path: Path) -> dict[str, str]:
    """The documents of a manifest, each checked against its hash."""
    documents = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(documents, dict):
        raise ValueError(f"{path}: a manifest maps SHA-256 hashes to documents")
    for sha, query in documents.items():
        if not isinstance(query, str) or sha256_of(query) != sha:
            raise ValueError(f"{path}: the document under {sha} does not have that hash")
    return documents


async def resolve_document(
    policy: DocumentPolicy, request: GraphQLRequestData, may_register: bool
) -> GraphQLRequestData | GraphQLError:
    """The request with its query text, from the store when only the hash was sent; an APQ
    with text is registered (for authenticated callers, outside trusted documents mode)."""
    persisted = (request.extensions or {}).get("persistedQuery")
    if not isinstance(persisted, dict):
        return request
    sha = persisted.get("sha256Hash")
    if persisted.get("version") != 1 or not isinstance(sha, str):
        return persisted_error("PERSISTED_QUERY_NOT_SUPPORTED", "Only persistedQuery version 1.")
    if request.query is not None:
        if sha256_of(request.query) != sha:
            return persisted_error("BAD_USER_INPUT", "The query does not match its sha256Hash.")
        if may_register and not policy.trusted_only:
            await policy.store.add_automatic(sha, request.query, APQ_TTL_S)
        return request
    query = await policy.store.trusted(sha)
    if query is None and not policy.trusted_only:
        query = await policy.store.automatic(sha)
    if query is None:
        return persisted_error("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
    return replace(request, query=query)


class TrustedDocumentsOnly(SchemaExtension):
    """In trusted documents mode, refuse any operation whose text the operator did not
    register (`TRUSTED_DOCUMENT_REQUIRED`) before it is validated or run.

    Example:
        build_schema([partial(TrustedDocumentsOnly, store=store)])
    """

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    async def on_validate(self) -> AsyncIterator[None]:
        query = self.execution_context.query
        if query is None or await self.store.trusted(sha256_of(query)) is None:
            refuse(
                self.execution_context,
                persisted_error(
                    "TRUSTED_DOCUMENT_REQUIRED",
                    "Only registered operations are accepted; send a registered document's hash.",
                ),
            )
        yield
