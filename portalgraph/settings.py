"""The gateway's configuration: the only reader of the environment (`PORTALGRAPH_*`) and of
the optional YAML file that `PORTALGRAPH_CONFIG_FILE` names (keys without the prefix, in
lower case: `erp_url: ...`; the environment wins over the file).

Read once at start-up; every value is cast and checked, and an error names the key.
Defaults exist only where the demo needs them (the demo points at its own sandbox).
"""

import os
import socket
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AnyHttpUrl, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from infra.flags import FeatureFlags, FlagDefinitionError
from infra.rendering import RenderLimits
from infra.topology import parse_redis_url
from resolvers.qr_bills import Creditor, StructuredAddress, check_account
from resolvers.roi import RoiAssumptions
from resolvers.uploads import FILE_TYPES

CONFIG_FILE = "PORTALGRAPH_CONFIG_FILE"
DEPENDENCIES = ("redis", "idp", "erp", "crm", "dms", "payments")


class SettingsError(Exception):
    """A configuration value is missing or invalid; the message names the key."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTALGRAPH_", extra="ignore", frozen=True)

    # upstream systems
    erp_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8002/erp")
    crm_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8003")
    crm_token: str = "crm-sandbox-token"
    dms_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8004")
    dms_token: str = "dms-sandbox-token"
    payments_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8005")
    payments_secret_key: str = "sk_test_portalgraph_sandbox"
    upstream_connect_timeout_s: float = Field(2.0, gt=0)
    upstream_read_timeout_s: float = Field(5.0, gt=0)
    upstream_total_timeout_s: float = Field(8.0, gt=0)
    upstream_max_connections: int = Field(100, ge=1)
    upstream_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    """What sends upstream requests under httpx's API: aiohttp (a third of the CPU per
    request) or httpx's own transport (httpcore)."""
    upstream_retry_attempts: int = Field(2, ge=1, le=5)
    upstream_max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    """Larger upstream answers are cut off as bad responses."""
    upstream_max_concurrent: int = Field(32, ge=1)
    """Bulkhead: calls in flight per upstream system ..."""
    upstream_max_queue: int = Field(64, ge=0)
    """... and calls waiting for a slot; beyond, a call fails at once."""
    upstream_breaker_failures: int = Field(5, ge=1)
    """Circuit breaker: consecutive failures that open a system's circuit ..."""
    upstream_breaker_failure_rate: float = Field(0.5, gt=0, le=1)
    """... or this share of failures among the last `upstream_breaker_window` calls."""
    upstream_breaker_window: int = Field(20, ge=2)
    upstream_breaker_open_s: float = Field(5.0, gt=0)
    """How long an open circuit fails calls fast before one probe is let through."""
    request_deadline_s: float = Field(10.0, gt=0)
    """No upstream call outlives its GraphQL request's deadline."""
    shutdown_grace_s: int = Field(10, ge=0)
    """`portalgraph serve`: how long in-flight requests may finish after SIGTERM."""
    adapters: Annotated[dict[str, str], NoDecode] = {}
    """Overrides of which adapter serves a port, `port=adapter` pairs, comma separated."""

    # identity provider
    oidc_server_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001/")
    oidc_realm: str = "portal"
    oidc_issuer: str | None = None
    """The tokens' `iss` when it differs from `<server url>/realms/<realm>` (Keycloak behind
    another host name than the one the gateway reaches it by)."""
    oidc_client_id: str = "portal-gateway"
    oidc_client_secret: str = "portal-gateway-secret"
    oidc_audience: str = "portal-gateway"
    oidc_algorithms: Annotated[tuple[str, ...], NoDecode] = ("RS256", "PS256", "ES256")
    oidc_leeway_s: int = Field(30, ge=0, le=300)
    """Clock skew allowed on a token's `exp`, `nbf` and `iat`."""
    oidc_max_token_lifetime_s: int = Field(3600, ge=60)
    """Tokens issued for longer than this (`exp - iat`) are refused."""
    oidc_jwks_refresh_interval_s: float = Field(30.0, ge=0)
    invitation_client_id: str | None = "portal-frontend"
    """The client an invitation e-mail's link signs in to (Keycloak's execute-actions-email
    `client_id`); the gateway's own client (`oidc_client_id`) manages the users."""
    invitation_redirect_uri: str | None = None
    """Where an invitee lands after setting a password: one of that client's redirect URIs."""
    invitation_lifespan_s: int = Field(7 * 24 * 3600, ge=60)
    """How long an invitation link stays valid."""

    # cache, events and coordination
    redis_url: str | None = None
    """`redis://`, `rediss://`, `redis+sentinel://host:port[,…]/service[/db]` or
    `redis+cluster://host:port[,…]` (`infra.topology`); unset: in-process stand-ins."""
    cache_prefix: str = Field("pg", pattern=r"^[^{}]+$")
    """Every Redis key the gateway writes starts with it (cache, event streams, leases); no
    braces, which would become the keys' hash tag on a Redis Cluster."""
    cache_ttl_s: Annotated[dict[str, float], NoDecode] = {}
    """Per entity type TTL overrides, `entity=seconds` pairs, comma separated; 0 = no caching."""
    cache_max_stale_s: Annotated[dict[str, float], NoDecode] = {}
    """Per entity type: how long past its TTL an entry is served when its system fails."""
    cache_local_ttl_s: float = Field(1.0, ge=0)
    """How long each process keeps fresh entries decoded in memory (0: not at all); what
    another replica invalidated may be served this long, unless its event arrives first."""
    cache_local_max_entries: int = Field(10_000, ge=1)
    response_cache_ttl_s: float = Field(2.0, ge=0)
    """How long each process may answer a query again, to the same caller, from its response
    cache (0: only operations marked `@cached(ttl:)`); evicted sooner by the changes of what
    the answer read, by the caller's own mutations and when an entity it read goes stale."""
    response_cache_max_ttl_s: float = Field(30.0, ge=0)
    """The longest `@cached(ttl:)` an operation may ask for (0: no response cache at all)."""
    response_cache_max_bytes: int = Field(64 * 1024 * 1024, ge=0)
    """Memory each process spends on cached answers (LRU)."""

    # limits
    rate_limit_window_s: float = Field(60.0, gt=0)
    rate_limit_per_principal: int = Field(600, ge=1)
    """Operations per caller (token subject, per organization it acts for; client address when
    anonymous) per window."""
    rate_limit_per_organization: int = Field(3000, ge=1)
    """Operations per organization, all its users and integrators together, per window."""
    upstream_budget: Annotated[dict[str, int], NoDecode] = {
        "erp": 3000, "crm": 3000, "dms": 3000, "payments": 3000
    }  # fmt: skip
    """Upstream calls per organization and window by system, `system=calls` pairs."""

    # near real time: webhooks in, event streams, subscriptions out
    payments_webhook_secrets: Annotated[tuple[str, ...], NoDecode] = ("whsec_portalgraph_sandbox",)
    """Stripe endpoint secrets, comma separated: several while a secret is rolled."""
    crm_webhook_secrets: Annotated[tuple[str, ...], NoDecode] = ("crm-webhook-sandbox-secret",)
    dms_webhook_secrets: Annotated[tuple[str, ...], NoDecode] = ("dms-webhook-sandbox-secret",)
    webhook_tolerance_s: float = Field(300.0, gt=0)
    """How far a webhook's signed timestamp may be from now (replay protection)."""
    events_max_len: int = Field(100_000, ge=10)
    """How many events each stream retains: a subscription resumes only within them."""
    events_dedupe_ttl_s: float = Field(4 * 24 * 3600.0, gt=0)
    """How long an event id is remembered to drop duplicates (longer than a source retries)."""
    events_claim_idle_s: float = Field(30.0, gt=0)
    """After how long another replica takes over an event a replica read but never finished."""
    events_min_replicas: int = Field(0, ge=0)
    """Redis replicas that must have an event before its webhook is acknowledged (`WAIT`), so
    that a failover loses no acknowledged event: 1 with Sentinel or Cluster. While fewer answer,
    webhooks are refused with 503 and their senders retry."""
    polling: bool = True
    """Whether this replica takes part in polling the systems that cannot push (the ERP)."""
    erp_poll_interval_s: float = Field(2.0, gt=0)
    poll_lease_ttl_s: float = Field(10.0, gt=0)
    """How long the polling replica's lease lasts unless renewed: the takeover time."""
    replica_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    """This replica's name in consumer groups and leases; unique per running process."""
    ws_keep_alive_s: float = Field(15.0, gt=0)
    """How often WebSocket connections get a keep-alive (`ping`, `ka`)."""
    ws_shared_backlog: int = Field(256, ge=0)
    """Payloads of a shared subscription execution that may wait for one subscriber's socket;
    past them the subscriber continues on its own execution from its last event."""

    # the demo
    sandbox_now: str | None = None
    """Pins the sandbox clock (ISO 8601) so that a demo or a test sees fixed dates."""

    # the graph
    demo_mode: bool = False
    """Enables GraphiQL, introspection and detailed errors; `portalgraph demo` sets it."""
    introspection: bool = False
    """Schema introspection outside the demo (the demo always has it: GraphiQL needs it)."""
    max_query_depth: int = Field(12, ge=1)
    max_query_tokens: int = Field(5000, ge=1)
    max_query_aliases: int = Field(30, ge=0)
    max_query_cost: int = Field(50_000, ge=1)
    """The estimated cost budget of one operation (see `portalgraph.operation_limits`)."""
    max_body_bytes: int = Field(1_000_000, ge=1024)
    loader_batching: bool = True
    """Batch the keys a loader is asked for in one event-loop tick into one upstream call;
    off only to measure what batching saves (the benchmark's naive configuration)."""
    document_cache_size: int = Field(1000, ge=1)
    """How many parsed and validated documents each process keeps (LRU)."""
    persisted_queries: bool = True
    """Automatic persisted queries (APQ): clients may register documents by hash."""
    trusted_documents_only: bool = False
    """Run only documents registered by the operator (`trusted_documents_manifest`)."""
    trusted_documents_manifest: Path | None = None
    """A JSON object `{"<sha256>": "<document>"}` loaded into the store at start-up."""
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Browser origins allowed to call the API (CORS) and open WebSockets, comma separated."""
    audit_sink: str = "stderr"
    """Where audit events go, one JSON line each: `stdout`, `stderr` or a file path."""
    upload_max_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    """The largest file `uploadDocument` and `addDocumentVersion` accept."""
    upload_media_types: Annotated[tuple[str, ...], NoDecode] = tuple(FILE_TYPES)
    """Media types accepted for uploads, comma separated; each one the gateway recognizes by
    its content (`resolvers.uploads.FILE_TYPES`)."""
    download_url_secret: str = "demo-download-secret-change-me"
    download_url_ttl_s: int = Field(300, ge=10)
    public_url: AnyHttpUrl | None = None
    """The gateway's public base URL, for download links; defaults to the request's."""

    portal: bool = False
    """Serve the reference portal page (`web/`) at `/portal`; `portalgraph demo` sets it."""
    portal_client_id: str = "portal-frontend"
    """The public client the portal page signs in with (authorization code flow with PKCE) at
    the identity provider the tokens' issuer names."""

    # Swiss QR-bills: the provider as creditor (demo defaults: domain.md §7)
    creditor_name: str = "Beispiel Lieferant AG"
    creditor_street: str = "Rue du Lac"
    creditor_house_number: str = "1268"
    creditor_postal_code: str = "2501"
    creditor_city: str = "Biel"
    creditor_country: str = "CH"
    creditor_qr_iban: str = "CH44 3199 9123 0008 8901 2"
    """The QR-IBAN, for invoices with a QR reference (QRR)."""
    creditor_iban: str = "CH93 0076 2011 6238 5295 7"
    """The ordinary IBAN, for invoices with a creditor reference (SCOR) or none (NON)."""
    creditor_vat_number: str | None = None
    """The provider's UID (CHE-123.456.789), written into the Swico billing information."""

    # document previews the gateway renders when the DMS has none
    rendition_timeout_s: float = Field(10.0, gt=0)
    """A render's wall-clock limit; its worker process is killed after it."""
    rendition_wait_s: float = Field(2.0, ge=0)
    """How long a query waits for a render before it answers PENDING (the render goes on)."""
    rendition_max_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    """Larger documents are not rendered (UNAVAILABLE)."""
    rendition_max_pages: int = Field(2000, ge=1)
    """PDFs with more pages are not rendered (only the first page ever is)."""
    rendition_max_pixels: int = Field(50_000_000, ge=10_000)
    """Images (and PDF pages at the rendering scale) larger than this are not decoded."""
    rendition_memory_mb: int = Field(768, ge=64)
    """The address-space limit of a render's worker process."""
    rendition_workers: int = Field(2, ge=1)
    """Renders running at once in this replica; more wait for a free worker."""
    rendition_cache_ttl_s: float = Field(7 * 24 * 3600.0, gt=0)
    """How long a rendition is kept in the cache (by content hash; failures for an hour)."""

    # privacy requests (export, erasure)
    privacy_export_ttl_s: int = Field(30 * 24 * 3600, ge=60)
    """How long a completed export can be downloaded; its result is cached as long."""
    privacy_job_timeout_s: float = Field(600.0, gt=0)
    """How long a privacy request's job may run; an erasure a system still has pending then
    stays IN_PROGRESS."""

    # operations
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    tracing_exporter: Literal["none", "otlp", "console"] = "none"
    tracing_otlp_endpoint: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:4318/v1/traces")
    tracing_sample_ratio: float = Field(1.0, ge=0, le=1)
    metrics_tenant_label: bool = False
    """Count operations per organization too (one time series per tenant)."""
    metrics_max_operation_names: int = Field(200, ge=1)
    ready_requires: Annotated[tuple[str, ...], NoDecode] = DEPENDENCIES
    """Dependencies without which `/readyz` answers 503; the others only degrade it."""

    # feature flags (flagd's definition format, see `infra.flags` and the README)
    feature_flags: dict[str, Any] = {}
    """Flag definitions `{"flags": {...}}`: a mapping in the YAML file, JSON in the
    environment."""
    feature_flags_file: Path | None = None
    """Or a flagd definitions file (JSON or YAML), e.g. mounted from a ConfigMap."""

    # insights
    usage_retention_days: int = Field(400, ge=1)
    usage_flush_s: float = Field(1.0, gt=0)
    """Requests are counted in the process and added to the store this often (and at a
    graceful stop): what a crash can lose of the usage counts."""
    roi: RoiAssumptions = RoiAssumptions()
    """ROI assumptions (a mapping in the YAML file, JSON in the environment)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = os.environ.get(CONFIG_FILE)
        if not path:
            return init_settings, env_settings
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, Path(path))

    @classmethod
    def from_environment(cls, **overrides: object) -> "Settings":
        path = os.environ.get(CONFIG_FILE)
        if path and not Path(path).is_file():
            raise SettingsError(f"{CONFIG_FILE} names {path!r}, which is not a readable file")
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as error:
            raise SettingsError(describe(error)) from None
        except yaml.YAMLError as error:
            raise SettingsError(f"{CONFIG_FILE} ({path}) is not valid YAML: {error}") from None

    @field_validator(
        "adapters", "cache_ttl_s", "cache_max_stale_s", "upstream_budget", mode="before"
    )
    @classmethod
    def _pairs(cls, value: object) -> object:
        return parse_pairs(value) if isinstance(value, str) else value

    @field_validator(
        "oidc_algorithms",
        "cors_origins",
        "ready_requires",
        "payments_webhook_secrets",
        "crm_webhook_secrets",
        "dms_webhook_secrets",
        "upload_media_types",
        mode="before",
    )
    @classmethod
    def _names(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(filter(None, (part.strip() for part in value.split(","))))
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_topology(cls, value: str | None) -> str | None:
        if value is not None:
            parse_redis_url(value)
        return value

    @field_validator("ready_requires")
    @classmethod
    def _known_dependencies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(DEPENDENCIES)
        if unknown:
            raise ValueError(f"unknown dependencies {sorted(unknown)}; known: {DEPENDENCIES}")
        return value

    @field_validator("upload_media_types")
    @classmethod
    def _recognizable(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - set(FILE_TYPES)
        if unknown:
            raise ValueError(f"cannot recognize {sorted(unknown)}; known: {sorted(FILE_TYPES)}")
        return value

    @field_validator("poll_lease_ttl_s")
    @classmethod
    def _lease_outlives_poll(cls, value: float, info: ValidationInfo) -> float:
        interval = info.data.get("erp_poll_interval_s")
        if isinstance(interval, float) and value < 2 * interval:
            raise ValueError(
                f"must be at least twice PORTALGRAPH_ERP_POLL_INTERVAL_S ({interval}), so that "
                "the polling replica renews its lease in time"
            )
        return value

    @field_validator("feature_flags")
    @classmethod
    def _flag_definitions(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_flags(value)
        return value

    @field_validator("feature_flags_file")
    @classmethod
    def _flag_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is not None:
            if info.data.get("feature_flags"):
                raise ValueError("set either this or PORTALGRAPH_FEATURE_FLAGS, not both")
            _check_flags(read_flag_file(value))
        return value

    @field_validator("creditor_qr_iban", "creditor_iban")
    @classmethod
    def _creditor_account(cls, value: str, info: ValidationInfo) -> str:
        return check_account(value, qr=info.field_name == "creditor_qr_iban")

    @property
    def creditor(self) -> Creditor:
        address = StructuredAddress(
            self.creditor_name,
            self.creditor_street,
            self.creditor_house_number,
            self.creditor_postal_code,
            self.creditor_city,
            self.creditor_country,
        )
        return Creditor(
            address, self.creditor_qr_iban, self.creditor_iban, self.creditor_vat_number
        )

    @property
    def flag_definitions(self) -> dict[str, Any]:
        if self.feature_flags_file is not None:
            return read_flag_file(self.feature_flags_file)
        return self.feature_flags

    @property
    def render_limits(self) -> RenderLimits:
        return RenderLimits(
            timeout_s=self.rendition_timeout_s,
            max_bytes=self.rendition_max_bytes,
            max_pages=self.rendition_max_pages,
            max_pixels=self.rendition_max_pixels,
            memory_mb=self.rendition_memory_mb,
            workers=self.rendition_workers,
        )

    @property
    def issuer(self) -> str:
        if self.oidc_issuer:
            return self.oidc_issuer
        return f"{str(self.oidc_server_url).rstrip('/')}/realms/{self.oidc_realm}"


def read_flag_file(path: Path) -> dict[str, Any]:
    try:
        found = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"cannot read flag definitions from {path}: {error}") from None
    if not isinstance(found, dict):
        raise ValueError(f"{path} holds no flag definitions (a mapping with `flags`)")
    return found


def _check_flags(definitions: dict[str, Any]) -> None:
    try:
        FeatureFlags(definitions)
    except FlagDefinitionError as error:
        raise ValueError(str(error)) from None


def parse_pairs(value: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value pairs, got {item!r}")
        pairs[key.strip()] = val.strip()
    return pairs


def describe(error: ValidationError) -> str:
    """`PORTALGRAPH_X has value 'y': <reason>` for each failing key."""
    problems = []
    for item in error.errors():
        key = "PORTALGRAPH_" + "_".join(str(part) for part in item["loc"][:1]).upper()
        problems.append(f"{key} has value {item.get('input')!r}: {item['msg']}")
    return "; ".join(problems)
