"""The benchmark's results: one row per scenario and configuration, as a Markdown table, as
JSON, and checked against the targets of the performance issue."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    scenario: str
    configuration: str
    concurrency: int
    latency_ms: int
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    cpu_ms: float
    """The gateway process's own CPU time (user + system) per query."""
    upstream_per_query: float
    minimum_upstream: int
    cache_hit_ratio: float | None
    critical_path_ms: float
    """The median latency of the query's upstream calls replayed level by level."""
    critical_path: str

    @property
    def over_critical_path(self) -> float | None:
        return self.p50_ms / self.critical_path_ms if self.critical_path_ms else None


COLUMNS = (
    "scenario", "config", "clients", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors",
    "CPU ms/q", "upstream/q (min)", "cache hits", "critical path ms", "p50 ÷ critical",
)  # fmt: skip
HEADER = f"| {' | '.join(COLUMNS)} |\n|---|---|{'--:|' * (len(COLUMNS) - 2)}"


def _ratio(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def markdown(rows: list[Row], header: bool = True) -> str:
    lines = [HEADER] if header else []
    for row in rows:
        lines.append(
            f"| {row.scenario} | {row.configuration} | {row.concurrency} | {row.rps:.1f} | "
            f"{row.p50_ms:.1f} | {row.p90_ms:.1f} | {row.p99_ms:.1f} | {row.errors} | "
            f"{row.cpu_ms:.2f} | {row.upstream_per_query:.2f} ({row.minimum_upstream}) | "
            f"{_ratio(row.cache_hit_ratio, '.0%')} | {row.critical_path_ms:.1f} | "
            f"{_ratio(row.over_critical_path, '.2f')} |"
        )
    return "\n".join(lines)


def targets(rows: list[Row]) -> str:
    """The issue's targets, each met or missed, from the optimized rows."""
    optimized = {row.scenario: row for row in rows if row.configuration == "optimized"}
    checks: list[tuple[str, bool]] = []
    if (cold := optimized.get("dashboard-cold")) and cold.over_critical_path is not None:
        checks.append(
            (f"dashboard-cold p50 {cold.p50_ms:.1f} ms ≤ 1.10 × critical path "
             f"{cold.critical_path_ms:.1f} ms ({cold.over_critical_path:.2f}×)",
             cold.over_critical_path <= 1.10)
        )  # fmt: skip
    if warm := optimized.get("dashboard-warm"):
        checks.append((f"dashboard-warm ≥ 300 req/s ({warm.rps:.0f})", warm.rps >= 300))
        checks.append((f"dashboard-warm p99 ≤ 50 ms ({warm.p99_ms:.1f})", warm.p99_ms <= 50))
    if rest := optimized.get("two-level-rest"):
        checks.append(
            (f"two-level-rest ≤ 3 ms CPU per query ({rest.cpu_ms:.2f})", rest.cpu_ms <= 3)
        )
    for row in optimized.values():
        checks.append(
            (f"{row.scenario}: {row.upstream_per_query:.2f} upstream requests per query "
             f"(minimum {row.minimum_upstream})",
             round(row.upstream_per_query, 2) <= row.minimum_upstream)
        )  # fmt: skip
    return "\n".join(f"- [{'x' if met else ' '}] {text}" for text, met in checks)


def write(out: Path, rows: list[Row]) -> None:
    (out / "results.json").write_text(json.dumps([asdict(row) for row in rows], indent=2))
    (out / "results.md").write_text(f"{markdown(rows)}\n\n{targets(rows)}\n")
