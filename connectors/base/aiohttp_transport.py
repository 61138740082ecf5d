"""An httpx transport that sends over aiohttp: zeep and the DMS's streamed downloads keep
httpx's client, aiohttp's connection pool and HTTP parser do the work at about a third of
httpcore's CPU per request (bench/README.md, "Upstream transport"). The REST adapters' requests
go straight on the same session (`connectors.base.direct`).

Semantics kept: one keep-alive pool per client (no pipelining: aiohttp sends a request on a
connection only once the previous answer is read), httpx's connect/read/pool timeouts per
request, bodies streamed to the caller undecoded (httpx decodes `Content-Encoding` itself),
no redirects followed, and aiohttp's failures raised as the httpx errors they are, so that
`connectors.base.http.classify_transport_error` sorts them as it sorts httpcore's: a refused
connection is a `ConnectError` (unavailable), a timeout a `TimeoutException`.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager

import aiohttp
import httpx

CHUNK_BYTES = 64 * 1024

_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    # most specific first: aiohttp's connect timeout is a ServerTimeoutError, a refused
    # connection a ClientConnectorError and both are ClientConnectionErrors
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (asyncio.TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientError, httpx.NetworkError),
)


@contextmanager
def as_httpx_errors(request: httpx.Request | None = None) -> Iterator[None]:
    """aiohttp's failures in the block raised as the httpx errors they are."""
    try:
        yield
    except httpx.HTTPError:
        raise
    except (TimeoutError, aiohttp.ClientError) as error:
        kind = next(httpx_error for cause, httpx_error in _ERRORS if isinstance(error, cause))
        raise kind(f"{type(error).__name__}: {error}", request=request) from error


def client_timeout(timeout: Mapping[str, float | None]) -> aiohttp.ClientTimeout:
    """httpx's timeouts (`httpx.Timeout.as_dict()`) as aiohttp's: waiting for a connection from
    the pool, connecting, and each read."""
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeout.get("pool"),
        sock_connect=timeout.get("connect"),
        sock_read=timeout.get("read"),
    )


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with as_httpx_errors(self._request):
            async for chunk in self._response.content.iter_chunked(CHUNK_BYTES):
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with one aiohttp session, opened on the first request (inside the
    event loop that will run it) and closed by `aclose`. `connectors.base.direct` sends the
    client's REST requests on the same session, so both share one connection pool."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self._open()
        return self._session

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            keepalive_timeout=self._limits.keepalive_expiry or 5.0,
        )
        return aiohttp.ClientSession(
            connector=connector,
            # keeps no cookies: aiohttp's own jar would keep a host name's (not an IP
            # address's) and send them with every tenant's next request (`UpstreamClient`)
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self.session()
        body = await request.aread()
        with as_httpx_errors(request):
            response = await session.request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                compress=None,
                timeout=client_timeout(request.extensions.get("timeout", {})),
            )
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request),
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            # the connections' transports close on the loop's next turn; let them, or a loop
            # stopped right after leaves their sockets open
            await asyncio.sleep(0)
