"""Observability fixtures: an in-memory span exporter as the process's tracer provider, sampling
only while a test asks for its spans, and `/metrics` read as numbers."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.util._decorator import _agnosticcontextmanager
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

_EXPORTER = InMemorySpanExporter()


class SwitchedTracerProvider(trace.TracerProvider):
    """The process's tracer provider can be set only once, and the tests of other folders that
    run after these compare answers as they are without one (no `traceId` in an error that
    came without a `traceparent`): so its tracers trace only while `on`, and else behave as
    the API's no-op tracer, which is what a process without a provider has."""

    def __init__(self, real: TracerProvider) -> None:
        self.real = real
        self.on = False

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _SwitchedTracer(self, self.real.get_tracer(*args, **kwargs))


class _SwitchedTracer(trace.Tracer):
    _OFF = trace.NoOpTracer()

    def __init__(self, switch: SwitchedTracerProvider, real: trace.Tracer) -> None:
        self._switch = switch
        self._real = real

    def _current(self) -> trace.Tracer:
        return self._real if self._switch.on else self._OFF

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._current().start_span(*args, **kwargs)

    @_agnosticcontextmanager
    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[trace.Span]:
        with self._current().start_as_current_span(*args, **kwargs) as span:
            yield span


@pytest.fixture(scope="session")
def tracing_switch() -> SwitchedTracerProvider:
    """Installed once per process: samples everything while on, keeping finished spans in
    memory (the exporter is the only stand-in: a collector is not run)."""
    provider = TracerProvider(sampler=ALWAYS_ON)
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    switch = SwitchedTracerProvider(provider)
    trace.set_tracer_provider(switch)
    return switch


@pytest.fixture
def spans(tracing_switch: SwitchedTracerProvider) -> Iterator[InMemorySpanExporter]:
    """The spans the test's requests make; none are made before or after it."""
    _EXPORTER.clear()
    tracing_switch.on = True
    try:
        yield _EXPORTER
    finally:
        tracing_switch.on = False
        _EXPORTER.clear()


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
