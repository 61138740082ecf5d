"""The gateway's configuration: the only reader of the environment (`PORTALGRAPH_*`).

Read once at start-up; every value is cast and checked, and an error names the key.
Defaults exist only where the demo needs them (the demo points at its own sandbox).
"""

from typing import Annotated

from pydantic import AnyHttpUrl, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    oidc_client_id: str = "portal-gateway"
    oidc_client_secret: str = "portal-gateway-secret"
    oidc_audience: str = "portal-gateway"
    oidc_algorithms: Annotated[tuple[str, ...], NoDecode] = ("RS256", "PS256", "ES256")
    oidc_leeway_s: int = Field(30, ge=0, le=300)
    oidc_jwks_refresh_interval_s: float = Field(30.0, ge=0)

    # cache
    redis_url: str | None = None
    cache_prefix: str = "pg"
    cache_ttl_s: Annotated[dict[str, float], NoDecode] = {}
    """Per entity type TTL overrides, `entity=seconds` pairs, comma separated."""
    cache_max_stale_s: Annotated[dict[str, float], NoDecode] = {}
    """Per entity type: how long past its TTL an entry is served when its system fails."""

    # the demo
    sandbox_now: str | None = None
    """Pins the sandbox clock (ISO 8601) so that a demo or a test sees fixed dates."""

    # the graph
    demo_mode: bool = False
    """Enables GraphiQL, introspection and detailed errors; `portalgraph demo` sets it."""
    max_query_depth: int = Field(12, ge=1)
    max_query_tokens: int = Field(5000, ge=1)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    download_url_secret: str = "demo-download-secret-change-me"
    download_url_ttl_s: int = Field(300, ge=10)
    public_url: AnyHttpUrl | None = None
    """The gateway's public base URL, for download links; defaults to the request's."""

    @classmethod
    def from_environment(cls, **overrides: object) -> "Settings":
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as error:
            raise SettingsError(describe(error)) from None

    @field_validator("adapters", "cache_ttl_s", "cache_max_stale_s", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        return parse_pairs(value) if isinstance(value, str) else value

    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(filter(None, (part.strip() for part in value.split(","))))
        return value

    @property
    def issuer(self) -> str:
        return f"{str(self.oidc_server_url).rstrip('/')}/realms/{self.oidc_realm}"


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
