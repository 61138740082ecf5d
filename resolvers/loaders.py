"""One DataLoader per entity, built per request: each batches the keys of one event-loop tick
into one port call, read through the shared cache (connectors.base.caching).

The cache namespaces, TTLs and stale windows are declared once in `ENTITIES`;
`Settings.cache_ttl_s` and `Settings.cache_max_stale_s` override them by entity name. A key
the upstream failed for (with nothing stale to serve) fails alone, as a typed
`UpstreamFailure`; the freshness of every record returned is noted for the `sync` fields. A
namespace starts with the upstream system; each batch call to it first spends from the
request's upstream budget (`spend(system)`, which may refuse).
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, partial
from typing import Any, Protocol, TypeVar, cast

from aiodataloader import DataLoader
from opentelemetry import trace
from opentelemetry.trace import Span
from pydantic import TypeAdapter

from auth.admin import Account
from connectors.base import records as r
from connectors.base.caching import CachedEntity, Outcome, ReadThrough
from connectors.base.errors import UpstreamError
from connectors.base.ports import ListFilter, ThreadPort
from resolvers.errors import UpstreamFailure, client_failure
from resolvers.freshness import Freshness, Sync
from resolvers.upstreams import Upstreams

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
Spend = Callable[[str], Awaitable[None]]

tracer = trace.get_tracer(__name__)


HOUR = 3600.0
HALF_HOUR = HOUR / 2
DAY = 24 * HOUR


def _entity(
    namespace: str, ttl_s: float, record_type: Any, max_stale_s: float = HOUR
) -> CachedEntity[Any]:
    return CachedEntity(namespace, ttl_s, TypeAdapter(record_type), max_stale_s)


def _listed(
    namespace: str, ttl_s: float, record_type: Any, max_stale_s: float = HOUR
) -> CachedEntity[Any]:
    """A list cached once per variant (a customer's list per pushed-down filter, an
    offering's slots per range) and tagged by its group (`key_group`)."""
    return CachedEntity(namespace, ttl_s, TypeAdapter(record_type), max_stale_s, key_group)


def key_group(cache_key: str) -> str:
    """The group of a `ListKey` or `SlotRange` cache key: its customer or its offering."""
    return cache_key.split("|", 1)[0]


ENTITIES: dict[str, CachedEntity[Any]] = {
    "customer": _entity("erp:customer", 300, r.Customer, DAY),
    "addresses": _entity("erp:addresses-of-customer", 300, list[r.Address], DAY),
    "contacts": _entity("crm:contacts-of-customer", 300, list[r.Contact], DAY),
    "consents": _entity("crm:consents-of-customer", 300, list[r.Consent], HOUR),
    "privacy_requests": _entity("crm:privacy-requests-of-customer", 60, list[r.PrivacyRequest]),
    "segment": _entity("crm:segment-of-customer", 300, r.CustomerSegment, DAY),
    "quote": _entity("erp:quote", 60, r.Quote),
    "quotes": _listed("erp:quotes-of-customer", 30, list[r.Quote]),
    "quote_lines": _entity("erp:lines-of-quote", 300, list[r.DocumentLine], DAY),
    "order": _entity("erp:order", 30, r.Order),
    "orders": _listed("erp:orders-of-customer", 30, list[r.Order]),
    "order_lines": _entity("erp:lines-of-order", 300, list[r.DocumentLine], DAY),
    "deliveries": _entity("erp:deliveries-of-order", 30, list[r.Delivery]),
    "invoice": _entity("erp:invoice", 30, r.Invoice),
    "invoices": _listed("erp:invoices-of-customer", 30, list[r.Invoice]),
    "order_invoices": _entity("erp:invoices-of-order", 30, list[r.Invoice]),
    "credit_notes": _entity("erp:credit-notes-of-invoice", 60, list[r.Invoice]),
    "open_items": _entity("erp:open-items-of-customer", 30, list[r.OpenItem]),
    "payment": _entity("payments:payment", 15, r.Payment, HALF_HOUR),
    "payments": _entity("payments:payments-of-customer", 15, list[r.Payment], HALF_HOUR),
    "refunds": _entity("payments:refunds-of-payment", 30, list[r.Refund], HALF_HOUR),
    "ticket": _entity("crm:ticket", 30, r.Ticket),
    "tickets": _listed("crm:tickets-of-customer", 30, list[r.Ticket]),
    "messages": _entity("crm:messages-of-subject", 15, list[r.Message]),
    "read_state": _entity("crm:read-state", 300, r.ReadState),
    "document": _entity("dms:document", 120, r.Document, DAY),
    "documents": _listed("dms:documents-of-customer", 60, list[r.Document], DAY),
    "subject_documents": _entity("dms:documents-of-subject", 60, list[r.Document], DAY),
    "versions": _entity("dms:versions-of-document", 120, list[r.DocumentVersion], DAY),
    "members": _entity("idp:members-of-organization", 60, list[Account]),
    "account": _entity("idp:account", 60, Account),
    "offerings": _entity("erp:offerings-of-customer", 300, list[r.ServiceOffering], DAY),
    "slot": _entity("erp:slot", 15, r.Slot),
    "slots": _listed("erp:slots-of-offering", 15, list[r.Slot]),
    "booking": _entity("erp:booking", 30, r.Booking),
    "bookings": _listed("erp:bookings-of-customer", 30, list[r.Booking]),
}
"""Payments and free seats go stale fastest: a portal must not show an old payment state or
a slot long booked out for long."""


def configured_entities(
    ttls: Mapping[str, float], max_stale: Mapping[str, float]
) -> dict[str, CachedEntity[Any]]:
    """`ENTITIES` with TTLs and stale windows overridden by entity name."""
    unknown = (set(ttls) | set(max_stale)) - set(ENTITIES)
    if unknown:
        raise ValueError(f"unknown cache entities {sorted(unknown)}; known: {sorted(ENTITIES)}")
    return {
        name: replace(
            entity,
            ttl_s=ttls.get(name, entity.ttl_s),
            max_stale_s=max_stale.get(name, entity.max_stale_s),
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


@dataclass(frozen=True)
class SlotRange:
    """The key of a slot load: an offering's slots starting on the days `first` to `last`."""

    offering_id: str
    first: date
    last: date

    def cache_key(self) -> str:
        return f"{self.offering_id}|{self.first}|{self.last}"


class Composite(Protocol):
    def cache_key(self) -> str: ...


Q = TypeVar("Q", bound=Composite)


def failing_keys(
    load: Callable[[list[K]], Coroutine[Any, Any, Sequence[V | UpstreamFailure]]],
) -> Callable[[list[K]], Coroutine[Any, Any, list[V]]]:
    """A batch function whose failed keys hold their exception: aiodataloader fails exactly
    those keys, though its types do not say so."""
    return cast("Callable[[list[K]], Coroutine[Any, Any, list[V]]]", load)


def batch_span(name: str, keys: Sequence[object]) -> AbstractContextManager[Span]:
    """The trace span of one loader batch; its upstream calls are its children."""
    return tracer.start_as_current_span(
        f"load {name}", attributes={"portalgraph.loader": name, "portalgraph.batch_size": len(keys)}
    )


def case_key(ref: r.CaseRef) -> str:
    return f"{ref.type}:{ref.id}"


def _case_ref(key: str) -> r.CaseRef:
    return r.CaseRef(*key.split(":", 1))


def read_state_key(user: str, subject: r.CaseRef) -> str:
    """The key of a user's read state of a subject's messages: `<user>|<TYPE>:<id>`."""
    return f"{user}|{case_key(subject)}"


async def read_states(threads: ThreadPort, keys: list[str]) -> list[r.ReadState]:
    """The read states of `read_state_key`s: one port call per user."""
    by_user: dict[str, list[r.CaseRef]] = {}
    for key in keys:
        user, _, case = key.partition("|")
        by_user.setdefault(user, []).append(_case_ref(case))
    found = await asyncio.gather(
        *(threads.read_states(user, refs) for user, refs in by_user.items())
    )
    states = {
        read_state_key(user, state.subject): state
        for user, batch in zip(by_user, found, strict=True)
        for state in batch
    }
    return [states[key] for key in keys]


def settle(outcomes: list[Outcome[T]], freshness: Freshness) -> list[T | UpstreamFailure | None]:
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
            freshness.note(outcome.value, Sync(outcome.as_of, outcome.stale))
            settled.append(outcome.value)
    return settled


class Loaders:
    """The per-request loaders; build a new one for every request, never share it. Each
    loader is built on first use: a request needs a few of them, not all."""

    def __init__(
        self,
        upstreams: Upstreams,
        read: ReadThrough,
        entities: Mapping[str, CachedEntity[Any]],
        spend: Spend | None = None,
        batch: bool = True,
    ) -> None:
        """`batch=False` gives every key its own upstream call (to measure what batching
        saves)."""
        self._read = read
        self._batch = batch
        self._entities = entities
        self._spend = spend
        self._upstreams = upstreams
        self.freshness = Freshness()

    def forget(self, name: str, key: str) -> None:
        """Drop `key` from this request's memo of loader `name` (a write changed it)."""
        loader = self.__dict__.get(name)  # only a loader built so far remembers anything
        if loader is not None:
            loader.clear(key)

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
    def consents(self) -> "DataLoader[str, list[r.Consent]]":
        return self._relation("consents", self._upstreams.consents.consents_of)

    @cached_property
    def privacy_requests(self) -> "DataLoader[str, list[r.PrivacyRequest]]":
        return self._relation(
            "privacy_requests", self._upstreams.privacy_requests.privacy_requests_of
        )

    @cached_property
    def segment(self) -> "DataLoader[str, r.CustomerSegment | None]":
        """A customer's segment (CRM), by customer number."""
        return self._loader("segment", self._upstreams.segments.segments_of)

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
    def messages(self) -> "DataLoader[r.CaseRef, list[r.Message]]":
        return self._by_case("messages", self._upstreams.threads.messages_of)

    @cached_property
    def read_state(self) -> "DataLoader[str, r.ReadState | None]":
        """Keys are `read_state_key(user, subject)`."""
        return self._loader("read_state", partial(read_states, self._upstreams.threads))

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

    @cached_property
    def members(self) -> "DataLoader[str, list[Account]]":
        """An organization's members (identity provider), by organization number."""
        return self._relation("members", self._upstreams.directory.members_of)

    @cached_property
    def account(self) -> "DataLoader[str, Account | None]":
        """A user's account (identity provider) by user ID; its attributes hold the user's
        preferences."""
        return self._loader("account", self._upstreams.directory.accounts)

    @cached_property
    def offerings(self) -> "DataLoader[str, list[r.ServiceOffering]]":
        return self._relation("offerings", self._upstreams.bookings.offerings_of)

    @cached_property
    def slot(self) -> "DataLoader[str, r.Slot | None]":
        return self._loader("slot", self._upstreams.bookings.get_slots)

    @cached_property
    def slots(self) -> "DataLoader[SlotRange, list[r.Slot]]":
        fetch = self._upstreams.bookings.slots_of
        return self._composite("slots", lambda key: fetch(key.offering_id, key.first, key.last))

    @cached_property
    def booking(self) -> "DataLoader[str, r.Booking | None]":
        return self._loader("booking", self._upstreams.bookings.get_bookings)

    @cached_property
    def bookings(self) -> "DataLoader[ListKey, list[r.Booking]]":
        return self._lists("bookings", self._upstreams.bookings.list_bookings)

    def _loader(
        self, name: str, fetch: Callable[[list[str]], Awaitable[Sequence[T | None]]]
    ) -> "DataLoader[str, T | None]":
        """Records by ID: `None` for an unknown one."""
        entity, read, freshness = self._entities[name], self._read, self.freshness
        fetch = self._metered(entity, fetch)

        async def load(keys: list[str]) -> list[T | UpstreamFailure | None]:
            with batch_span(name, keys):
                return settle(await read.get_many(entity, keys, fetch), freshness)

        return DataLoader(failing_keys(load), batch=self._batch)

    def _relation(
        self, name: str, fetch: Callable[[list[str]], Awaitable[Sequence[list[T]]]]
    ) -> "DataLoader[str, list[T]]":
        """The records related to each key (an order's lines): `[]` for an unknown key."""
        entity, read, freshness = self._entities[name], self._read, self.freshness
        fetch = self._metered(entity, fetch)

        async def load(keys: list[str]) -> list[list[T] | UpstreamFailure]:
            with batch_span(name, keys):
                settled = settle(await read.get_many(entity, keys, fetch), freshness)
            return [[] if items is None else items for items in settled]

        return DataLoader(failing_keys(load), batch=self._batch)

    def _lists(
        self, name: str, fetch: Callable[[str, ListFilter], Awaitable[list[T]]]
    ) -> "DataLoader[ListKey, list[T]]":
        """Keys are `ListKey`s."""
        return self._composite(name, lambda key: fetch(key.customer, key.query))

    def _composite(
        self, name: str, fetch: Callable[[Q], Awaitable[list[T]]]
    ) -> "DataLoader[Q, list[T]]":
        """Keys are cached under their `cache_key()`; each distinct key is one upstream call
        (lists do not batch)."""
        by_cache_key: dict[str, Q] = {}

        async def fetch_lists(cache_keys: list[str]) -> list[list[T]]:
            keys = [by_cache_key[key] for key in cache_keys]
            return list(await asyncio.gather(*(fetch(key) for key in keys)))

        inner = self._relation(name, fetch_lists)

        async def load(keys: list[Q]) -> list[list[T]]:
            for key in keys:
                by_cache_key[key.cache_key()] = key
            return await inner.load_many([key.cache_key() for key in keys])

        return DataLoader(load, batch=self._batch)

    def _by_case(
        self, name: str, fetch: Callable[[Sequence[r.CaseRef]], Awaitable[list[list[T]]]]
    ) -> "DataLoader[r.CaseRef, list[T]]":
        """Keys are `CaseRef`s, cached under `TYPE:id`."""

        async def fetch_refs(cache_keys: list[str]) -> list[list[T]]:
            refs = [_case_ref(key) for key in cache_keys]
            return await fetch(refs)

        inner = self._relation(name, fetch_refs)

        async def load(refs: list[r.CaseRef]) -> list[list[T]]:
            return await inner.load_many([case_key(ref) for ref in refs])

        return DataLoader(load, batch=self._batch)
