"""The composition root: `create_app(settings)` wires settings to the connectors, the cache,
token verification and the schema; the lifespan opens and closes every client."""

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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
from connectors.base.changes import Change
from connectors.base.http import HttpLimits
from connectors.base.ports import DocumentPort
from connectors.base.retry import RetryPolicy
from connectors.registry import UpstreamConfig, build_adapters
from infra.cache import Cache, MemoryCache, RedisCache
from portalgraph.extensions import EventCursor, MaskUnexpectedErrors, RequireAuthentication
from portalgraph.files import download_endpoint
from portalgraph.health import Probe, healthz, http_probe, readyz
from portalgraph.limits import BodySizeLimit
from portalgraph.pipeline import Pipeline
from portalgraph.realtime import start_realtime
from portalgraph.settings import Settings
from portalgraph.view import GatewayView, RequestServices
from portalgraph.webhooks import webhook_endpoint, webhook_sources
from resolvers.downloads import DownloadLinks
from resolvers.loaders import Loaders, entities_with_ttls
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
    pipeline: Pipeline | None = None

    def request_services(self) -> RequestServices:
        if self.services is None:
            raise RuntimeError("the gateway is not started (its lifespan has not run)")
        return self.services

    def ingest(self) -> Callable[[Change], Awaitable[str | None]]:
        if self.pipeline is None:
            raise RuntimeError("the gateway is not started (its lifespan has not run)")
        return self.pipeline.ingest


def upstream_configs(settings: Settings) -> dict[str, UpstreamConfig]:
    limits = HttpLimits(
        connect_timeout_s=settings.upstream_connect_timeout_s,
        read_timeout_s=settings.upstream_read_timeout_s,
        total_timeout_s=settings.upstream_total_timeout_s,
        max_connections=settings.upstream_max_connections,
    )
    retry = RetryPolicy(attempts=settings.upstream_retry_attempts)
    return {
        "erp": UpstreamConfig(str(settings.erp_url), None, limits, retry),
        "crm": UpstreamConfig(str(settings.crm_url), settings.crm_token, limits, retry),
        "dms": UpstreamConfig(str(settings.dms_url), settings.dms_token, limits, retry),
        "payments": UpstreamConfig(
            str(settings.payments_url), settings.payments_secret_key, limits, retry
        ),
    }


def open_cache(settings: Settings) -> Cache:
    if settings.redis_url:
        return RedisCache.from_url(settings.redis_url, settings.cache_prefix)
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
    schema = build_schema(
        [
            partial(RequireAuthentication, allow_anonymous_introspection=settings.demo_mode),
            partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
            partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
            MaskUnexpectedErrors,
            EventCursor,
        ]
    )
    view = GatewayView(
        schema,
        runtime.request_services,
        verifier.verify,
        token_leeway_s=settings.oidc_leeway_s,
        keep_alive_s=settings.ws_keep_alive_s,
        graphql_ide="graphiql" if settings.demo_mode else None,
        allow_queries_via_get=True,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(verifier.aclose)
            cache = open_cache(settings)
            stack.push_async_callback(cache.aclose)
            ports = await build_adapters(upstream_configs(settings), settings.adapters, stack)
            probe_client = httpx.AsyncClient()
            stack.push_async_callback(probe_client.aclose)
            runtime.probes = readiness_probes(settings, probe_client, cache)
            upstreams = Upstreams(**ports)
            entities = entities_with_ttls(settings.cache_ttl_s)
            realtime = await start_realtime(
                settings,
                upstreams,
                ports.values(),
                cache,
                lambda: Loaders(upstreams, cache, entities),
                clock,
                stack,
            )
            runtime.pipeline = realtime.pipeline
            runtime.services = RequestServices(
                upstreams=upstreams,
                cache=cache,
                entities=entities,
                download_secret=settings.download_url_secret.encode(),
                download_ttl_s=settings.download_url_ttl_s,
                public_url=str(settings.public_url) if settings.public_url else None,
                clock=clock,
                feed=realtime.feed,
            )
            yield
            runtime.services = None
            runtime.pipeline = None

    def downloads() -> tuple[DownloadLinks, DocumentPort]:
        services = runtime.request_services()
        links = DownloadLinks(services.download_secret, services.download_ttl_s, "")
        return links, services.upstreams.documents

    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz),
            Route("/readyz", readyz(lambda: runtime.probes or {})),
            Route("/files/{token}/{signature}", download_endpoint(downloads)),
            Route(
                "/webhooks/{system}",
                webhook_endpoint(webhook_sources(settings), runtime.ingest),
                methods=["POST"],
            ),
        ],
        middleware=[
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                AuthenticationMiddleware,
                backend=BearerTokenBackend(verifier),
                on_error=auth_error_response,
            ),
        ],
        lifespan=lifespan,
    )


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
    if isinstance(cache, RedisCache):
        probes["redis"] = cache.ping
    return probes
