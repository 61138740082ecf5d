"""`POST /webhooks/{system}`: signed events from upstream systems into the pipeline.

Answers (JSON), in the order they are checked:
- 404 unknown system;
- 400 `{"error": ...}` for a missing or bad signature or a timestamp outside the tolerance
  (verified on the raw body, before any parsing), and for a body that is not a well-formed
  event; nothing is published;
- 200 `{"received": true, "ignored": ...}` for an event type the gateway does not use (the
  source would retry anything else);
- 200 `{"received": true, "duplicate": true}` for an event id seen before (dropped);
- 200 `{"received": true, "id": <inbox id>}` once the event is in the stream (and on as many
  Redis replicas as `PORTALGRAPH_EVENTS_MIN_REPLICAS` asks);
- 503 `{"error": ...}` while the event cannot be stored so (Redis down, failing over, or too
  few replicas): nothing is acknowledged, the source retries.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.base.changes import Change
from connectors.base.payload import PayloadError
from connectors.base.signatures import SignatureError, verify_hmac, verify_stripe
from connectors.crm import webhooks as crm
from connectors.dms import webhooks as dms
from connectors.payments import webhooks as payments
from infra.events import NotReplicated
from infra.topology import REDIS_ERRORS
from portalgraph.settings import Settings

Verify = Callable[[Headers, bytes, float], None]
Parse = Callable[[bytes, datetime], Change | None]


@dataclass(frozen=True)
class WebhookSource:
    verify: Verify
    parse: Parse


def stripe_scheme(secrets: tuple[str, ...], tolerance_s: float) -> Verify:
    def verify(headers: Headers, body: bytes, now: float) -> None:
        verify_stripe(headers.get("stripe-signature"), body, secrets, now, tolerance_s)

    return verify


def shared_secret_scheme(secrets: tuple[str, ...], tolerance_s: float) -> Verify:
    def verify(headers: Headers, body: bytes, now: float) -> None:
        timestamp, signature = (
            headers.get("x-webhook-timestamp"),
            headers.get("x-webhook-signature"),
        )
        verify_hmac(timestamp, signature, body, secrets, now, tolerance_s)

    return verify


def webhook_sources(settings: Settings) -> dict[str, WebhookSource]:
    tolerance = settings.webhook_tolerance_s
    return {
        "payments": WebhookSource(
            stripe_scheme(settings.payments_webhook_secrets, tolerance), payments.parse_event
        ),
        "crm": WebhookSource(
            shared_secret_scheme(settings.crm_webhook_secrets, tolerance), crm.parse_event
        ),
        "dms": WebhookSource(
            shared_secret_scheme(settings.dms_webhook_secrets, tolerance), dms.parse_event
        ),
    }


def webhook_endpoint(
    sources: dict[str, WebhookSource],
    ingest: Callable[[], Callable[[Change], Awaitable[str | None]]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        source = sources.get(request.path_params["system"])
        if source is None:
            return JSONResponse({"error": "no webhooks from this system"}, status_code=404)
        body = await request.body()
        try:
            source.verify(request.headers, body, time.time())
            change = source.parse(body, datetime.now(UTC))
        except SignatureError as error:
            return JSONResponse({"error": error.reason}, status_code=400)
        except PayloadError as error:
            return JSONResponse({"error": f"malformed event: {error}"}, status_code=400)
        if change is None:
            return JSONResponse({"received": True, "ignored": "event type not used"})
        try:
            entry_id = await ingest()(change)
        except (NotReplicated, *REDIS_ERRORS) as error:
            detail = f"event store unavailable, retry later: {type(error).__name__}"
            return JSONResponse({"error": detail}, status_code=503)
        if entry_id is None:
            return JSONResponse({"received": True, "duplicate": True})
        return JSONResponse({"received": True, "id": entry_id})

    return endpoint
