"""The composition root: `create_app(settings)` wires settings to the connectors, the cache,
token verification and the schema; the lifespan opens and closes every client."""

import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from strawberry.extensions import (
    DisableIntrospection,
    SchemaExtension,
)

from auth.admin import ActionsLink, UserAdmin
from auth.backend import ORGANIZATION_HEADER, BearerTokenBackend, auth_error_response
from auth.tokens import TokenVerifier
from connectors.base.breaker import BreakerPolicy
from connectors.base.caching import ReadThrough
from connectors.base.changes import Change
from connectors.base.guard import CallObserver, Guard, GuardPolicy
from connectors.base.http import HttpLimits
from connectors.base.local import Evicting, LocalEntries
from connectors.base.ports import DocumentPort
from connectors.base.records import System
from connectors.base.retry import RetryPolicy
from connectors.registry import UpstreamConfig, build_adapters, personal_data_holders
from infra.cache import Cache
from infra.fallback import FallbackCache
from infra.flags import FeatureFlags
from infra.idempotency import IdempotencyStore, MemoryIdempotency, RedisIdempotency
from infra.metrics import OperationNames
from infra.rendering import Renderer
from infra.usage import BatchedUsage, MemoryUsage, RedisUsage, Tallies, UsageStore
from portalgraph.access import REQUEST_ID_HEADER, AccessLog
from portalgraph.audit import AuditSink, AuditTrail
from portalgraph.cache_hits import CacheHits
from portalgraph.cached_responses import CachePolicy, CacheResponses
from portalgraph.derived_files import privacy_export_file, qr_bill_file, rendition_file
from portalgraph.draining import GoingAway, WebSocketDrain
from portalgraph.extensions import (
    CachedParse,
    CachedValidation,
    EventCursor,
    MaskUnexpectedErrors,
    ObserveOperations,
    RecordUsage,
    RequireAuthentication,
    UpstreamScope,
    parser,
)
from portalgraph.files import download_endpoint
from portalgraph.health import Probe, healthz, http_probe, readyz
from portalgraph.hygiene import CsrfGuard, SecurityHeaders
from portalgraph.infrastructure import Infrastructure, open_infrastructure
from portalgraph.limits import BodySizeLimit
from portalgraph.metrics import GuardObserver, metrics_endpoint
from portalgraph.operation_limits import Limits, Measured, OperationLimits
from portalgraph.persisted import DocumentPolicy, TrustedDocumentsOnly, read_manifest
from portalgraph.pipeline import Pipeline
from portalgraph.portal import portal_routes
from portalgraph.ratelimits import RateLimits, RatePolicy
from portalgraph.realtime import start_realtime
from portalgraph.response_cache import EntityEvictions, ResponseCache
from portalgraph.settings import Settings
from portalgraph.view import GatewayView, RequestServices
from portalgraph.webhooks import webhook_endpoint, webhook_sources
from resolvers.account_data import AccountData
from resolvers.analytics_notes import AnalyticsNotes
from resolvers.derived_files import PRIVACY_EXPORT, QR_BILL, RENDITION
from resolvers.directory import Directory
from resolvers.downloads import DownloadLinks
from resolvers.invalidation import evict_locally
from resolvers.loaders import Loaders, configured_entities
from resolvers.privacy_jobs import PrivacyJobs
from resolvers.renditions import Renditions
from resolvers.uploads import UploadPolicy
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
    guards: Mapping[System, Guard] | None = None
    cache: Cache | None = None
    pipeline: Pipeline | None = None

    def request_services(self) -> RequestServices:
        if self.services is None:
            raise RuntimeError("the gateway is not started (its lifespan has not run)")
        return self.services

    def ingest(self) -> Callable[[Change], Awaitable[str | None]]:
        if self.pipeline is None:
            raise RuntimeError("the gateway is not started (its lifespan has not run)")
        return self.pipeline.ingest


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
        transport=settings.upstream_transport,
    )
    urls_and_tokens = {
        System.ERP: (str(settings.erp_url), None),
        System.CRM: (str(settings.crm_url), settings.crm_token),
        System.DMS: (str(settings.dms_url), settings.dms_token),
        System.PAYMENTS: (str(settings.payments_url), settings.payments_secret_key),
    }
    # the DMS answers with documents as large as the gateway accepts for upload
    documents = replace(
        limits, max_body_bytes=max(limits.max_body_bytes, settings.upload_max_bytes)
    )
    return {
        system.value: UpstreamConfig(
            url, token, documents if system is System.DMS else limits, guards[system]
        )
        for system, (url, token) in urls_and_tokens.items()
    }


