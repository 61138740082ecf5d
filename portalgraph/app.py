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
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from auth.backend import BearerTokenBackend, auth_error_response
from auth.tokens import TokenVerifier
from connectors.base.http import HttpLimits
from connectors.base.ports import DocumentPort
from connectors.base.retry import RetryPolicy
from connectors.registry import UpstreamConfig, build_adapters
from infra.cache import Cache, MemoryCache, RedisCache
from infra.metrics import OperationNames
from infra.usage import MemoryUsage, RedisUsage, UsageStore
from portalgraph.access import AccessLog
from portalgraph.extensions import (
    MaskUnexpectedErrors,
    ObserveOperations,
    RecordUsage,
    RequireAuthentication,
)
from portalgraph.files import download_endpoint
from portalgraph.health import Probe, healthz, http_probe, readyz
from portalgraph.limits import BodySizeLimit
from portalgraph.metrics import metrics
from portalgraph.settings import Settings
from portalgraph.view import GatewayView, RequestServices
from resolvers.downloads import DownloadLinks
from resolvers.loaders import entities_with_ttls
from resolvers.upstreams import Upstreams
from schema.root import build_schema

Clock = Callable[[], datetime]
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")
"""Probed and scraped every few seconds: no access log line, no trace."""


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

    def request_services(self) -> RequestServices:
        if self.services is None:
            raise RuntimeError("the gateway is not started (its lifespan has not run)")
        return self.services


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


def open_usage(settings: Settings) -> UsageStore:
    if settings.redis_url:
        return RedisUsage.from_url(
            settings.redis_url, settings.cache_prefix, settings.usage_retention_days
        )
    return MemoryUsage()


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
    depth_rules = QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules
    schema = build_schema(
        [
            partial(
                ObserveOperations,
                names=OperationNames(settings.metrics_max_operation_names),
                tenant_label=settings.metrics_tenant_label,
            ),
            partial(ParserCache, maxsize=settings.document_cache_size),
            partial(ValidationCache, maxsize=settings.document_cache_size),
            partial(RequireAuthentication, allow_anonymous_introspection=settings.demo_mode),
            # the rule classes are built once, so that validation results stay cacheable
            partial(AddValidationRules, validation_rules=depth_rules),
            partial(MaxTokensLimiter, max_token_count=settings.max_query_tokens),
            MaskUnexpectedErrors,
            RecordUsage,
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
            usage = open_usage(settings)
            stack.push_async_callback(usage.aclose)
            ports = await build_adapters(upstream_configs(settings), settings.adapters, stack)
            probe_client = httpx.AsyncClient()
            stack.push_async_callback(probe_client.aclose)
            runtime.probes = readiness_probes(settings, probe_client, cache)
            runtime.services = RequestServices(
                upstreams=Upstreams(**ports),
                cache=cache,
                entities=entities_with_ttls(settings.cache_ttl_s),
                download_secret=settings.download_url_secret.encode(),
                download_ttl_s=settings.download_url_ttl_s,
                public_url=str(settings.public_url) if settings.public_url else None,
                clock=clock,
                usage=usage,
                roi=settings.roi,
            )
            yield
            runtime.services = None

    def downloads() -> tuple[DownloadLinks, DocumentPort]:
        services = runtime.request_services()
        links = DownloadLinks(services.download_secret, services.download_ttl_s, "")
        return links, services.upstreams.documents

    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz),
            Route("/readyz", readyz(lambda: runtime.probes or {}, settings.ready_requires)),
            Route("/metrics", metrics),
            Route("/files/{token}/{signature}", download_endpoint(downloads)),
        ],
        middleware=[
            Middleware(AccessLog, quiet_paths=QUIET_PATHS),
            Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                AuthenticationMiddleware,
                backend=BearerTokenBackend(verifier),
                on_error=auth_error_response,
            ),
        ],
        lifespan=lifespan,
    )


def realm_url(settings: Settings) -> str:
    """The realm as the gateway reaches it (its issuer may name another host)."""
    return f"{str(settings.oidc_server_url).rstrip('/')}/realms/{settings.oidc_realm}"


def readiness_probes(
    settings: Settings, client: httpx.AsyncClient, cache: Cache
) -> dict[str, Probe]:
    probes = {
        "idp": http_probe(client, f"{realm_url(settings)}/.well-known/openid-configuration"),
        "erp": http_probe(client, f"{settings.erp_url}?wsdl"),
        "crm": http_probe(client, str(settings.crm_url)),
        "dms": http_probe(client, str(settings.dms_url)),
        "payments": http_probe(client, str(settings.payments_url)),
    }
    if isinstance(cache, RedisCache):
        probes["redis"] = cache.ping
    return probes
