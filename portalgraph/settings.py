"""The gateway's configuration: the only reader of the environment (`PORTALGRAPH_*`).

Read once at start-up; every value is cast and checked, and an error names the key.
Defaults exist only where the demo needs them (the demo points at its own sandbox).
"""

import os
import socket
from typing import Annotated

from pydantic import AnyHttpUrl, Field, ValidationError, ValidationInfo, field_validator
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

    # cache, events and coordination
    redis_url: str | None = None
    cache_prefix: str = "pg"
    """Every Redis key the gateway writes starts with it (cache, event streams, leases)."""
    cache_ttl_s: Annotated[dict[str, float], NoDecode] = {}
    """Per entity type TTL overrides, `entity=seconds` pairs, comma separated."""

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
    polling: bool = True
    """Whether this replica takes part in polling the systems that cannot push (the ERP)."""
    erp_poll_interval_s: float = Field(2.0, gt=0)
    poll_lease_ttl_s: float = Field(10.0, gt=0)
    """How long the polling replica's lease lasts unless renewed: the takeover time."""
    replica_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    """This replica's name in consumer groups and leases; unique per running process."""
    ws_keep_alive_s: float = Field(15.0, gt=0)
    """How often WebSocket connections get a keep-alive (`ping`, `ka`)."""

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

    @field_validator("adapters", "cache_ttl_s", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        return parse_pairs(value) if isinstance(value, str) else value

    @field_validator(
        "oidc_algorithms",
        "payments_webhook_secrets",
        "crm_webhook_secrets",
        "dms_webhook_secrets",
        mode="before",
    )
    @classmethod
    def _names(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(filter(None, (part.strip() for part in value.split(","))))
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
