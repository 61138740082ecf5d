"""The REST sandbox systems (CRM, DMS, payment provider) for tests, and adapters on them.

Load as a plugin (`pytest_plugins = ["tests.rest_fixtures"]` in the root conftest, or
`-p tests.rest_fixtures`). The systems are real servers on loopback serving one seed, pinned
to `SANDBOX_NOW`; tests compute their expectations from `rest_seed`. The `*_control`
fixtures reset the system's request counters before a test and its faults after it.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from connectors.base.guard import Guard, GuardPolicy
from connectors.base.http import HttpLimits, create_client
from connectors.base.records import System
from connectors.base.retry import RetryPolicy
from connectors.crm import CrmAdapter
from connectors.dms import DmsAdapter
from connectors.payments import PaymentsAdapter
from sandbox.crm import create_crm_app
from sandbox.dms import create_dms_app
from sandbox.dms.writes import DmsLimits
from sandbox.faults import Faults
from sandbox.model import Seed
from sandbox.payments import create_payments_app
from sandbox.seed import build_seed, parse_now
from sandbox.stats import RequestStats
from sandbox.webhooks import Webhooks
from tests.servers import serve_in_thread

SANDBOX_NOW = "2026-03-10T09:00:00+01:00"
CRM_TOKEN = "crm-test-token"
DMS_TOKEN = "dms-test-token"
PAYMENTS_KEY = "sk_test_portalgraph"
TEST_LIMITS = HttpLimits(connect_timeout_s=2.0, read_timeout_s=5.0, total_timeout_s=8.0)
HANG_LIMITS = HttpLimits(connect_timeout_s=1.0, read_timeout_s=0.2, total_timeout_s=0.5)
"""For `hang` faults: the client gives up quickly."""
FAST_RETRY = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.02)


def fast_guard(system: System, retry: RetryPolicy = FAST_RETRY) -> Guard:
    """A guard of the system's own (a fresh circuit) with quick retries."""
    return Guard(system, GuardPolicy(retry=retry))


def bearer_client(url: str, token: str, limits: HttpLimits = TEST_LIMITS) -> httpx.AsyncClient:
    """An upstream client as the gateway builds it: `create_client` plus the bearer header."""
    return create_client(url, limits, headers={"Authorization": f"Bearer {token}"})


class SandboxControl:
    """A sandbox system's control surface: `/_stats`, `/_stats/reset` and `/_faults`."""

    def __init__(self, url: str) -> None:
        self._client = httpx.AsyncClient(base_url=url, timeout=5.0)

    async def requests(self) -> dict[str, int]:
        """Requests served since the last reset, by operation (`<METHOD> <route template>`)."""
        response = await self._client.get("/_stats")
        response.raise_for_status()
        by_operation: dict[str, int] = response.json()["by_operation"]
        return by_operation

    async def reset_stats(self) -> None:
        (await self._client.post("/_stats/reset")).raise_for_status()

    async def set_faults(self, **spec: Any) -> None:
        (await self._client.post("/_faults", json=spec)).raise_for_status()

    async def aclose(self) -> None:
        await self._client.aclose()


@asynccontextmanager
async def controlled(url: str) -> AsyncIterator[SandboxControl]:
    control = SandboxControl(url)
    await control.reset_stats()
    try:
        yield control
    finally:
        await control.set_faults(mode="ok")
        await control.aclose()


def pinned_seed() -> Seed:
    """A fresh seed at `SANDBOX_NOW`."""
    return build_seed(parse_now(SANDBOX_NOW))


def dms_app(seed: Seed, limits: DmsLimits | None = None) -> Starlette:
    """The DMS on `seed`, its writes dated by the seed's `now`."""
    return create_dms_app(
        seed, Faults(), RequestStats(), DMS_TOKEN, lambda: seed.now, Webhooks(), limits
    )


def dms_adapter_on(url: str) -> DmsAdapter:
    return DmsAdapter(bearer_client(url, DMS_TOKEN), fast_guard(System.DMS))


@pytest.fixture(scope="session")
def rest_seed() -> Seed:
    return pinned_seed()


@pytest.fixture(scope="session")
def crm_url(rest_seed: Seed) -> Iterator[str]:
    app = create_crm_app(
        rest_seed, Faults(), RequestStats(), CRM_TOKEN, clock=lambda: rest_seed.now
    )
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="session")
def dms_url(rest_seed: Seed) -> Iterator[str]:
    with serve_in_thread(dms_app(rest_seed)) as url:
        yield url


@pytest.fixture(scope="session")
def payments_url(rest_seed: Seed) -> Iterator[str]:
    app = create_payments_app(rest_seed, Faults(), RequestStats(), PAYMENTS_KEY)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
async def crm_control(crm_url: str) -> AsyncIterator[SandboxControl]:
    async with controlled(crm_url) as control:
        yield control


@pytest.fixture
async def dms_control(dms_url: str) -> AsyncIterator[SandboxControl]:
    async with controlled(dms_url) as control:
        yield control


@pytest.fixture
async def payments_control(payments_url: str) -> AsyncIterator[SandboxControl]:
    async with controlled(payments_url) as control:
        yield control


@pytest.fixture
async def crm_adapter(crm_url: str) -> AsyncIterator[CrmAdapter]:
    adapter = CrmAdapter(bearer_client(crm_url, CRM_TOKEN), fast_guard(System.CRM))
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def dms_adapter(dms_url: str) -> AsyncIterator[DmsAdapter]:
    adapter = dms_adapter_on(dms_url)
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def payments_adapter(payments_url: str) -> AsyncIterator[PaymentsAdapter]:
    adapter = PaymentsAdapter(
        bearer_client(payments_url, PAYMENTS_KEY), fast_guard(System.PAYMENTS)
    )
    yield adapter
    await adapter.aclose()
