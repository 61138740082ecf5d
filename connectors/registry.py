"""Which adapter serves which port, chosen from settings.

Built in: `erp` (SOAP) serves organizations, quotes, orders, invoices and bookings; `crm`
contacts, tickets, the message threads on cases, consents, customer segments and privacy
requests; `dms` documents; `payments` payments. Every adapter that holds personal data answers
privacy requests for its system (`personal_data_holders`). A company swaps in its own adapter
for a port with `PORTALGRAPH_ADAPTERS="orders=acme_erp"`, where `acme_erp` is an entry point
in the group `portalgraph.adapters` naming an `AdapterFactory`. Each adapter is built once,
even when it serves several ports.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from connectors.base.guard import Guard
from connectors.base.http import HttpLimits, create_client
from connectors.base.ports import PersonalDataPort
from connectors.base.records import System
from connectors.crm.client import CrmAdapter
from connectors.dms.client import DmsAdapter
from connectors.erp.client import ErpAdapter
from connectors.payments.client import PaymentsAdapter

ENTRY_POINT_GROUP = "portalgraph.adapters"
DEFAULT_ADAPTERS = {
    "organizations": "erp",
    "quotes": "erp",
    "orders": "erp",
    "invoices": "erp",
    "bookings": "erp",
    "contacts": "crm",
    "consents": "crm",
    "privacy_requests": "crm",
    "segments": "crm",
    "tickets": "crm",
    "threads": "crm",
    "documents": "dms",
    "payments": "payments",
}


@dataclass(frozen=True)
class UpstreamConfig:
    """How to reach one upstream system, and the guard every call to it passes."""

    base_url: str
    token: str | None
    limits: HttpLimits
    guard: Guard


AdapterFactory = Callable[[UpstreamConfig], Awaitable[Any]]
"""Builds a connected adapter; the registry closes it with its `aclose()` at shutdown."""


def _bearer_client(config: UpstreamConfig, system: System) -> Any:
    headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
    return create_client(config.base_url, config.limits, system, headers=headers)


async def _erp(config: UpstreamConfig) -> ErpAdapter:
    http = create_client("", config.limits, System.ERP)
    return await ErpAdapter.connect(config.base_url, http, config.guard)


async def _crm(config: UpstreamConfig) -> CrmAdapter:
    return CrmAdapter(_bearer_client(config, System.CRM), config.guard)


async def _dms(config: UpstreamConfig) -> DmsAdapter:
    client = _bearer_client(config, System.DMS)
    return DmsAdapter(client, config.guard, config.limits.max_body_bytes)


async def _payments(config: UpstreamConfig) -> PaymentsAdapter:
    return PaymentsAdapter(_bearer_client(config, System.PAYMENTS), config.guard)


BUILTIN: dict[str, AdapterFactory] = {
    "erp": _erp,
    "crm": _crm,
    "dms": _dms,
    "payments": _payments,
}


def _factory(name: str) -> AdapterFactory:
    if name in BUILTIN:
        return BUILTIN[name]
    for entry in entry_points(group=ENTRY_POINT_GROUP, name=name):
        factory: AdapterFactory = entry.load()
        return factory
    raise ValueError(
        f"no adapter {name!r}: built in are {sorted(BUILTIN)}, "
        f"others must be entry points in {ENTRY_POINT_GROUP!r}"
    )


async def build_adapters(
    configs: Mapping[str, UpstreamConfig],
    overrides: Mapping[str, str],
    stack: AsyncExitStack,
) -> dict[str, Any]:
    """Port name → adapter, each adapter closed when `stack` closes.

    `configs` is keyed by built-in system name; a replacement adapter gets the config of the
    system it replaces.
    """
    unknown = set(overrides) - set(DEFAULT_ADAPTERS)
    if unknown:
        raise ValueError(f"unknown ports {sorted(unknown)}; known: {sorted(DEFAULT_ADAPTERS)}")
    built: dict[str, Any] = {}
    ports: dict[str, Any] = {}
    for port, default in DEFAULT_ADAPTERS.items():
        name = overrides.get(port, default)
        if name not in built:
            adapter = await _factory(name)(configs[default])
            stack.push_async_callback(adapter.aclose)
            built[name] = adapter
        ports[port] = built[name]
    return ports


def personal_data_holders(adapters: Iterable[Any]) -> tuple[PersonalDataPort, ...]:
    """Each distinct adapter that answers privacy requests, in the order given."""
    distinct = {id(adapter): adapter for adapter in adapters}
    return tuple(a for a in distinct.values() if isinstance(a, PersonalDataPort))