def user_admin(settings: Settings) -> UserAdmin:
    """The admin API client, as the gateway's own confidential client (its service account)."""
    return UserAdmin(
        server_url=str(settings.oidc_server_url).rstrip("/") + "/",
        realm=settings.oidc_realm,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        link=ActionsLink(
            client_id=settings.invitation_client_id,
            redirect_uri=settings.invitation_redirect_uri,
            lifespan_s=settings.invitation_lifespan_s,
        ),
        timeout_s=math.ceil(settings.upstream_total_timeout_s),
    )


def schema_extensions(
    settings: Settings,
    infra: Infrastructure,
    sink: AuditSink,
    clock: Clock,
    names: OperationNames,
    responses: ResponseCache | None = None,
) -> list[Callable[[], SchemaExtension]]:
    """In the order their hooks run: audit around everything; then, while parsing, rate limits
    and trusted documents; before validation, the operation limits; the rest around execution."""
    limits = Limits(
        max_tokens=settings.max_query_tokens,
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases,
        max_cost=settings.max_query_cost,
    )
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(
            ObserveOperations,
            names=names,
            tenant_label=settings.metrics_tenant_label,
        ),
        partial(UpstreamScope, deadline_s=settings.request_deadline_s),
        partial(CachedParse, maxsize=settings.document_cache_size),
        partial(AuditTrail, sink=sink, clock=clock),
        partial(RateLimits, limiter=infra.limiter, policy=rate_policy(settings)),
    ]
    if settings.trusted_documents_only:
        extensions.append(partial(TrustedDocumentsOnly, store=infra.documents))
    measured = Measured(settings.document_cache_size)
    extensions.append(partial(OperationLimits, limits=limits, measured=measured))
    if not (settings.introspection or settings.demo_mode):
        extensions.append(DisableIntrospection)
    # after authentication's refusal, around execution only
    cached = [] if responses is None else [
        partial(CacheResponses, cache=responses, policy=cache_policy(settings))
    ]  # fmt: skip
    return [
        *extensions,
        partial(RequireAuthentication, allow_anonymous_introspection=settings.demo_mode),
        # last of the validation hooks, so that refusals before it stand
        partial(CachedValidation, maxsize=settings.document_cache_size),
        *cached,
        partial(MaskUnexpectedErrors, detailed=settings.demo_mode),
        RecordUsage,
        EventCursor,
    ]


def cache_hits(
    settings: Settings, infra: Infrastructure, responses: ResponseCache, names: OperationNames
) -> CacheHits | None:
    """Hits answered before the operation pipeline, configured as its extensions are (see
    `schema_extensions`); None in trusted documents mode, whose check is the pipeline's."""
    if settings.trusted_documents_only:
        return None
    return CacheHits(
        responses,
        parser(settings.document_cache_size),
        settings.max_query_tokens,
        names,
        settings.metrics_tenant_label,
        settings.request_deadline_s,
        infra.limiter,
        rate_policy(settings),
    )


def cache_policy(settings: Settings) -> CachePolicy:
    return CachePolicy(settings.response_cache_ttl_s, settings.response_cache_max_ttl_s)


def response_cache(settings: Settings, clock: Clock) -> ResponseCache | None:
    """This process's response cache; None when it is switched off."""
    if settings.response_cache_max_ttl_s <= 0 or settings.response_cache_max_bytes <= 0:
        return None
    return ResponseCache(settings.response_cache_max_bytes, clock)


