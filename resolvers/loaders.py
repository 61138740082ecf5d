"""One DataLoader per entity, built per request: each batches the keys of one event-loop tick
into one port call, read through the shared cache (connectors.base.caching).

The cache namespaces, TTLs and stale windows are declared once in `ENTITIES`;
`Settings.cache_ttl_s` and `Settings.cache_max_stale_s` override them by entity name. A key
the upstream failed for (with nothing stale to serve) fails alone, as a typed
`UpstreamFailure`; the freshness of every record returned is noted for the `sync` fields.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader
from pydantic import TypeAdapter

from connectors.base import records as r
from connectors.base.caching import CachedEntity, Outcome, ReadThrough
from connectors.base.errors import UpstreamError
from connectors.base.ports import ListFilter
from resolvers.errors import UpstreamFailure, client_failure
from resolvers.freshness import Freshness, Sync
from resolvers.upstreams import Upstreams

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


HOUR = 3600.0
HALF_HOUR = HOUR / 2
DAY = 24 * HOUR


def _entity(
    namespace: str, ttl_s: float, record_type: Any, max_stale_s: float = HOUR
) -> CachedEntity[Any]:
    return CachedEntity(namespace, ttl_s, TypeAdapter(record_type), max_stale_s)


ENTITIES: dict[str, CachedEntity[Any]] = {
    "customer": _entity("erp:customer", 300, r.Customer, DAY),
    "addresses": _entity("erp:addresses-of-customer", 300, list[r.Address], DAY),
    "contacts": _entity("crm:contacts-of-customer", 300, list[r.Contact], DAY),
    "quote": _entity("erp:quote", 60, r.Quote),
    "quotes": _entity("erp:quotes-of-customer", 30, list[r.Quote]),
    "quote_lines": _entity("erp:lines-of-quote", 300, list[r.DocumentLine], DAY),
    "order": _entity("erp:order", 30, r.Order),
    "orders": _entity("erp:orders-of-customer", 30, list[r.Order]),
    "order_lines": _entity("erp:lines-of-order", 300, list[r.DocumentLine], DAY),
    "deliveries": _entity("erp:deliveries-of-order", 30, list[r.Delivery]),
    "invoice": _entity("erp:invoice", 30, r.Invoice),
    "invoices": _entity("erp:invoices-of-customer", 30, list[r.Invoice]),
    "order_invoices": _entity("erp:invoices-of-order", 30, list[r.Invoice]),
    "credit_notes": _entity("erp:credit-notes-of-invoice", 60, list[r.Invoice]),
    "open_items": _entity("erp:open-items-of-customer", 30, list[r.OpenItem]),
    "payment": _entity("payments:payment", 15, r.Payment, HALF_HOUR),
    "payments": _entity("payments:payments-of-customer", 15, list[r.Payment], HALF_HOUR),
    "refunds": _entity("payments:refunds-of-payment", 30, list[r.Refund], HALF_HOUR),
    "ticket": _entity("crm:ticket", 30, r.Ticket),
    "tickets": _entity("crm:tickets-of-customer", 30, list[r.Ticket]),
    "messages": _entity("crm:messages-of-ticket", 15, list[r.TicketMessage]),
    "document": _entity("dms:document", 120, r.Document, DAY),
    "documents": _entity("dms:documents-of-customer", 60, list[r.Document], DAY),
    "subject_documents": _entity("dms:documents-of-subject", 60, list[r.Document], DAY),
    "versions": _entity("dms:versions-of-document", 120, list[r.DocumentVersion], DAY),
}
"""Payments go stale fastest: a portal must not show an old payment state for long."""


def configured_entities(
    ttls: Mapping[str, float], max_stale: Mapping[str, float]
) -> dict[str, CachedEntity[Any]]:
    """`ENTITIES` with TTLs and stale windows overridden by entity name."""
    unknown = (set(ttls) | set(max_stale)) - set(ENTITIES)
    if unknown:
        raise ValueError(f"unknown cache entities {sorted(unknown)}; known: {sorted(ENTITIES)}")
    return {
        name: CachedEntity(
            entity.namespace,
            ttls.get(name, entity.ttl_s),
            entity.codec,
            max_stale.get(name, entity.max_stale_s),
        )
        for name, entity in ENTITIES.items()
    }


@dataclass(frozen=True)
class ListKey:
    """The key of a list load: one customer's records matching a pushed-down filter."""

    customer: str
    query: ListFilter = field(default_factory=ListFilter)

    def cache_key(self) -> str:
        q = self.query
        return f"{self.customer}|{q.search or ''}|{q.date_from or ''}|{q.date_to or ''}"


def failing_keys(
    load: Callable[[list[K]], Coroutine[Any, Any, Sequence[V | UpstreamFailure]]],
) -> Callable[[list[K]], Coroutine[Any, Any, list[V]]]:
    """A batch function whose failed keys hold their exception: aiodataloader fails exactly
    those keys, though its types do not say so."""
    return cast(Callable[[list[K]], Coroutine[Any, Any, list[V]]], load)


def _case_key(ref: r.CaseRef) -> str:
    return f"{ref.type}:{ref.id}"


