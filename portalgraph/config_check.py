"""`portalgraph config check`: is this configuration ready to serve? Before a deployment, it
checks what the gateway needs at start-up and on its first requests, and says in words what is
wrong: each upstream system answers, the shipped ERP WSDL parses, the identity provider
publishes its discovery document and signing keys, Redis answers (when configured: a server,
every primary of a Redis Cluster, or the primary a Sentinel group names).

Settings that do not validate never get here: they fail first, naming the key.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO

import httpx
from keycloak import KeycloakOpenID
from redis.asyncio import RedisCluster

from connectors.base.soap import load_wsdl
from connectors.erp.client import WSDL_PATH
from infra.topology import RedisClient, SentinelRedis, parse_redis_url
from portalgraph.app import readiness_probes, realm_url
from portalgraph.health import PROBE_TIMEOUT_S, check
from portalgraph.infrastructure import open_infrastructure
from portalgraph.settings import Settings

Probe = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str


def wsdl_parses() -> Probe:
    async def probe() -> None:
        document = await asyncio.to_thread(load_wsdl, WSDL_PATH)
        if not document.services:
            raise ValueError(f"{WSDL_PATH.name} defines no service")

    return probe


def discovery(settings: Settings, client: httpx.AsyncClient) -> Probe:
    """The realm's discovery document, naming the issuer tokens must carry."""

    async def probe() -> None:
        response = await client.get(
            f"{realm_url(settings)}/.well-known/openid-configuration", timeout=PROBE_TIMEOUT_S
        )
        if response.status_code != 200:
            raise ValueError(f"realm {settings.oidc_realm!r} answers HTTP {response.status_code}")
        issuer = response.json().get("issuer")
        if issuer != settings.issuer:
            raise ValueError(
                f"tokens are issued by {issuer!r}, but the gateway expects {settings.issuer!r} "
                "(set PORTALGRAPH_OIDC_ISSUER)"
            )

    return probe


def signing_keys(settings: Settings) -> Probe:
    async def probe() -> None:
        openid = KeycloakOpenID(
            server_url=str(settings.oidc_server_url),
            realm_name=settings.oidc_realm,
            client_id=settings.oidc_client_id,
            timeout=int(PROBE_TIMEOUT_S),
        )
        try:
            keys = (await openid.a_certs()).get("keys", [])
        finally:
            await openid.connection.aclose()
        if not keys:
            raise ValueError("the realm publishes no signing keys")

    return probe


def redis_answers(url: str, redis: RedisClient, found: dict[str, str]) -> Probe:
    """Redis itself, not the cache in front of it (whose fallback would hide an outage); says
    in `found` what answered."""
    topology = parse_redis_url(url)

    async def probe() -> None:
        if isinstance(redis, RedisCluster):
            await redis.initialize()
            await redis.ping(target_nodes=RedisCluster.PRIMARIES)
            primaries, replicas = len(redis.get_primaries()), len(redis.get_replicas())
            found["redis"] = (
                f"{topology.describe()}: {primaries} primaries answer ({replicas} replicas)"
            )
        elif isinstance(redis, SentinelRedis) and redis.sentinels is not None:
            host, port = await redis.sentinels.discover_master(topology.service)
            await redis.ping()
            found["redis"] = f"{topology.describe()}: primary {host}:{port} answers"
        else:
            await redis.ping()
            found["redis"] = f"{topology.describe()} answers"

    return probe


FINE = {"wsdl": "parses", "jwks": "published", "idp": "published, issuer as expected"}
"""What a passed check says, where "answers" would not fit."""

DESCRIPTIONS = {
    "idp": "identity provider discovery",
    "jwks": "identity provider signing keys",
    "wsdl": "shipped ERP WSDL",
    "erp": "ERP endpoint",
    "crm": "CRM",
    "dms": "document management system",
    "payments": "payment provider",
    "redis": "Redis",
}


async def check_configuration(settings: Settings) -> list[Finding]:
    infra = open_infrastructure(settings)
    found = dict(FINE)
    try:
        async with httpx.AsyncClient() as client:
            probes = dict(readiness_probes(settings, client, infra))
            probes["idp"] = discovery(settings, client)  # stricter than readiness: 200, issuer
            probes["wsdl"] = wsdl_parses()
            probes["jwks"] = signing_keys(settings)
            if settings.redis_url and infra.redis is not None:
                probes["redis"] = redis_answers(settings.redis_url, infra.redis, found)
            results = await asyncio.gather(*(check(probe) for probe in probes.values()))
    finally:
        await infra.aclose()
    return [
        Finding(name, result["status"] != "down", result.get("error", found.get(name, "answers")))
        for name, result in zip(probes, results, strict=True)
    ]


def report(findings: list[Finding], out: TextIO) -> int:
    """One line per check; exit status 1 when any failed."""
    for finding in findings:
        mark = "ok  " if finding.ok else "FAIL"
        print(f"{mark} {DESCRIPTIONS.get(finding.name, finding.name)}: {finding.detail}", file=out)
    return 0 if all(finding.ok for finding in findings) else 1
