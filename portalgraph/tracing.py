"""Tracing setup: OpenTelemetry's SDK as the process's tracer provider, exporting to an OTLP
collector, to stderr, or nowhere (the default).

Even with no exporter, every request gets a valid trace id (the SDK creates ids for spans it
does not sample), so logs and error responses carry one, and a client's `traceparent` is
continued to the upstream systems. Call `configure_tracing` once per process, before the app
serves; the tracers the modules hold (`trace.get_tracer`) follow the provider set here.
"""

from typing import Literal

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased

Exporter = Literal["none", "otlp", "console"]


def tracer_provider(
    exporter: SpanExporter | None, sample_ratio: float = 1.0, service: str = "portalgraph"
) -> TracerProvider:
    """Without an exporter nothing is sampled; with one, `sample_ratio` of the new traces and
    every trace the client sampled."""
    sampler = ParentBased(TraceIdRatioBased(sample_ratio)) if exporter else ALWAYS_OFF
    provider = TracerProvider(sampler=sampler, resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def span_exporter(kind: Exporter, otlp_endpoint: str) -> SpanExporter | None:
    if kind == "otlp":
        return OTLPSpanExporter(endpoint=otlp_endpoint)
    if kind == "console":
        return ConsoleSpanExporter()
    return None


def configure_tracing(kind: Exporter, otlp_endpoint: str, sample_ratio: float) -> None:
    trace.set_tracer_provider(tracer_provider(span_exporter(kind, otlp_endpoint), sample_ratio))