class Loaders:
    """The per-request loaders; build a new one for every request, never share it."""

    def __init__(
        self,
        upstreams: Upstreams,
        read: ReadThrough,
        entities: Mapping[str, CachedEntity[Any]],
    ) -> None:
        self._read = read
        self._entities = entities
        self.freshness = Freshness()
        u = upstreams
        self.customer = self._loader("customer", u.organizations.get_customers)
        self.addresses = self._relation("addresses", u.organizations.addresses_of)
        self.contacts = self._relation("contacts", u.contacts.contacts_of)
        self.quote = self._loader("quote", u.quotes.get_quotes)
        self.quotes = self._lists("quotes", u.quotes.list_quotes)
        self.quote_lines = self._relation("quote_lines", u.quotes.quote_lines)
        self.order = self._loader("order", u.orders.get_orders)
        self.orders = self._lists("orders", u.orders.list_orders)
        self.order_lines = self._relation("order_lines", u.orders.order_lines)
        self.deliveries = self._relation("deliveries", u.orders.deliveries_of)
        self.invoice = self._loader("invoice", u.invoices.get_invoices)
        self.invoices = self._lists("invoices", u.invoices.list_invoices)
        self.order_invoices = self._relation("order_invoices", u.invoices.invoices_of_orders)
        self.credit_notes = self._relation("credit_notes", u.invoices.credit_notes_of)
        self.open_items = self._relation("open_items", u.invoices.open_items)
        self.payment = self._loader("payment", u.payments.get_payments)
        self.payments = self._relation("payments", u.payments.payments_of)
        self.refunds = self._relation("refunds", u.payments.refunds_of)
        self.ticket = self._loader("ticket", u.tickets.get_tickets)
        self.tickets = self._lists("tickets", u.tickets.list_tickets)
        self.messages = self._relation("messages", u.tickets.messages_of)
        self.document = self._loader("document", u.documents.get_documents)
        self.documents = self._lists("documents", u.documents.list_documents)
        self.versions = self._relation("versions", u.documents.versions_of)
        self.subject_documents = self._by_case("subject_documents", u.documents.documents_of)

    def _loader(
        self, name: str, fetch: Callable[[list[str]], Awaitable[Sequence[T | None]]]
    ) -> "DataLoader[str, T | None]":
        """Records by ID: `None` for an unknown one."""
        entity = self._entities[name]

        async def load(keys: list[str]) -> list[T | UpstreamFailure | None]:
            return self._settle(await self._read.get_many(entity, keys, fetch))

        return DataLoader(failing_keys(load))

    def _relation(
        self, name: str, fetch: Callable[[list[str]], Awaitable[Sequence[list[T]]]]
    ) -> "DataLoader[str, list[T]]":
        """The records related to each key (an order's lines): `[]` for an unknown key."""
        entity = self._entities[name]

        async def load(keys: list[str]) -> list[list[T] | UpstreamFailure]:
            settled = self._settle(await self._read.get_many(entity, keys, fetch))
            return [[] if items is None else items for items in settled]

        return DataLoader(failing_keys(load))

    def _settle(self, outcomes: list[Outcome[T]]) -> list[T | UpstreamFailure | None]:
        """Values to return (their freshness noted) and failures to raise, key by key; one
        failure per upstream error, however many keys it failed."""
        failures: dict[int, UpstreamFailure] = {}
        settled: list[T | UpstreamFailure | None] = []
        for outcome in outcomes:
            if isinstance(outcome, UpstreamError):
                if id(outcome) not in failures:
                    failures[id(outcome)] = client_failure(outcome)
                settled.append(failures[id(outcome)])
            else:
                self.freshness.note(outcome.value, Sync(outcome.as_of, outcome.stale))
                settled.append(outcome.value)
        return settled

    def _lists(
        self, name: str, fetch: Callable[[str, ListFilter], Awaitable[list[T]]]
    ) -> "DataLoader[ListKey, list[T]]":
        """Keys are `ListKey`s; each distinct list is one upstream call (lists do not batch)."""
        by_cache_key: dict[str, ListKey] = {}

        async def fetch_lists(cache_keys: list[str]) -> list[list[T]]:
            keys = [by_cache_key[key] for key in cache_keys]
            return list(await asyncio.gather(*(fetch(k.customer, k.query) for k in keys)))

        inner = self._relation(name, fetch_lists)

        async def load(keys: list[ListKey]) -> list[list[T]]:
            for key in keys:
                by_cache_key[key.cache_key()] = key
            return await inner.load_many([key.cache_key() for key in keys])

        return DataLoader(load)

    def _by_case(
        self, name: str, fetch: Callable[[Sequence[r.CaseRef]], Awaitable[list[list[T]]]]
    ) -> "DataLoader[r.CaseRef, list[T]]":
        """Keys are `CaseRef`s, cached under `TYPE:id`."""

        async def fetch_refs(cache_keys: list[str]) -> list[list[T]]:
            refs = [r.CaseRef(*key.split(":", 1)) for key in cache_keys]
            return await fetch(refs)

        inner = self._relation(name, fetch_refs)

        async def load(refs: list[r.CaseRef]) -> list[list[T]]:
            return await inner.load_many([_case_key(ref) for ref in refs])

        return DataLoader(load)
