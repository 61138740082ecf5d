"""One DataLoader per entity, built per request: each batches the keys of one event-loop tick
into one port call, read through the shared cache (connectors.base.caching).

The cache namespaces and TTLs are declared once in `ENTITIES`; `Settings.cache_ttl_s`
overrides TTLs by entity name. A namespace starts with the upstream system; each batch call
to it first spends from the request's upstream budget (`spend(system)`, which may refuse).
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from aiodataloader import DataLoader
from opentelemetry import trace
from opentelemetry.trace import Span
from pydantic import TypeAdapter

from connectors.base import records as r
from connectors.base.caching import CachedEntity, read_through
from connectors.base.ports import ListFilter
from infra.cache import Cache
from resolvers.errors import upstream_failures
from resolvers.upstreams import Upstreams

T = TypeVar("T")
Spend = Callable[[str], Awaitable[None]]

tracer = trace.get_tracer(__name__)


def _entity(namespace: str, ttl_s: float, record_type: Any) -> CachedEntity[Any]:
    return CachedEntity(namespace, ttl_s, TypeAdapter(record_type))


ENTITIES: dict[str, CachedEntity[Any]] = {
    "customer": _entity("erp:customer", 300, r.Customer),
    "addresses": _entity("erp:addresses-of-customer", 300, list[r.Address]),
    "contacts": _entity("crm:contacts-of-customer", 300, list[r.Contact]),
    "quote": _entity("erp:quote", 60, r.Quote),
    "quotes": _entity("erp:quotes-of-customer", 30, list[r.Quote]),
    "quote_lines": _entity("erp:lines-of-quote", 300, list[r.DocumentLine]),
    "order": _entity("erp:order", 30, r.Order),
    "orders": _entity("erp:orders-of-customer", 30, list[r.Order]),
    "order_lines": _entity("erp:lines-of-order", 300, list[r.DocumentLine]),
    "deliveries": _entity("erp:deliveries-of-order", 30, list[r.Delivery]),
    "invoice": _entity("erp:invoice", 30, r.Invoice),
    "invoices": _entity("erp:invoices-of-customer", 30, list[r.Invoice]),
    "order_invoices": _entity("erp:invoices-of-order", 30, list[r.Invoice]),
    "credit_notes": _entity("erp:credit-notes-of-invoice", 60, list[r.Invoice]),
    "open_items": _entity("erp:open-items-of-customer", 30, list[r.OpenItem]),
    "payment": _entity("payments:payment", 15, r.Payment),
    "payments": _entity("payments:payments-of-customer", 15, list[r.Payment]),
    "refunds": _entity("payments:refunds-of-payment", 30, list[r.Refund]),
    "ticket": _entity("crm:ticket", 30, r.Ticket),
    "tickets": _entity("crm:tickets-of-customer", 30, list[r.Ticket]),
    "messages": _entity("crm:messages-of-ticket", 15, list[r.TicketMessage]),
    "document": _entity("dms:document", 120, r.Document),
    "documents": _entity("dms:documents-of-customer", 60, list[r.Document]),
    "subject_documents": _entity("dms:documents-of-subject", 60, list[r.Document]),
    "versions": _entity("dms:versions-of-document", 120, list[r.DocumentVersion]),
}


def entities_with_ttls(overrides: Mapping[str, float]) -> dict[str, CachedEntity[Any]]:
    unknown = set(overrides) - set(ENTITIES)
    if unknown:
        raise ValueError(f"unknown cache entities {sorted(unknown)}; known: {sorted(ENTITIES)}")
    return {
        name: CachedEntity(entity.namespace, overrides.get(name, entity.ttl_s), entity.codec)
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


def batch_span(name: str, keys: Sequence[object]) -> AbstractContextManager[Span]:
    """The trace span of one loader batch; its upstream calls are its children."""
    return tracer.start_as_current_span(
        f"load {name}", attributes={"portalgraph.loader": name, "portalgraph.batch_size": len(keys)}
    )


def _case_key(ref: r.CaseRef) -> str:
    return f"{ref.type}:{ref.id}"


class Loaders:
    """The per-request loaders; build a new one for every request, never share it. Each
    loader is built on first use: a request needs a few of them, not all."""

    def __init__(
        self,
        upstreams: Upstreams,
        cache: Cache,
        entities: Mapping[str, CachedEntity[Any]],
        spend: Spend | None = None,
    ) -> None:
        self._cache = cache
        self._entities = entities
        self._spend = spend
        self._upstreams = upstreams

    def _metered(
        self, entity: CachedEntity[Any], fetch: Callable[[list[str]], Awaitable[T]]
    ) -> Callable[[list[str]], Awaitable[T]]:
        spend, system = self._spend, entity.namespace.split(":", 1)[0]
        if spend is None:
            return fetch

        async def metered(keys: list[str]) -> T:
            await spend(system)
            return await fetch(keys)

        return metered

    @cached_property
    def customer(self) -> "DataLoader[str, r.Customer | None]":
        return self._loader("customer", self._upstreams.organizations.get_customers)

    @cached_property
    def addresses(self) -> "DataLoader[str, list[r.Address]]":
        return self._relation("addresses", self._upstreams.organizations.addresses_of)

    @cached_property
    def contacts(self) -> "DataLoader[str, list[r.Contact]]":
        return self._relation("contacts", self._upstreams.contacts.contacts_of)

    @cached_property
    def quote(self) -> "DataLoader[str, r.Quote | None]":
        return self._loader("quote", self._upstreams.quotes.get_quotes)

    @cached_property
    def quotes(self) -> "DataLoader[ListKey, list[r.Quote]]":
        return self._lists("quotes", self._upstreams.quotes.list_quotes)

    @cached_property
    def quote_lines(self) -> "DataLoader[str, list[r.DocumentLine]]":
        return self._relation("quote_lines", self._upstreams.quotes.quote_lines)

    @cached_property
    def order(self) -> "DataLoader[str, r.Order | None]":
        return self._loader("order", self._upstreams.orders.get_orders)

    @cached_property
    def orders(self) -> "DataLoader[ListKey, list[r.Order]]":
        return self._lists("orders", self._upstreams.orders.list_orders)

    @cached_property
    def order_lines(self) -> "DataLoader[str, list[r.DocumentLine]]":
        return self._relation("order_lines", self._upstreams.orders.order_lines)

    @cached_property
    def deliveries(self) -> "DataLoader[str, list[r.Delivery]]":
        return self._relation("deliveries", self._upstreams.orders.deliveries_of)

    @cached_property
    def invoice(self) -> "DataLoader[str, r.Invoice | None]":
        return self._loader("invoice", self._upstreams.invoices.get_invoices)

    @cached_property
    def invoices(self) -> "DataLoader[ListKey, list[r.Invoice]]":
        return self._lists("invoices", self._upstreams.invoices.list_invoices)

    @cached_property
    def order_invoices(self) -> "DataLoader[str, list[r.Invoice]]":
        return self._relation("order_invoices", self._upstreams.invoices.invoices_of_orders)

    @cached_property
    def credit_notes(self) -> "DataLoader[str, list[r.Invoice]]":
        return self._relation("credit_notes", self._upstreams.invoices.credit_notes_of)

    @cached_property
    def open_items(self) -> "DataLoader[str, list[r.OpenItem]]":
        return self._relation("open_items", self._upstreams.invoices.open_items)

    @cached_property
    def payment(self) -> "DataLoader[str, r.Payment | None]":
        return self._loader("payment", self._upstreams.payments.get_payments)

    @cached_property
    def payments(self) -> "DataLoader[str, list[r.Payment]]":
        return self._relation("payments", self._upstreams.payments.payments_of)

    @cached_property
    def refunds(self) -> "DataLoader[str, list[r.Refund]]":
        return self._relation("refunds", self._upstreams.payments.refunds_of)

    @cached_property
    def ticket(self) -> "DataLoader[str, r.Ticket | None]":
        return self._loader("ticket", self._upstreams.tickets.get_tickets)

    @cached_property
    def tickets(self) -> "DataLoader[ListKey, list[r.Ticket]]":
        return self._lists("tickets", self._upstreams.tickets.list_tickets)

    @cached_property
    def messages(self) -> "DataLoader[str, list[r.TicketMessage]]":
        return self._relation("messages", self._upstreams.tickets.messages_of)

    @cached_property
    def document(self) -> "DataLoader[str, r.Document | None]":
        return self._loader("document", self._upstreams.documents.get_documents)

    @cached_property
    def documents(self) -> "DataLoader[ListKey, list[r.Document]]":
        return self._lists("documents", self._upstreams.documents.list_documents)

    @cached_property
    def versions(self) -> "DataLoader[str, list[r.DocumentVersion]]":
        return self._relation("versions", self._upstreams.documents.versions_of)

    @cached_property
    def subject_documents(self) -> "DataLoader[r.CaseRef, list[r.Document]]":
        return self._by_case("subject_documents", self._upstreams.documents.documents_of)

    def _loader(
        self, name: str, fetch: Callable[[list[str]], Awaitable[Sequence[T | None]]]
    ) -> "DataLoader[str, T | None]":
        """Records by ID: `None` for an unknown one."""
        entity = self._entities[name]
        fetch = self._metered(entity, fetch)

        async def load(keys: list[str]) -> list[T | None]:
            with batch_span(name, keys):
                async with upstream_failures():
                    return await read_through(self._cache, entity, keys, fetch)

        return DataLoader(load)

    def _relation(
        self, name: str, fetch: Callable[[list[str]], Awaitable[Sequence[list[T]]]]
    ) -> "DataLoader[str, list[T]]":
        """The records related to each key (an order's lines): `[]` for an unknown key."""
        entity = self._entities[name]
        fetch = self._metered(entity, fetch)

        async def load(keys: list[str]) -> list[list[T]]:
            with batch_span(name, keys):
                async with upstream_failures():
                    found = await read_through(self._cache, entity, keys, fetch)
            return [items or [] for items in found]

        return DataLoader(load)

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
