"""The seed's history (domain.md §7, "analytics"): 90 days of portal usage and 60 closed
tickets, about 92 % within their SLA, both drawn from fixed random seeds so every run of the
demo shows the same insights.

Usage is the gateway's own data, not a sandbox system's: `usage_history` only describes it,
and the demo records it into the gateway's usage store at start.
"""

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

USAGE_DAYS = 90
USAGE_RNG_SEED = 20_260_310
WEEKDAY_WEIGHT = (1.0, 1.0, 0.95, 0.9, 0.8, 0.15, 0.05)
"""Share of an organization's members active on Monday … Sunday."""
ACTION_KINDS = (
    ("ORDER_STATUS_CHECK", 3),
    ("INVOICE_LOOKUP", 2),
    ("DOCUMENT_LOOKUP", 2),
    ("TICKET_STATUS_CHECK", 1),
    ("QUOTE_LOOKUP", 1),
)
"""Self-service actions and how often each is chosen relative to the others."""

CLOSED_TICKETS = 60
CLOSED_BREACHED = 5
"""55 of 60 closed within their SLA: 91.7 %."""
TICKET_RNG_SEED = 60
CLOSED_TICKET_SHARE = (
    ("0000100001", 30, "Beat Frei"),
    ("0000100002", 10, "Chloé Roux"),
    ("0000100003", 8, "Mia Schulz"),
    ("0000100004", 8, "Marco Bernasconi"),
    ("0000100005", 4, "Sophie Rossi"),
)
"""Organization, how many of the closed tickets are its, and who opened them."""
CLOSED_SUBJECTS = (
    "Lieferschein fehlt",
    "Rechnungsadresse korrigieren",
    "Ersatzteil anfragen",
    "Zugang zurücksetzen",
    "Wartungstermin verschieben",
    "Frage zur Gutschrift",
    "Dokument nicht lesbar",
)


@dataclass(frozen=True)
class UsageDay:
    """One member's portal use on one day: a session and the self-service actions in it."""

    organization: str
    day: date
    user: str
    session: str
    actions: tuple[str, ...]


def usage_history(today: date, members: Mapping[str, Sequence[str]]) -> Iterator[UsageDay]:
    """The `USAGE_DAYS` before `today`, for each organization's members (user IDs)."""
    rng = random.Random(USAGE_RNG_SEED)
    kinds = [kind for kind, _ in ACTION_KINDS]
    weights = [weight for _, weight in ACTION_KINDS]
    for back in range(USAGE_DAYS, 0, -1):
        day = today - timedelta(days=back)
        for organization, users in sorted(members.items()):
            for user in users:
                if rng.random() >= WEEKDAY_WEIGHT[day.weekday()]:
                    continue
                count = rng.randint(1, 6)
                yield UsageDay(
                    organization,
                    day,
                    user,
                    f"history-{user}-{day.isoformat()}",
                    tuple(rng.choices(kinds, weights, k=count)),
                )


@dataclass(frozen=True)
class ClosedTicket:
    """A closed ticket of the SLA history: when it was opened, answered and resolved."""

    customer: str
    created_by: str
    subject: str
    priority: str
    created_at: datetime
    first_response_after_h: float
    resolved_after_h: float


def closed_tickets(now: datetime, resolution_hours: float) -> list[ClosedTicket]:
    """`CLOSED_TICKETS` tickets opened 5 to 90 days before `now`; `CLOSED_BREACHED` of them
    resolved after their SLA's `resolution_hours`, the others within it."""
    rng = random.Random(TICKET_RNG_SEED)
    breached = set(rng.sample(range(CLOSED_TICKETS), CLOSED_BREACHED))
    requesters = [(c, who) for c, share, who in CLOSED_TICKET_SHARE for _ in range(share)]
    tickets = []
    for n, (customer, requester) in enumerate(requesters):
        resolved_after = (
            resolution_hours * rng.uniform(1.1, 2.0)
            if n in breached
            else resolution_hours * rng.uniform(0.1, 0.95)
        )
        tickets.append(
            ClosedTicket(
                customer=customer,
                created_by=requester,
                subject=rng.choice(CLOSED_SUBJECTS),
                priority=rng.choice("0112"),
                created_at=now - timedelta(days=rng.uniform(5, USAGE_DAYS)),
                first_response_after_h=round(rng.uniform(0.2, 3.5), 2),
                resolved_after_h=round(resolved_after, 2),
            )
        )
    return sorted(tickets, key=lambda t: t.created_at)
