"""The sandbox systems' outgoing webhooks: each change a system makes is POSTed, signed, to
`{url}/{system}` (the gateway's `/webhooks/{system}`), as the real systems would.

The payment provider signs like Stripe (`Stripe-Signature: t=…,v1=…`, one `v1` per secret);
the CRM and DMS send `X-Webhook-Timestamp` and `X-Webhook-Signature: sha256=…`. Both sign
`<unix time>.<body>` with HMAC-SHA256. Delivery is synchronous and retried a few times (for
`patience_s` at least, as real providers retry for days), so a caller of `/_advance` knows the
gateway has the event when the call returns; `acknowledged` logs the ids the gateway took.
"""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

PAYMENTS_WEBHOOK_SECRET = "whsec_portalgraph_sandbox"
CRM_WEBHOOK_SECRET = "crm-webhook-sandbox-secret"
DMS_WEBHOOK_SECRET = "dms-webhook-sandbox-secret"
ATTEMPTS = 3
MAX_BACKOFF_S = 1.0
LOGGED = 10_000


def hmac_hex(secret: str, timestamp: int, body: bytes) -> str:
    payload = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def stripe_headers(secrets: Sequence[str], timestamp: int, body: bytes) -> dict[str, str]:
    signatures = ",".join(f"v1={hmac_hex(secret, timestamp, body)}" for secret in secrets)
    return {"Stripe-Signature": f"t={timestamp},{signatures}"}


def shared_secret_headers(secrets: Sequence[str], timestamp: int, body: bytes) -> dict[str, str]:
    signatures = ",".join(f"sha256={hmac_hex(secret, timestamp, body)}" for secret in secrets)
    return {"X-Webhook-Timestamp": str(timestamp), "X-Webhook-Signature": signatures}


SIGNERS: dict[str, Callable[[Sequence[str], int, bytes], dict[str, str]]] = {
    "payments": stripe_headers,
    "crm": shared_secret_headers,
    "dms": shared_secret_headers,
}


def event_id(system: str) -> str:
    return f"evt_{system}_{uuid.uuid4().hex[:20]}"


@dataclass
class Webhooks:
    """Where and how the sandbox delivers webhooks; `url` None delivers none."""

    url: str | None = None
    secrets: dict[str, list[str]] = field(
        default_factory=lambda: {
            "payments": [PAYMENTS_WEBHOOK_SECRET],
            "crm": [CRM_WEBHOOK_SECRET],
            "dms": [DMS_WEBHOOK_SECRET],
        }
    )
    patience_s: float = 0.0
    """How long a refused delivery is retried at least (beyond the first `ATTEMPTS`)."""
    acknowledged: deque[str] = field(default_factory=lambda: deque(maxlen=LOGGED))
    """The ids of the latest events the receiver acknowledged, in order."""

    async def deliver(self, system: str, event: dict[str, Any]) -> dict[str, Any]:
        """POST the signed event; answers a delivery report (status or error)."""
        if self.url is None:
            return {"delivered": False, "reason": "no webhook URL configured"}
        body = json.dumps(event, separators=(",", ":")).encode()
        url = f"{self.url.rstrip('/')}/{system}"
        report: dict[str, Any] = {"delivered": False, "url": url}
        give_up = time.monotonic() + self.patience_s
        async with httpx.AsyncClient(timeout=10) as client:
            attempt = 0
            while attempt < ATTEMPTS or time.monotonic() < give_up:
                headers = SIGNERS[system](self.secrets[system], int(time.time()), body)
                headers["Content-Type"] = "application/json"
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.TransportError as error:
                    report["error"] = str(error) or type(error).__name__
                else:
                    report.update(status=response.status_code, delivered=response.is_success)
                    if response.is_success:
                        self.acknowledged.append(str(event.get("id")))
                    if response.status_code < 500:
                        return report
                await asyncio.sleep(min(MAX_BACKOFF_S, 0.2 * 2**attempt))
                attempt += 1
        return report
