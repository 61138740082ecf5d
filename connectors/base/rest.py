"""Plumbing the REST adapters share: a guarded JSON GET (retried) and writes (never retried),
batch reads in upstream-sized chunks, bounded paging, and regrouping results in the order of
the keys asked for."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import httpx

from connectors.base.answer import Answer
from connectors.base.errors import UpstreamRefused
from connectors.base.guard import Guard
from connectors.base.http import UpstreamClient, upstream_errors
from connectors.base.observed import OPERATION
from connectors.base.ports import ListFilter
from connectors.base.records import System

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
C = TypeVar("C")

MAX_BATCH = 100
"""Keys per batch request and records per page: the REST upstreams refuse more."""
MAX_PAGES = 20
"""Pages a list method reads at most; beyond that the list is cut off, not failed."""

Params = Mapping[str, str | int]
RefusalReader = Callable[[int, Any], UpstreamRefused | None]
"""Reads a refused write's answer (status, JSON body) as the system's reasons, if it can."""


class RestClient:
    """One upstream's pooled HTTP client behind its guard: the calls REST adapters make.

    The client comes from `connectors.base.http.create_client` (base URL, auth headers);
    `aclose` closes it. Its requests go straight on aiohttp when it can send them so
    (`UpstreamClient.direct`), else through httpx.
    """

    def __init__(self, client: httpx.AsyncClient, guard: Guard) -> None:
        self.http = client
        self.guard = guard
        self.system = guard.system
        self._direct = client.direct if isinstance(client, UpstreamClient) else None

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(
        self,
        path: str,
        params: Params | None = None,
        *,
        missing_ok: bool = False,
        operation: str | None = None,
    ) -> Any:
        """GET `path` and decode its JSON body, retrying retriable failures.

        With `missing_ok`, a 404 answers `None` instead of raising `UpstreamRejected`. A path
        with IDs in it names its `operation` (`GET /things/{id}`) for metrics and traces.
        """

        async def attempt() -> Any:
            async with upstream_errors(self.system):
                answer = await self._send("GET", path, operation, params)
            if missing_ok and answer.status == 404:
                return None
            answer.raise_for_status(self.system)
            return answer.json(self.system)

        return await self.guard.read(attempt)

    async def _send(
        self,
        method: str,
        path: str,
        operation: str | None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        **content: Any,
    ) -> Answer:
        """One request, straight on aiohttp when it can go so, else through httpx."""
        direct = self._direct
        if direct is not None and not self.http.is_closed:
            prepared = direct.prepare(method, path, params, headers, content)
            if prepared is not None:
                return await direct.send(prepared, operation)
        extensions = {OPERATION: operation} if operation else None
        response = await self.http.request(
            method, path, params=params, headers=headers, extensions=extensions, **content
        )
        return Answer.of(response)

    async def post_form(
        self,
        path: str,
        form: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
        *,
        files: Mapping[str, Any] | None = None,
        operation: str | None = None,
        refusal: RefusalReader | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """POST a form (a write), with `files` as multipart parts (httpx's `files`), and
        decode the JSON answer, like `send_json`; with `missing_ok`, a 404 answers None."""
        return await self._write(
            "POST",
            path,
            headers=headers,
            operation=operation,
            refusal=refusal,
            missing_ok=missing_ok,
            data=dict(form),
            files=files,
        )

    async def send_json(
        self,
        method: str,
        path: str,
        body: Mapping[str, object] | None = None,
        *,
        operation: str | None = None,
        refusal: RefusalReader | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """Send a JSON write (POST, PATCH, DELETE) and decode the answer (None for 204 No
        Content). `refusal` reads a 4xx answer (its status and JSON body, None when it has none)
        as the system's reasons, when it can; with `missing_ok`, a 404 answers None."""
        return await self._write(
            method, path, operation=operation, refusal=refusal, missing_ok=missing_ok, json=body
        )

    async def _write(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
        refusal: RefusalReader | None = None,
        missing_ok: bool = False,
        **content: Any,
    ) -> Any:
        """One attempt, never retried, so a timeout leaves the outcome unknown rather than
        doubled. A path with IDs in it names its `operation`, as for `get_json`."""

        async def attempt() -> Any:
            async with upstream_errors(self.system):
                answer = await self._send(method, path, operation, None, headers, **content)
            if missing_ok and answer.status == 404:
                return None
            if refusal is not None and 400 <= answer.status < 500:
                refused = refusal(answer.status, answer.json_or_none())
                if refused is not None:
                    raise refused
            answer.raise_for_status(self.system)
            return None if answer.status == 204 else answer.json(self.system)

        return await self.guard.write(attempt)

    async def get_batched(
        self, path: str, key_param: str, keys: Sequence[str], parse: Callable[[Any], list[T]]
    ) -> list[T]:
        """GET `path` with `key_param=k1,k2,…` once per `MAX_BATCH` distinct keys."""

        async def fetch(chunk: list[str]) -> list[T]:
            return parse(await self.get(path, {key_param: ",".join(chunk)}))

        return await fetch_batches(keys, fetch)


async def fetch_batches(
    keys: Sequence[K], fetch: Callable[[list[K]], Awaitable[list[T]]], size: int = MAX_BATCH
) -> list[T]:
    """Call `fetch` once per chunk of the distinct keys (concurrently), all results in one list.

    No keys, no request.
    """
    distinct = list(dict.fromkeys(keys))
    chunks = [distinct[start : start + size] for start in range(0, len(distinct), size)]
    results = await asyncio.gather(*(fetch(chunk) for chunk in chunks))
    return [item for result in results for item in result]


async def collect_pages(
    first: C, fetch: Callable[[C], Awaitable[tuple[list[T], C | None]]], max_pages: int = MAX_PAGES
) -> list[T]:
    """Follow `fetch(cursor) -> (items, next cursor or None)` from `first`, for `max_pages`."""
    found: list[T] = []
    cursor: C | None = first
    for _ in range(max_pages):
        if cursor is None:
            break
        items, cursor = await fetch(cursor)
        found += items
    return found


class RestAdapter:
    """The base of the REST adapters: one upstream's `RestClient` and its page size.

    `client` is built by `connectors.base.http.create_client` with the system's base URL and
    its `Authorization` header; the adapter owns it and closes it.
    """

    system: ClassVar[System]

    def __init__(
        self,
        client: httpx.AsyncClient,
        guard: Guard | None = None,
        page_size: int = MAX_BATCH,
    ) -> None:
        self._rest = RestClient(client, guard or Guard(self.system))
        self._page_size = page_size

    async def aclose(self) -> None:
        await self._rest.aclose()


def grouped(records: Sequence[T], key: Callable[[T], K], keys: Sequence[K]) -> list[list[T]]:
    """The records of each key, in the order of `keys` (the batch contract of the ports)."""
    groups: dict[K, list[T]] = {k: [] for k in keys}
    for record in records:
        if (group := groups.get(key(record))) is not None:
            group.append(record)
    return [groups[k] for k in keys]


def filter_params(query: ListFilter, search: str, date_from: str, date_to: str) -> dict[str, str]:
    """`query` as query parameters under the upstream's names; unset parts left out."""
    given = {
        search: query.search,
        date_from: query.date_from.isoformat() if query.date_from else None,
        date_to: query.date_to.isoformat() if query.date_to else None,
    }
    return {name: value for name, value in given.items() if value}
