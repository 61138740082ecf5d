"""Per request: when each record served was read upstream and whether it is served stale,
for the `sync` field of the schema's aggregates.

Records are frozen dataclasses shared by value, so their freshness is kept beside them, by
object identity: the loaders note each record they return (a list's elements too), and the
entry keeps the record alive for the request, so an identity is never reused meanwhile.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Sync:
    as_of: datetime
    stale: bool


class Freshness:
    def __init__(self) -> None:
        self._by_identity: dict[int, tuple[object, Sync]] = {}

    def note(self, value: object, sync: Sync) -> None:
        """Note `value` (and a list's elements) as read at `sync.as_of`."""
        for item in [value, *value] if isinstance(value, list) else [value]:
            if item is not None:
                self._by_identity[id(item)] = (item, sync)

    def of(self, record: object) -> Sync | None:
        """How fresh `record` is; None for a record no loader returned in this request."""
        found = self._by_identity.get(id(record))
        return found[1] if found is not None and found[0] is record else None
