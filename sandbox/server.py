"""The whole sandbox: identity provider, ERP, CRM, DMS and payment provider, each its own
ASGI app on its own port, sharing one seed.

Ports follow DESIGN.md: base P, then P+1 identity provider, P+2 ERP, P+3 CRM, P+4 DMS,
P+5 payment provider (P itself is the gateway's).
"""

import socket
from dataclasses import dataclass, field
from datetime import datetime

from starlette.applications import Starlette

from sandbox.crm.advance import crm_advances
from sandbox.crm.app import create_crm_app
from sandbox.dms.advance import dms_advances
from sandbox.dms.app import create_dms_app
from sandbox.dms.writes import DmsLimits
from sandbox.erp.advance import erp_advances
from sandbox.erp.app import create_erp_app
from sandbox.faults import Faults
from sandbox.idp.app import create_idp_app
from sandbox.idp.export import load_realm
from sandbox.model import Seed
from sandbox.payments.advance import payment_advances
from sandbox.payments.app import create_payments_app
from sandbox.rest import advancing_clock
from sandbox.seed import build_seed
from sandbox.stats import RequestStats
from sandbox.webhooks import Webhooks

CRM_TOKEN = "crm-sandbox-token"
DMS_TOKEN = "dms-sandbox-token"
PAYMENTS_SECRET_KEY = "sk_test_portalgraph_sandbox"
SYSTEMS = ("idp", "erp", "crm", "dms", "payments")
"""In port order: system i listens on P+1+i."""
FAULTABLE = ("erp", "crm", "dms", "payments")


@dataclass
class Sandbox:
    """The sandbox's apps and their shared, inspectable state."""

    seed: Seed
    host: str
    ports: dict[str, int]
    latency_ms: int = 0
    webhooks: Webhooks = field(default_factory=Webhooks)
    faults: dict[str, Faults] = field(default_factory=dict)
    stats: dict[str, RequestStats] = field(default_factory=dict)
    apps: dict[str, Starlette] = field(default_factory=dict)
    dms_limits: DmsLimits = field(default_factory=DmsLimits)
    """The DMS's own upload limits, changeable while it runs."""

    def url(self, system: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.ports[system]}"

    @property
    def erp_url(self) -> str:
        return f"{self.url('erp')}/erp"


def build_sandbox(
    now: datetime,
    host: str,
    ports: dict[str, int],
    latency_ms: int = 0,
    webhook_url: str | None = None,
) -> Sandbox:
    """The sandbox's apps on one seed; the CRM, DMS and payment provider send their webhooks
    to `{webhook_url}/{system}` (settable later as `sandbox.webhooks.url`)."""
    sandbox = Sandbox(build_seed(now), host, ports, latency_ms, Webhooks(webhook_url))
    for system in FAULTABLE:
        sandbox.faults[system] = Faults(base_latency_ms=latency_ms)
        sandbox.stats[system] = RequestStats()
    seed, faults, stats, hooks = sandbox.seed, sandbox.faults, sandbox.stats, sandbox.webhooks
    clock = advancing_clock(seed.now)
    sandbox.apps = {
        "idp": create_idp_app(load_realm(), sandbox.url("idp")),
        "erp": create_erp_app(seed, faults["erp"], stats["erp"], erp_advances(seed, clock), clock),
        "crm": create_crm_app(
            seed,
            faults["crm"],
            stats["crm"],
            CRM_TOKEN,
            clock,
            crm_advances(seed, clock, hooks),
            hooks,
        ),
        "dms": create_dms_app(
            seed,
            faults["dms"],
            stats["dms"],
            DMS_TOKEN,
            clock,
            hooks,
            sandbox.dms_limits,
            dms_advances(seed, clock, hooks),
        ),
        "payments": create_payments_app(
            seed,
            faults["payments"],
            stats["payments"],
            PAYMENTS_SECRET_KEY,
            payment_advances(seed, clock, hooks),
            clock,
        ),
    }
    return sandbox


def fixed_ports(base_port: int) -> dict[str, int]:
    return {system: base_port + 1 + index for index, system in enumerate(SYSTEMS)}


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one.

    The protocol is named (IPPROTO_TCP, not 0) because asyncio sets TCP_NODELAY only on such
    sockets; without it Nagle's algorithm and delayed ACKs add ~40 ms to every request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()  # a port in use must not leak the socket
        raise
    return sock
