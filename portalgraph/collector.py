"""The garbage collector, tuned for a gateway process: a query of a few hundred fields
allocates tens of thousands of short-lived objects, and with CPython's defaults (a young
collection every 700 allocations, each older one walking the whole long-lived heap of schema,
WSDL and modules) collecting cost about a quarter of a warm dashboard's CPU (bench/README.md).

After start-up the heap built so far is frozen (never walked again) and collections run less
often; reference counting still frees everything acyclic at once, so memory stays flat (the
soak in `bench.soak` checks it).
"""

import gc

THRESHOLDS = (10_000, 10, 10)
"""Young collections every 10,000 net allocations; the middle one every 50 young, the oldest
every 100 middle ones (CPython's: 700, 10, 10)."""


def tune() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
