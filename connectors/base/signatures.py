"""Verifying signed webhooks on their raw bytes, before anything parses them.

Two schemes, each an HMAC-SHA256 over `<timestamp>.<body>` with a shared secret:

- Stripe's: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` (one `v1` per active secret
  while a secret is rolled);
- the header pair the CRM and DMS send: `X-Webhook-Timestamp: <unix>` and
  `X-Webhook-Signature: sha256=<hex>[,sha256=<hex>...]`.

A request passes when any signature matches any configured secret (compared in constant
time) and its timestamp is within the tolerance of now, which stops replays.
"""

import hashlib
import hmac
from collections.abc import Iterable, Sequence

DEFAULT_TOLERANCE_S = 300.0


class SignatureError(Exception):
    """The request is not signed by the source; `reason` says why (for the 400 answer)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(secret: str, timestamp: int, body: bytes) -> str:
    payload = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def _values(header: str | None, key: str) -> list[str]:
    """The values of `key` in a `k=v,k=v` header."""
    parts = (item.strip().partition("=") for item in (header or "").split(","))
    return [value for name, _, value in parts if name == key]


def _check(
    timestamp: str | None,
    signatures: Sequence[str],
    body: bytes,
    secrets: Iterable[str],
    now: float,
    tolerance_s: float,
) -> None:
    if timestamp is None or not timestamp.isdigit() or not signatures:
        raise SignatureError("missing or malformed signature")
    if abs(now - int(timestamp)) > tolerance_s:
        raise SignatureError("timestamp outside the tolerance")
    expected = [signature(secret, int(timestamp), body) for secret in secrets]
    if not any(hmac.compare_digest(e, given) for e in expected for given in signatures):
        raise SignatureError("no signature matches")


def verify_stripe(
    header: str | None,
    body: bytes,
    secrets: Iterable[str],
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> None:
    timestamps, signatures = _values(header, "t"), _values(header, "v1")
    timestamp = timestamps[0] if len(timestamps) == 1 else None
    _check(timestamp, signatures, body, secrets, now, tolerance_s)


def verify_hmac(
    timestamp: str | None,
    header: str | None,
    body: bytes,
    secrets: Iterable[str],
    now: float,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> None:
    _check(timestamp, _values(header, "sha256"), body, secrets, now, tolerance_s)
