"""Which cache entries a change makes stale (domain.md §6, "invalidate cache tags"), in the
loaders' namespaces: exact keys for the changed records, tags for a customer's lists (every
filtered variant at once)."""

from dataclasses import dataclass, field

from connectors.base.changes import Change
from connectors.base.local import LocalEntries
from infra.cache import Cache
from resolvers.loaders import ENTITIES, case_key


@dataclass
class Stale:
    keys: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)

    def entry(self, entity: str, key: str) -> None:
        self.keys.add(ENTITIES[entity].key(key))

    def lists(self, entity: str, customer: str | None) -> None:
        if customer is not None:
            self.tags.add(ENTITIES[entity].tag(customer))


def stale_entries(change: Change) -> Stale:
    stale = Stale()
    related = {(ref.type, ref.id) for ref in change.related}
    kind, key, customer = change.entity, change.entity_id, change.customer
    orders = [ref_id for ref_type, ref_id in related if ref_type == "ORDER"]
    if kind == "ORDER":
        orders.append(key)
        stale.entry("order_lines", key)
        stale.lists("orders", customer)
    if kind == "DELIVERY":
        stale.lists("orders", customer)
    for order in orders:
        stale.entry("order", order)
        stale.entry("deliveries", order)
        stale.entry("order_invoices", order)
    invoices = [ref_id for ref_type, ref_id in related if ref_type == "INVOICE"]
    if kind == "INVOICE":
        invoices.append(key)
    for invoice in invoices:
        stale.entry("invoice", invoice)
        stale.entry("credit_notes", invoice)
    if invoices:
        stale.lists("invoices", customer)
    if (invoices or kind == "PAYMENT") and customer is not None:
        stale.entry("open_items", customer)
        stale.entry("payments", customer)
    if kind == "PAYMENT":
        stale.entry("payment", key)
        stale.entry("refunds", key)
    tickets = [ref_id for ref_type, ref_id in related if ref_type == "TICKET"]
    if kind == "TICKET":
        tickets.append(key)
    for ticket in tickets:
        stale.entry("ticket", ticket)
        stale.entry("messages", f"TICKET:{ticket}")
    if tickets:
        stale.lists("tickets", customer)
    if kind == "MESSAGE":  # a message on any case: that case's thread
        for subject_type, subject_id in related:
            stale.entry("messages", f"{subject_type}:{subject_id}")
    if kind == "BOOKING":
        stale.entry("booking", key)
        stale.lists("bookings", customer)
    if kind == "DOCUMENT":
        stale.entry("document", key)
        stale.entry("versions", key)
        stale.lists("documents", customer)
        for subject in change.related:
            stale.entry("subject_documents", case_key(subject))
    return stale


async def invalidate(cache: Cache, change: Change) -> None:
    stale = stale_entries(change)
    await cache.delete_many(sorted(stale.keys))
    await cache.delete_tagged(sorted(stale.tags))


def evict_locally(local: LocalEntries, change: Change) -> None:
    """Drop what a change makes stale from this process's first level (a change another
    replica ingested, from the graph stream)."""
    stale = stale_entries(change)
    local.evict(stale.keys, stale.tags)
