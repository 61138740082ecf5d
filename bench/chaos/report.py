"""The chaos run's figures per fault phase: error rate, stale-served rate, p99 latency, and how
long after a fault ended the answers were clean again."""

from collections.abc import Sequence
from dataclasses import dataclass

CLEAN_FOR_S = 2.0
"""A fault has recovered once every answer for this long is clean (no error, nothing stale)."""


@dataclass(frozen=True)
class Sample:
    sent: float
    latency_ms: float
    error: bool
    stale: bool

    @property
    def clean(self) -> bool:
        return not self.error and not self.stale


@dataclass(frozen=True)
class Phase:
    name: str
    start: float
    end: float
    """When the fault was lifted (or the phase ended)."""


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def recovery_s(samples: Sequence[Sample], fault_end: float, until: float) -> float | None:
    """Seconds from `fault_end` to the start of the first stretch of `CLEAN_FOR_S` of clean
    answers; None if there was none before `until`."""
    after = [s for s in samples if fault_end <= s.sent < until]
    clean_since: float | None = None
    for sample in after:
        if not sample.clean:
            clean_since = None
        elif clean_since is None:
            clean_since = sample.sent
        elif sample.sent - clean_since >= CLEAN_FOR_S:
            return max(0.0, clean_since - fault_end)
    return None


def table(samples: Sequence[Sample], phases: Sequence[Phase], run_end: float) -> str:
    rows = [
        "| phase                 | answers | errors | stale  | p50 ms | p99 ms | recovery s |",
        "|-----------------------|--------:|-------:|-------:|-------:|-------:|-----------:|",
    ]
    for index, phase in enumerate(phases):
        inside = [s for s in samples if phase.start <= s.sent < phase.end]
        if not inside:
            continue
        until = phases[index + 1].end if index + 1 < len(phases) else run_end
        recovered = recovery_s(samples, phase.end, until) if index else None
        latencies = [s.latency_ms for s in inside]
        rows.append(
            f"| {phase.name:<21} | {len(inside):>7} "
            f"| {sum(s.error for s in inside) / len(inside):>6.1%} "
            f"| {sum(s.stale for s in inside) / len(inside):>6.1%} "
            f"| {percentile(latencies, 0.5):>6.0f} | {percentile(latencies, 0.99):>6.0f} "
            f"| {'-' if recovered is None else f'{recovered:.1f}':>10} |"
        )
    return "\n".join(rows)
