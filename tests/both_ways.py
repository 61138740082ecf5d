"""One upstream client configuration two ways: its REST requests sent straight on aiohttp
(`connectors.base.direct`) and through httpx's client (`UpstreamClient.direct` unset), and what
the same call gave each way, for tests that hold the one to the other."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from connectors.base.errors import UpstreamError
from connectors.base.guard import Guard, GuardPolicy
from connectors.base.http import HttpLimits, UpstreamClient, create_client
from connectors.base.records import System
from connectors.base.rest import RestClient
from connectors.base.retry import RetryPolicy

Way = Literal["direct", "httpx"]
ONCE = GuardPolicy(retry=RetryPolicy(attempts=1))


def rest_clients(
    url: str,
    limits: HttpLimits,
    system: System | None = None,
    token: str = "t0k3n",  # noqa: S107 - a test server's
) -> dict[Way, RestClient]:
    """The same client configuration twice: one sending straight, one through httpx."""
    made: dict[Way, RestClient] = {}
    for way in ("direct", "httpx"):
        http = create_client(url, limits, system, headers={"Authorization": f"Bearer {token}"})
        assert isinstance(http, UpstreamClient)
        assert http.direct is not None
        if way == "httpx":
            http.direct = None
        made[way] = RestClient(http, Guard(System.CRM, ONCE))
    return made


async def outcomes(
    rest: Mapping[Way, RestClient], call: Callable[[RestClient], Awaitable[Any]]
) -> dict[Way, tuple[str, Any, float | None]]:
    """What `call` gave each way: ("answer", value, None) or (error type, message, its
    retry_after_s)."""
    seen: dict[Way, tuple[str, Any, float | None]] = {}
    for way, client in rest.items():
        try:
            seen[way] = ("answer", await call(client), None)
        except UpstreamError as error:
            seen[way] = (type(error).__name__, str(error), error.retry_after_s)
        finally:
            await client.aclose()
    return seen