def rate_policy(settings: Settings) -> RatePolicy:
    return RatePolicy(
        per_principal=settings.rate_limit_per_principal,
        per_organization=settings.rate_limit_per_organization,
        window_s=settings.rate_limit_window_s,
        upstream_per_organization=settings.upstream_budget,
    )


def open_usage(settings: Settings) -> BatchedUsage:
    """Counted in the process, added to Redis (or this process's memory) in batches."""
    tallies: Tallies = MemoryUsage()
    if settings.redis_url:
        tallies = RedisUsage.from_url(
            settings.redis_url, settings.cache_prefix, settings.usage_retention_days
        )
    return BatchedUsage(tallies, settings.usage_flush_s)


def open_idempotency(settings: Settings, infra: Infrastructure) -> IdempotencyStore:
    """Redis when configured (shared by every replica; a write fails rather than lose its
    key while Redis is down), else one process's memory."""
    if infra.redis is None:
        return MemoryIdempotency()
    return RedisIdempotency(infra.redis, settings.cache_prefix)


def create_app(
    settings: Settings,
    clock: Clock = system_clock,
    prepare_usage: Callable[[UsageStore], Awaitable[None]] | None = None,
) -> Starlette:
    """The gateway; `prepare_usage` runs on its usage store at start (the demo's history)."""
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
        max_lifetime=settings.oidc_max_token_lifetime_s,
        jwks_refresh_interval=settings.oidc_jwks_refresh_interval_s,
    )
    infra = open_infrastructure(settings)
    sink = AuditSink(settings.audit_sink)
    responses = response_cache(settings, clock)
    names = OperationNames(settings.metrics_max_operation_names)
    schema = build_schema(schema_extensions(settings, infra, sink, clock, names, responses))
    view = GatewayView(
        schema,
        runtime.request_services,
        verifier.verify,
        token_leeway_s=settings.oidc_leeway_s,
        keep_alive_s=settings.ws_keep_alive_s,
        shared_backlog=settings.ws_shared_backlog,
        hits=None if responses is None else cache_hits(settings, infra, responses, names),
        graphql_ide="graphiql" if settings.demo_mode else None,
        allow_queries_via_get=True,
        allowed_origins=list(settings.cors_origins),
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.callback(sink.close)
            stack.push_async_callback(verifier.aclose)
            stack.push_async_callback(infra.aclose)
            if settings.trusted_documents_manifest is not None:
                await infra.documents.add_trusted(
                    read_manifest(settings.trusted_documents_manifest)
                )
            usage = open_usage(settings)
            stack.push_async_callback(usage.aclose)  # the last batch: nothing lost on a stop
            if prepare_usage is not None:
                await prepare_usage(usage)
            usage.start()
            guards = build_guards(settings, GuardObserver())
            configs = upstream_configs(settings, guards)
            ports = await build_adapters(configs, settings.adapters, stack)
            local = LocalEntries(settings.cache_local_ttl_s, settings.cache_local_max_entries)
            if responses is not None:  # answers go with the entries they read
                local.follow(EntityEvictions(responses))
                stack.callback(responses.clear)
            cache = Evicting(infra.cache, local)  # what invalidates, evicts locally too
            read = ReadThrough(cache, clock, local)
            stack.push_async_callback(read.aclose)  # before the adapters its refreshes use
            probe_client = httpx.AsyncClient()
            stack.push_async_callback(probe_client.aclose)
            runtime.probes = readiness_probes(settings, probe_client, infra)
            runtime.guards = guards
            runtime.cache = infra.cache
            directory = Directory(user_admin(settings), guards[System.IDP])
            stack.push_async_callback(directory.aclose)
            holders = (*personal_data_holders(ports.values()), AccountData(directory))
            upstreams = Upstreams(**ports, directory=directory, personal_data=holders)
            entities = configured_entities(settings.cache_ttl_s, settings.cache_max_stale_s)
            realtime = await start_realtime(
                settings,
                upstreams,
                ports.values(),
                cache,
                lambda: Loaders(upstreams, read, entities),
                clock,
                stack,
                partial(evict_locally, local),
            )
            runtime.pipeline = realtime.pipeline
            jobs = PrivacyJobs(
                upstreams,
                infra.cache,
                realtime.pipeline.ingest,
                clock,
                settings.privacy_export_ttl_s,
                settings.privacy_job_timeout_s,
            )
            stack.push_async_callback(jobs.aclose)
            renditions = Renditions(
                upstreams.documents,
                cache,
                Renderer(settings.render_limits),
                settings.rendition_cache_ttl_s,
                settings.rendition_wait_s,
            )
            stack.push_async_callback(renditions.aclose)
            runtime.services = RequestServices(
                upstreams=upstreams,
                read=read,
                entities=entities,
                download_secret=settings.download_url_secret.encode(),
                download_ttl_s=settings.download_url_ttl_s,
                public_url=str(settings.public_url) if settings.public_url else None,
                clock=clock,
                verifier=verifier,
                limiter=infra.limiter,
                rate_policy=rate_policy(settings),
                documents=DocumentPolicy(infra.documents, settings.trusted_documents_only),
                persisted_queries=settings.persisted_queries,
                usage=usage,
                roi=settings.roi,
                idempotency=open_idempotency(settings, infra),
                cache=cache,
                notes=AnalyticsNotes(cache, settings.cache_local_ttl_s),
                creditor=settings.creditor,
                renditions=renditions,
                privacy=jobs,
                feed=realtime.feed,
                flags=FeatureFlags(settings.flag_definitions),
                uploads=UploadPolicy(
                    settings.upload_max_bytes, frozenset(settings.upload_media_types)
                ),
                batching=settings.loader_batching,
            )
            yield
            runtime.services = None
            runtime.pipeline = None

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
                readyz(
                    lambda: runtime.probes or {},
                    settings.ready_requires,
                    lambda: guard_details(runtime.guards or {}),
                ),
            ),
            Route(
                "/metrics", metrics_endpoint(lambda: runtime.guards or {}, lambda: runtime.cache)
            ),
            Route(
                "/files/{token}/{signature}",
                download_endpoint(
                    downloads,
                    {
                        QR_BILL: qr_bill_file(runtime.request_services),
                        RENDITION: rendition_file(runtime.request_services),
                        PRIVACY_EXPORT: privacy_export_file(runtime.request_services),
                    },
                ),
            ),
            Route(
                "/webhooks/{system}",
                webhook_endpoint(webhook_sources(settings), runtime.ingest),
                methods=["POST"],
            ),
            *(portal_routes(settings) if settings.portal else []),
        ],
        middleware=[
            Middleware(GoingAway, drain=drain),
            Middleware(AccessLog, quiet_paths=QUIET_PATHS),  # and the request ID
            Middleware(SecurityHeaders),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    ORGANIZATION_HEADER,
                    "GraphQL-Require-Preflight",
                    REQUEST_ID_HEADER,
                    "Cache-Control",  # no-cache, no-store: past the response cache
                ],
                expose_headers=[REQUEST_ID_HEADER, "Retry-After", "Age"],
                max_age=600,
            ),
            Middleware(CsrfGuard, path="/graphql"),
            Middleware(
                BodySizeLimit,
                max_bytes=settings.max_body_bytes,
                upload_bytes=settings.upload_max_bytes,
                upload_path="/graphql",
            ),
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


def realm_url(settings: Settings) -> str:
    """The realm as the gateway reaches it (its issuer may name another host)."""
    return f"{str(settings.oidc_server_url).rstrip('/')}/realms/{settings.oidc_realm}"


def readiness_probes(
    settings: Settings, client: httpx.AsyncClient, infra: Infrastructure
) -> dict[str, Probe]:
    probes = {
        "idp": http_probe(client, f"{realm_url(settings)}/.well-known/openid-configuration"),
        "erp": http_probe(client, f"{settings.erp_url}?wsdl"),
        "crm": http_probe(client, str(settings.crm_url)),
        "dms": http_probe(client, str(settings.dms_url)),
        "payments": http_probe(client, str(settings.payments_url)),
    }
    if isinstance(infra.cache, FallbackCache):
        probes["redis"] = infra.cache.ping
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
