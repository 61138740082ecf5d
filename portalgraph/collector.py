"""The garbage collector, tuned for a gateway process: the heap built at start-up (schema,
WSDL, modules, clients) is frozen, so the collector never walks it again, and young
collections run every `YOUNG_THRESHOLD` allocations instead of Python's 700.

A query of a few hundred fields allocates tens of thousands of short-lived objects, so young
collections run often and every so many of them a full one; unfrozen, each full collection
walked the whole long-lived heap, some 4 ms per warm dashboard (a third of its CPU). Frozen,
all collections together cost about 1 ms (callgrind: 5.5 % of `two-level-rest`'s
instructions, 7.5 % of a warm dashboard's).

Most of that was the request's own objects: the executor, the context, the loaders with their
records and futures (~770 objects per `two-level-rest` query) sat in reference cycles and
waited for the collector. Freed by reference counting now (`schema/async_helpers.py`,
`resolvers/loaders.py`), the collections' share fell to 3.3 % and 4.4 %. What remains is young
collections walking the live objects of the queries under way, so fewer of them cost less:
with 2,000 (callgrind, 100 and 60 queries in process, `bench/README.md`) the collector's
instructions per query went 0.79 → 0.13 M (`two-level-rest`) and 2.88 → 1.46 M (warm
dashboard), 2-3 % of all, and the peak RSS of 300 queries grew by less than 1 MB. Before the
cycles were broken a larger threshold bought less (2,000: 1.29 → 0.96 M) and kept more cyclic
garbage in memory between full collections (10,000: the soak's memory +4.3 % against +1.7 %).

Freezing again after a warm-up (clients, pools, caches) changed nothing measurable: 1.32
against 1.30 M per query, 4.39 against 4.37 M.
"""

import gc

YOUNG_THRESHOLD = 2_000
"""Allocations (less deallocations) of tracked objects between young collections."""


def tune() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
