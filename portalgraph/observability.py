"""What a process sets up once before it serves: JSON logs and the tracer provider."""

from portalgraph.logs import configure_logging
from portalgraph.settings import Settings
from portalgraph.tracing import configure_tracing


def configure_process(settings: Settings) -> None:
    configure_logging(settings.log_level)
    configure_tracing(
        settings.tracing_exporter,
        str(settings.tracing_otlp_endpoint),
        settings.tracing_sample_ratio,
    )
