"""An upstream's answer, read whole, and what it stands for: the one place that sorts an
HTTP status into the upstream errors (like Singer SDK's `validate_response`: 429 and 5xx are
retriable, other 4xx fatal) and decodes a JSON body. The REST calls decide on an `Answer`
whichever way they were sent (httpx's client or `connectors.base.direct`)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from connectors.base.errors import (
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRejected,
    UpstreamUnavailable,
)
from connectors.base.records import System


def retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def status_failure(
    system: System, status: int, headers: Mapping[str, str], method: str, path: str
) -> UpstreamError | None:
    """The upstream error a non-2xx answer stands for; None for the others."""
    if status < 400:
        return None
    detail = f"HTTP {status} from {method} {path}"
    if status == 429 or status >= 500:
        return UpstreamUnavailable(system, detail, retry_after(headers))
    return UpstreamRejected(system, detail)


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to `method` on `path` (decoded, with the base URL's path: httpx's
    `URL.path`), its body read and its `Content-Encoding` undone."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    @classmethod
    def of(cls, response: httpx.Response) -> "Answer":
        """A read httpx response."""
        request = response.request
        status = response.status_code
        return cls(request.method, request.url.path, status, response.headers, response.content)

    def raise_for_status(self, system: System) -> None:
        failure = status_failure(system, self.status, self.headers, self.method, self.path)
        if failure is not None:
            raise failure

    def json(self, system: System) -> Any:
        """The JSON body, or UpstreamBadResponse."""
        try:
            return orjson.loads(self.content)
        except (ValueError, UnicodeDecodeError) as error:  # orjson's errors are ValueErrors
            raise UpstreamBadResponse(system, f"invalid JSON from {self.path}") from error

    def json_or_none(self) -> Any:
        """The JSON body, None when it has none (a refused write's reasons, if any)."""
        try:
            return orjson.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            return None
