"""The composition root: `create_app(settings)` wires settings to the connectors, the cache,
token verification and the schema; the lifespan opens and closes every client."""

import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Route, WebSocketRoute
from strawberry.extensions import MaxTokensLimiter, QueryDepthLimiter

from auth.backend import BearerTokenBackend, auth_error_response
from auth.tokens import TokenVerifier
from connectors.base.breaker import BreakerPolicy
from connectors.base.caching import ReadThrough
from connectors.base.guard import CallObserver, Guard, GuardPolicy
from connectors.base.http import HttpLimits
from connectors.base.ports import DocumentPort
from connectors.base.records import System
from connectors.base.retry import RetryPolicy
from connectors.registry import UpstreamConfig, build_adapters
from infra.cache import Cache, MemoryCache, RedisCache
from infra.fallback import FallbackCache
from portalgraph.draining import GoingAway, WebSocketDrain
from portalgraph.extensions import MaskUnexpectedErrors, RequireAuthentication, UpstreamScope
from portalgraph.files import download_endpoint
from portalgraph.health import Probe, healthz, http_probe, readyz
from portalgraph.limits import BodySizeLimit
from portalgraph.metrics import GatewayMetrics
from portalgraph.settings import Settings
from portalgraph.view import GatewayView, RequestServices
from resolvers.downloads import DownloadLinks
from resolvers.loaders import configured_entities
from resolvers.upstreams import Upstreams
from schema.root import build_schema

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def advancing_clock(start: datetime) -> Clock:
    """A clock that starts at `start` and advances in real time (a pinned demo or test)."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


@dataclass
class Runtime:
    """What the lifespan opens; the routes read it per request."""

    services: RequestServices | None = None
    probes: Mapping[str, Probe] | None = None
    guards: Mapping[System, Guard] | None = None

    def request_services(self) -> RequestServices:
        if self.services is None:
            raise RuntimeError("the gateway is not started (its lifespan has not run)")
        return self.services


def build_guards(settings: Settings, observer: CallObserver) -> dict[System, Guard]:
    """One guard (breaker, bulkhead, retries, timeout) per upstream system."""
    policy = GuardPolicy(
        retry=RetryPolicy(attempts=settings.upstream_retry_attempts),
        breaker=BreakerPolicy(
            consecutive_failures=settings.upstream_breaker_failures,
            failure_rate=settings.upstream_breaker_failure_rate,
            window=settings.upstream_breaker_window,
            min_calls=max(2, settings.upstream_breaker_window // 2),
            open_s=settings.upstream_breaker_open_s,
        ),
        max_concurrent=settings.upstream_max_concurrent,
        max_queue=settings.upstream_max_queue,
        call_timeout_s=settings.upstream_total_timeout_s,
    )
    return {system: Guard(system, policy, observer) for system in System}


def upstream_configs(
    settings: Settings, guards: Mapping[System, Guard]
) -> dict[str, UpstreamConfig]:
    limits = HttpLimits(
        connect_timeout_s=settings.upstream_connect_timeout_s,
        read_timeout_s=settings.upstream_read_timeout_s,
        total_timeout_s=settings.upstream_total_timeout_s,
        max_connections=settings.upstream_max_connections,
        max_body_bytes=settings.upstream_max_body_bytes,
    )
    urls_and_tokens = {
        System.ERP: (str(settings.erp_url), None),
        System.CRM: (str(settings.crm_url), settings.crm_token),
        System.DMS: (str(settings.dms_url), settings.dms_token),
        System.PAYMENTS: (str(settings.payments_url), settings.payments_secret_key),
    }
    return {
        system.value: UpstreamConfig(url, token, limits, guards[system])
        for system, (url, token) in urls_and_tokens.items()
    }


def open_cache(settings: Settings) -> Cache:
    """Redis (with the in-memory fallback for its outages) when configured, else memory."""
    if settings.redis_url:
        return FallbackCache(RedisCache.from_url(settings.redis_url, settings.cache_prefix))
    return MemoryCache()


def create_app(settings: Settings, clock: Clock = system_clock) -> Starlette:
    runtime = Runtime()
    verifier = TokenVerifier(
        server_url=str(settings.oidc_server_url),
        realm=settings.oidc_realm,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        issuer=settings.issuer,
        audience=settings.oidc_audience,
        algorithms=settings.oidc_algorithms,
        leeway=settings.oidc_leeway_s,
        jwks_refresh_interval=settings.oidc_jwks_refresh_interval_s,
    )
    metrics = GatewayMetrics()
    schema = build_schema(
        [
            partial(UpstreamScope, deadline_s=settings.request_deadline_s),
            partial(RequireAuthentication, allow_anonymous_introspection=settings.demo_mode),
            partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
            partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
            MaskUnexpectedErrors,
        ]
    )
    view = GatewayView(
        schema,
        runtime.request_services,
        graphql_ide="graphiql" if settings.demo_mode else None,
        allow_queries_via_get=True,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(verifier.aclose)
            cache = open_cache(settings)
            stack.push_async_callback(cache.aclose)
            guards = build_guards(settings, metrics)
            configs = upstream_configs(settings, guards)
            ports = await build_adapters(configs, settings.adapters, stack)
            read = ReadThrough(cache, clock)
            stack.push_async_callback(read.aclose)  # before the adapters its refreshes use
            metrics.watch(guards, read)
            probe_client = httpx.AsyncClient()
            stack.push_async_callback(probe_client.aclose)
            runtime.probes = readiness_probes(settings, probe_client, cache)
            runtime.guards = guards
            runtime.services = RequestServices(
                upstreams=Upstreams(**ports),
                read=read,
                entities=configured_entities(settings.cache_ttl_s, settings.cache_max_stale_s),
                download_secret=settings.download_url_secret.encode(),
                download_ttl_s=settings.download_url_ttl_s,
                public_url=str(settings.public_url) if settings.public_url else None,
                clock=clock,
            )
            yield
            runtime.services = None

    def downloads() -> tuple[DownloadLinks, DocumentPort]:
        services = runtime.request_services()
        links = DownloadLinks(services.download_secret, services.download_ttl_s, "")
        return links, services.upstreams.documents

    drain = WebSocketDrain()
    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz),
            Route(
                "/readyz",
                readyz(lambda: runtime.probes or {}, lambda: guard_details(runtime.guards or {})),
            ),
            Route("/metrics", metrics.endpoint()),
            Route("/files/{token}/{signature}", download_endpoint(downloads)),
        ],
        middleware=[
            Middleware(GoingAway, drain=drain),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                AuthenticationMiddleware,
                backend=BearerTokenBackend(verifier),
                on_error=auth_error_response,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.drain = drain
    return app


def readiness_probes(
    settings: Settings, client: httpx.AsyncClient, cache: Cache
) -> dict[str, Probe]:
    probes = {
        "idp": http_probe(client, f"{settings.issuer}/.well-known/openid-configuration"),
        "erp": http_probe(client, f"{settings.erp_url}?wsdl"),
        "crm": http_probe(client, str(settings.crm_url)),
        "dms": http_probe(client, str(settings.dms_url)),
        "payments": http_probe(client, str(settings.payments_url)),
    }
    if isinstance(cache, FallbackCache):
        probes["redis"] = cache.ping
    return probes


def guard_details(guards: Mapping[System, Guard]) -> dict[str, dict[str, object]]:
    """Readiness detail per upstream system: its circuit and bulkhead."""
    return {
        system.value: {
            "circuit": guard.breaker.state.value,
            "inFlight": guard.bulkhead.in_flight,
            "queued": guard.bulkhead.queued,
        }
        for system, guard in guards.items()
    }
