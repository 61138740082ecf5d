"""Observability fixtures: an in-memory span exporter as the process's tracer provider, and
`/metrics` read as numbers."""

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="session")
def span_exporter_installed() -> InMemorySpanExporter:
    """The tracer provider can be set once per process: this one samples everything and keeps
    finished spans in memory (the exporter is the only stand-in: a collector is not run)."""
    provider = TracerProvider(sampler=ALWAYS_ON)
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)
    return _EXPORTER


@pytest.fixture
def spans(span_exporter_installed: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    span_exporter_installed.clear()
    yield span_exporter_installed
    span_exporter_installed.clear()


def scrape(gateway_url: str) -> Samples:
    response = httpx.get(f"{gateway_url}/metrics")
    response.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much the samples named `name` whose labels include `labels` moved, summed."""
    wanted = set(labels.items())

    def total(samples: Samples) -> float:
        return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)

    return total(after) - total(before)
