"""The cap on an upstream answer's body, declared or streamed: a huge upstream body costs at
most that much memory. `CappedTransport` holds httpx's clients to it, `direct` the REST
requests sent straight on aiohttp."""

from collections.abc import AsyncIterator, Mapping

import httpx


class ResponseTooLarge(httpx.HTTPError):
    """The upstream's answer is larger than the client accepts."""


def declared_too_large(headers: Mapping[str, str], max_bytes: int) -> ResponseTooLarge | None:
    """The error for an answer whose `Content-Length` is over the cap; None if it is not."""
    declared = headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return ResponseTooLarge(f"declared body of {declared} bytes exceeds {max_bytes}")
    return None


def streamed_too_large(max_bytes: int) -> ResponseTooLarge:
    return ResponseTooLarge(f"body exceeds {max_bytes} bytes")


class _CappedStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream, max_bytes: int) -> None:
        self._stream = stream
        self._max_bytes = max_bytes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._stream:
            seen += len(chunk)
            if seen > self._max_bytes:
                raise streamed_too_large(self._max_bytes)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class CappedTransport(httpx.AsyncBaseTransport):
    """Cuts off an answer whose body is larger than `max_bytes`, declared or streamed."""

    def __init__(self, inner: httpx.AsyncBaseTransport, max_bytes: int) -> None:
        self._inner = inner
        self._max_bytes = max_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if (too_large := declared_too_large(response.headers, self._max_bytes)) is not None:
            await response.aclose()
            raise too_large
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CappedStream(response.stream, self._max_bytes),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
