"""REST requests sent straight on the aiohttp session of an upstream client whose transport is
`AiohttpTransport`, without httpx's `Request`, URL parser and three response wrappers per call:
the URL is the client's base URL with the path and the parameters appended as httpx appends
them, the headers and a JSON or form body listed and encoded as httpx lists and encodes them.

What the request costs changes, nothing else: the same bytes on the wire (`aiohttp` gets the
same URL string, header list and body as from `AiohttpTransport`), the same connection pool,
timeouts and body cap, observed by the same `UpstreamCall`, failures raised as the same httpx
errors, and the answer (`Answer`) the same as httpx's. What it does not build exactly as httpx
does (a path other than plain segments, parameter or form values other than `str`, `int` or
lists of them, files, a `Host` or `Transfer-Encoding` header) takes httpx's way (`prepare`
answers None). The SOAP requests the compiled writers write (`connectors.base.soap`) go the same
way, posted to their absolute address (`post_to`).
"""

import json
import re
from collections.abc import Mapping, MutableMapping
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import unquote, urlencode

import aiohttp
import httpx

from connectors.base.aiohttp_transport import (
    CHUNK_BYTES,
    AiohttpTransport,
    as_httpx_errors,
    client_timeout,
)
from connectors.base.answer import Answer
from connectors.base.capped import declared_too_large, streamed_too_large
from connectors.base.observed import UpstreamCall
from connectors.base.records import System

_PLAIN_PATH = re.compile(r"(?:/(?!\.\.?(?:/|$))(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+)+")
"""Non-empty segments of unreserved characters and percent escapes, none of them `.` or `..`:
a path httpx neither escapes nor normalizes."""
_WRITES_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def query_items(params: Mapping[str, object]) -> list[tuple[str, str]] | None:
    """The parameters as httpx's `QueryParams` lists them (a list's items as repeated keys);
    None for values it would write otherwise (`bool`, `None`, floats, …)."""
    items: list[tuple[str, str]] = []
    for key, value in params.items():
        if type(key) is not str:
            return None
        for item in value if isinstance(value, list | tuple) else (value,):
            if type(item) is str:
                items.append((key, item))
            elif type(item) is int:
                items.append((key, str(item)))
            else:
                return None
    return items


def encoded_content(content: Mapping[str, Any]) -> tuple[dict[str, str], bytes | None] | None:
    """The headers and body httpx encodes `content` (its `json=`, `data=`, `files=`) as; None
    for files (multipart) and form values it would write otherwise."""
    if content.get("files"):
        return None
    if form := content.get("data"):
        items = query_items(form)
        if items is None:
            return None
        body = urlencode(items).encode("utf-8")
        return {"Content-Length": str(len(body)), "Content-Type": FORM}, body
    if (value := content.get("json")) is not None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        body = text.encode("utf-8")
        return {"Content-Length": str(len(body)), "Content-Type": JSON}, body
    return {}, None


class Prepared(NamedTuple):
    """A request as httpx would send it."""

    method: str
    url: str
    path: str
    """Decoded, with the base URL's path (httpx's `URL.path`)."""
    headers: list[tuple[str, str]]
    body: bytes | None


class _Unobserved:
    """The observation of a client built without a system: none."""

    def __enter__(self) -> "_Unobserved":
        return self

    def answered(self, status: int) -> None:
        pass

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


