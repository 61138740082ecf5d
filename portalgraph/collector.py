"""The garbage collector, tuned for a gateway process: the heap built at start-up (schema,
WSDL, modules, clients) is frozen, so the collector never walks it again.

A query of a few hundred fields allocates tens of thousands of short-lived objects, so young
collections run often and every so many of them a full one; unfrozen, each full collection
walked the whole long-lived heap, some 4 ms per warm dashboard (a third of its CPU). Frozen,
all collections together cost about 1 ms. Raising the thresholds bought nothing more (bigger
young collections cost as much) and kept more cyclic garbage in memory between full
collections (bench/README.md, "Memory").
"""

import gc


def tune() -> None:
    gc.collect()
    gc.freeze()
