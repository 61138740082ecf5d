"""Logs: JSON lines, one access line per request with what it caused, correlated with the
request and trace ids, and never a token."""

import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from portalgraph import logs
from portalgraph.logs import JsonFormatter, redact
from tests.e2e.test_batching_and_cache import DASHBOARD, EXPECTED_DASHBOARD_REQUESTS
from tests.stack import GraphQLClient, Tokens, Upstream

TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE}-b7ad6b7169203331-01"
DEADLINE_S = 5.0


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The process's log records, formatted as the gateway writes them."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield output
    root.removeHandler(handler)
    root.setLevel(level)


def lines(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def access_lines(output: io.StringIO, count: int) -> list[dict[str, Any]]:
    """The first `count` access lines; each is written just after its response is sent, so
    they are waited for, with a deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        found = [line for line in lines(output) if line["logger"] == "portalgraph.access"]
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{len(found)} of {count} access lines"
        time.sleep(0.01)


async def test_access_line_per_request_with_its_upstream_calls_and_cache_hits(
    fresh_gateway_url: str, upstream: Upstream, tokens: Tokens, log_output: io.StringIO
) -> None:
    token = await tokens("anna")
    client = GraphQLClient(fresh_gateway_url, token)
    first = await client.http.post(
        "/graphql",
        json={"query": DASHBOARD},
        headers={"traceparent": TRACEPARENT, "X-Request-ID": "req-1"},
    )
    # executed again (not answered from the response cache): its records from the cache
    second = await client.post(DASHBOARD, None, **{"Cache-Control": "no-cache"})
    await client.aclose()

    cold, warm = access_lines(log_output, 2)
    upstream_calls = sum(sum(c.values()) for c in EXPECTED_DASHBOARD_REQUESTS.values())
    assert first.headers["X-Request-ID"] == "req-1"
    assert cold["request_id"] == "req-1"
    assert cold["trace_id"] == TRACE
    assert cold["method"] == "POST"
    assert cold["path"] == "/graphql"
    assert cold["status"] == 200
    assert cold["operation"] == "Dashboard"
    assert cold["operation_type"] == "query"
    assert cold["upstream_calls"] == upstream_calls
    assert cold["cache_hits"] == 0
    assert cold["duration_ms"] > 0
    assert warm["request_id"] == second.headers["X-Request-ID"] != "req-1"
    assert warm["upstream_calls"] == 0
    assert warm["cache_hits"] == cold["cache_misses"] > 0


async def test_no_token_reaches_the_log(
    fresh_gateway_url: str,
    upstream: Upstream,
    tokens: Tokens,
    log_output: io.StringIO,
) -> None:
    token = await tokens("daniel")
    upstream.fault("crm", mode="down")  # an upstream failure is logged with its detail
    client = GraphQLClient(fresh_gateway_url, token)
    await client.post("{ tickets { totalCount } }")
    await client.aclose()
    forged = token[:-8] + "AAAAAAAA"  # a rejected token is logged by the auth backend
    async with httpx.AsyncClient(base_url=fresh_gateway_url) as http:
        await http.post("/graphql", json={"query": "{ viewer { roles } }"},
                        headers={"Authorization": f"Bearer {forged}"})  # fmt: skip
    logging.getLogger("portalgraph.test").warning(
        "caller sent %s", f"Bearer {token}", extra={"client_secret": "s3cr3t"}
    )

    access_lines(log_output, 2)
    output = log_output.getvalue()
    parsed = lines(log_output)
    assert any(line["level"] == "warning" and "crm" in line["message"] for line in parsed)
    for secret in (token, forged, token.split(".")[1], "s3cr3t"):
        assert secret not in output
    [mine] = [line for line in parsed if line["logger"] == "portalgraph.test"]
    assert mine["message"] == "caller sent Bearer [redacted]"
    assert mine["client_secret"] == "[redacted]"


def test_redact_masks_jwts_and_bearer_credentials() -> None:
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2lnbmF0dXJl"
    assert redact(f"token={jwt} ok") == "token=[redacted] ok"
    assert redact("Authorization: Basic dXNlcjpwYXNz") == "Authorization: Basic [redacted]"
    assert redact("no secrets here") == "no secrets here"


def test_redact_masks_a_secret_every_time_and_remembers_only_clean_texts() -> None:
    """Clean texts are remembered (`CLEAN_TEXTS_KEPT`), so each field of an access line is not
    searched again on every line; a text that held a secret is masked on every line anyway."""
    with_secret = "caller sent Bearer abc.def"
    for _ in range(3):
        assert redact(with_secret) == "caller sent Bearer [redacted]"
        assert redact("POST /graphql 200") == "POST /graphql 200"
    assert with_secret not in logs._clean_texts
    assert "POST /graphql 200" in logs._clean_texts
    for n in range(logs.CLEAN_TEXTS_KEPT + 1):  # bounded: cleared once full
        redact(f"text {n}")
    assert len(logs._clean_texts) <= logs.CLEAN_TEXTS_KEPT
    assert redact(with_secret) == "caller sent Bearer [redacted]"