class DirectRequests:
    """The REST requests of one upstream client, sent on its transport's aiohttp session: its
    headers as they are at the time, its base URL and timeouts as they were when this was made
    (a client given others since sends through httpx)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        transport: AiohttpTransport,
        max_body_bytes: int,
        system: System | None,
    ) -> None:
        self._client = client
        self._base = base = client.base_url
        self._host = base.netloc.decode("ascii")
        self._base_path = base.raw_path.decode("ascii")  # httpx ends it with "/"
        prefix = f"{base.scheme}://{self._host}{self._base_path}"
        self._prefix = prefix if self.serves(base) else None
        """None without a base URL (a client that only posts to absolute URLs: SOAP's)."""
        self._timeouts = client.timeout
        self._timeout = client_timeout(client.timeout.as_dict())
        self._transport = transport
        self._max_body_bytes = max_body_bytes
        self._system = system.value if system is not None else None

    @classmethod
    def serves(cls, base_url: httpx.URL) -> bool:
        """Whether requests relative to `base_url` (or to the absolute URL itself, `post_to`)
        can be sent this way."""
        return (
            base_url.scheme in ("http", "https")
            and bool(base_url.host)
            and not base_url.userinfo  # httpx would send it as basic auth
            and not base_url.query
            and not base_url.fragment
        )

    def prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        content: Mapping[str, Any] | None = None,
    ) -> Prepared | None:
        """The request httpx would send for `method` on `path` (absolute, within the base URL)
        with `params`, `headers` over the client's and `content` (httpx's `json=`, or `data=`
        and `files=`); None when this is not the way to build it."""
        if self._prefix is None or not self._unchanged() or _PLAIN_PATH.fullmatch(path) is None:
            return None
        url = self._prefix + path[1:]
        if params:
            items = query_items(params)
            if items is None:
                return None
            url = f"{url}?{urlencode(items)}"
        encoded = encoded_content(content or {})
        if encoded is None:
            return None
        content_headers, body = encoded
        listed = self._headers(method, self._host, headers, content_headers)
        if listed is None:
            return None
        return Prepared(method, url, unquote(self._base_path + path[1:]), listed, body)

    def post_to(self, url: httpx.URL, headers: Mapping[str, str], body: bytes) -> Prepared | None:
        """The POST of `body` with `headers` over the client's to the absolute `url` (a SOAP
        request: httpx sends an absolute URL as it is, whatever the base URL), as httpx would
        send it; None when this is not the way to build it."""
        if not self._unchanged() or not self.serves(url):
            return None
        content = {"Content-Length": str(len(body))}
        listed = self._headers("POST", url.netloc.decode("ascii"), headers, content)
        if listed is None:
            return None
        return Prepared("POST", str(url), url.path, listed, body)

    def _unchanged(self) -> bool:
        """Whether the client still has the base URL and timeouts this was made with."""
        client = self._client
        return client.base_url is self._base and client.timeout is self._timeouts

    def _headers(
        self,
        method: str,
        host: str,
        given: Mapping[str, str] | None,
        content: Mapping[str, str],
    ) -> list[tuple[str, str]] | None:
        """The headers as httpx lists them: the `Host`, a `Content-Length: 0` for a write
        without a body, the client's headers updated by the given ones, the content's."""
        headers = self._client.headers
        if given or content:
            headers = headers.copy()
            headers.update(given)
            for name, value in content.items():
                headers.setdefault(name, value)
        if "Host" in headers or "Transfer-Encoding" in headers:
            return None
        automatic = [("host", host)]
        if method in _WRITES_WITH_BODY and "Content-Length" not in headers:
            automatic.append(("content-length", "0"))
        return [*automatic, *headers.multi_items()]

    async def send(self, request: Prepared, operation: str | None) -> Answer:
        """Send `request` (from `prepare`) and read its answer whole, within the body cap;
        aiohttp's failures raised as httpx's errors."""
        method, path = request.method, request.path
        traced: dict[str, str] = {}
        session = self._transport.session()
        with self._observed(operation or f"{method} {path}", method, path, traced) as call:
            with as_httpx_errors():
                response = await session.request(
                    method,
                    request.url,
                    headers=[*request.headers, *traced.items()],
                    data=request.body,
                    allow_redirects=False,
                    compress=None,
                    timeout=self._timeout,
                )
            too_large = declared_too_large(response.headers, self._max_body_bytes)
            if too_large is not None:
                response.release()
                raise too_large
            call.answered(response.status)
        try:
            with as_httpx_errors():
                body = await self._read(response)
        finally:
            response.release()
        return Answer(method, path, response.status, response.headers, decoded(response, body))

    def _observed(
        self, operation: str, method: str, path: str, headers: MutableMapping[str, str]
    ) -> UpstreamCall | _Unobserved:
        if self._system is None:
            return _Unobserved()
        return UpstreamCall(self._system, operation, method, path, headers)

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        chunks: list[bytes] = []
        seen = 0
        while chunk := await response.content.read(CHUNK_BYTES):
            seen += len(chunk)
            if seen > self._max_body_bytes:
                raise streamed_too_large(self._max_body_bytes)
            chunks.append(chunk)
        return b"".join(chunks)


def decoded(response: aiohttp.ClientResponse, body: bytes) -> bytes:
    """The body with its `Content-Encoding` undone by httpx's decoders (the session leaves it
    encoded, as `AiohttpTransport` must for httpx), so that it is what httpx would answer."""
    if "Content-Encoding" not in response.headers:
        return body
    return httpx.Response(200, headers=list(response.raw_headers), content=body).content
