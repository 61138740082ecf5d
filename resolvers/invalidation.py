"""Which cache entries a change makes stale (domain.md §6, "invalidate cache tags"), in the
loaders' namespaces: exact keys for the changed records, tags for a customer's lists (every
filtered variant at once). A privacy request's update that names records erased makes
everything of its organization stale: the records, their relations, every list."""

from dataclasses import dataclass, field

from connectors.base.changes import Change
from connectors.base.local import LocalEntries
from connectors.base.records import CaseRef
from infra.cache import Cache
from resolvers.loaders import ENTITIES, case_key

CASE_TYPES = frozenset({"QUOTE", "ORDER", "INVOICE", "TICKET", "BOOKING"})


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
    if kind == "PRIVACY_REQUEST" and customer is not None:
        stale.entry("privacy_requests", customer)
        if change.related:
            _erased(stale, change.related, customer)
    return stale


ERASED_ENTRIES = {
    "QUOTE": ("quote", "quote_lines"),
    "ORDER": ("order", "order_lines", "deliveries", "order_invoices"),
    "INVOICE": ("invoice", "credit_notes"),
    "BOOKING": ("booking",),
    "PAYMENT": ("payment", "refunds"),
    "TICKET": ("ticket",),
    "DOCUMENT": ("document", "versions"),
}
"""The entries of an erased record, by its kind."""
CUSTOMER_ENTRIES = ("customer", "addresses", "contacts", "consents", "open_items", "payments",
                    "members")  # fmt: skip
CUSTOMER_LISTS = ("quotes", "orders", "invoices", "tickets", "documents", "bookings")


def _erased(stale: Stale, erased: tuple[CaseRef, ...], customer: str) -> None:
    for ref in erased:
        for entity in ERASED_ENTRIES.get(ref.type, ()):
            stale.entry(entity, ref.id)
        if ref.type in CASE_TYPES:
            stale.entry("messages", case_key(ref))
            stale.entry("subject_documents", case_key(ref))
    for entity in CUSTOMER_ENTRIES:
        stale.entry(entity, customer)
    for entity in CUSTOMER_LISTS:
        stale.lists(entity, customer)


async def invalidate(cache: Cache, change: Change) -> None:
    stale = stale_entries(change)
    await cache.delete_many(sorted(stale.keys))
    await cache.delete_tagged(sorted(stale.tags))


def evict_locally(local: LocalEntries, change: Change) -> None:
    """Drop what a change makes stale from this process's first level (a change another
    replica ingested, from the graph stream)."""
    stale = stale_entries(change)
    local.evict(stale.keys, stale.tags)
