"""Logs as JSON lines on stderr, through the standard library's logging.

Every line carries the request id and the trace id of the request it was written for, so a
log line, a trace and an error response (`extensions.traceId`) find each other. Secrets never
reach the output: bearer tokens and JWTs are masked wherever they appear, and fields named
like credentials are dropped to `[redacted]`.
"""

import functools
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from opentelemetry import trace

from infra.tally import current_tally

REDACTED = "[redacted]"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_SECRET_KEY = re.compile(r"(?i)authorization|password|passwd|secret|token|cookie|api[_-]?key")
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


CLEAN_TEXTS_KEPT = 1024
"""Texts remembered to hold nothing to mask (an access line's method, path, operation), each
of up to `CLEAN_TEXT_CHARS`: most of a line's fields, every line again."""
CLEAN_TEXT_CHARS = 200
_clean_texts: set[str] = set()


def redact(text: str) -> str:
    if text in _clean_texts:
        return text
    redacted = _BEARER.sub(rf"\1 {REDACTED}", _JWT.sub(REDACTED, text))
    if redacted == text and len(text) <= CLEAN_TEXT_CHARS:  # never a text that held a secret
        if len(_clean_texts) >= CLEAN_TEXTS_KEPT:
            _clean_texts.clear()
        _clean_texts.add(text)
    return redacted


@functools.lru_cache(maxsize=1024)
def _secret_key(key: str) -> bool:
    """A field named like a credential (the names are the code's, so few)."""
    return _SECRET_KEY.search(key) is not None


def _clean(key: str, value: Any) -> Any:
    if _secret_key(key):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `ts`, `level`, `logger`, `message`, the request's
    `request_id`, `trace_id` and `span_id`, then the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        tally = current_tally()
        if tally is not None:
            line["request_id"] = tally.request_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = trace.format_trace_id(span.trace_id)
            line["span_id"] = trace.format_span_id(span.span_id)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = _clean(key, value)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(line).decode()


def configure_logging(level: str) -> None:
    """Send every logger's records (uvicorn's included) to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx logs every upstream request at INFO, between the answer's headers and its body:
    # a JSON line per request on the way from an answer to the requests that depend on it.
    # Upstream requests are counted, timed and traced by `connectors.base.observed`, and
    # their number is in each request's access log line; httpx's warnings still show.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
