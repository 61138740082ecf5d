"""One DataLoader per entity, built per request: each batches the keys of one event-loop tick
into one port call, read through the shared cache (connectors.base.caching).

The cache namespaces and TTLs are declared once in `ENTITIES`; `Settings.cache_ttl_s`
overrides TTLs by entity name.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from aiodataloader import DataLoader
from pydantic import TypeAdapter

from connectors.base import records as r
from connectors.base.caching import CachedEntity, read_through
from connectors.base.ports import ListFilter
from infra.cache import Cache
from resolvers.errors import upstream_failures
from resolvers.upstreams import Upstreams

T = TypeVar("T")


def _entity(namespace: str, ttl_s: float, record_type: Any) -> CachedEntity[Any]:
    return CachedEntity(namespace, ttl_s, TypeAdapter(record_type))


def _listed(namespace: str, ttl_s: float, record_type: Any) -> CachedEntity[Any]:
    """A customer's list, cached once per pushed-down filter and tagged by the customer."""
    return CachedEntity(namespace, ttl_s, TypeAdapter(record_type), list_customer)


def list_customer(cache_key: str) -> str:
    """The customer of a `ListKey.cache_key()`."""
    return cache_key.split("|", 1)[0]


ENTITIES: dict[str, CachedEntity[Any]] = {
    "customer": _entity("erp:customer", 300, r.Customer),
    "addresses": _entity("erp:addresses-of-customer", 300, list[r.Address]),
    "contacts": _entity("crm:contacts-of-customer", 300, list[r.Contact]),
    "quote": _entity("erp:quote", 60, r.Quote),
    "quotes": _listed("erp:quotes-of-customer", 30, list[r.Quote]),
    "quote_lines": _entity("erp:lines-of-quote", 300, list[r.DocumentLine]),
    "order": _entity("erp:order", 30, r.Order),
    "orders": _listed("erp:orders-of-customer", 30, list[r.Order]),
    "order_lines": _entity("erp:lines-of-order", 300, list[r.DocumentLine]),
    "deliveries": _entity("erp:deliveries-of-order", 30, list[r.Delivery]),
    "invoice": _entity("erp:invoice", 30, r.Invoice),
    "invoices": _listed("erp:invoices-of-customer", 30, list[r.Invoice]),
    "order_invoices": _entity("erp:invoices-of-order", 30, list[r.Invoice]),
    "credit_notes": _entity("erp:credit-notes-of-invoice", 60, list[r.Invoice]),
    "open_items": _entity("erp:open-items-of-customer", 30, list[r.OpenItem]),
    "payment": _entity("payments:payment", 15, r.Payment),
    "payments": _entity("payments:payments-of-customer", 15, list[r.Payment]),
    "refunds": _entity("payments:refunds-of-payment", 30, list[r.Refund]),
    "ticket": _entity("crm:ticket", 30, r.Ticket),
    "tickets": _listed("crm:tickets-of-customer", 30, list[r.Ticket]),
    "messages": _entity("crm:messages-of-ticket", 15, list[r.TicketMessage]),
    "document": _entity("dms:document", 120, r.Document),
    "documents": _listed("dms:documents-of-customer", 60, list[r.Document]),
    "subject_documents": _entity("dms:documents-of-subject", 60, list[r.Document]),
    "versions": _entity("dms:versions-of-document", 120, list[r.DocumentVersion]),
}


def entities_with_ttls(overrides: Mapping[str, float]) -> dict[str, CachedEntity[Any]]:
    unknown = set(overrides) - set(ENTITIES)
    if unknown:
        raise ValueError(f"unknown cache entities {sorted(unknown)}; known: {sorted(ENTITIES)}")
    return {
        name: replace(entity, ttl_s=overrides.get(name, entity.ttl_s))
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


def _case_key(ref: r.CaseRef) -> str:
    return f"{ref.type}:{ref.id}"


class Loaders:
    """The per-request loaders; build a new one for every request, never share it."""

    def __init__(
        self, upstreams: Upstreams, cache: Cache, entities: Mapping[str, CachedEntity[Any]]
    ) -> None:
        self._cache = cache
        self._entities = entities
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

        async def load(keys: list[str]) -> list[T | None]:
            async with upstream_failures():
                return await read_through(self._cache, entity, keys, fetch)

        return DataLoader(load)

    def _relation(
        self, name: str, fetch: Callable[[list[str]], Awaitable[Sequence[list[T]]]]
    ) -> "DataLoader[str, list[T]]":
        """The records related to each key (an order's lines): `[]` for an unknown key."""
        entity = self._entities[name]

        async def load(keys: list[str]) -> list[list[T]]:
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
