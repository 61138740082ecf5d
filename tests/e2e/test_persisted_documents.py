"""Automatic persisted queries and trusted documents mode, stored in Redis and shared by
replicas."""

import json
from pathlib import Path
from typing import Any

import httpx

from portalgraph.persisted import sha256_of
from sandbox.server import Sandbox
from tests.stack import Tokens, running_gateway
from tests.ws_client import graphql_ws

ORDERS = "query Orders { orders(first: 2) { totalCount } }"
VIEWER = "{ viewer { user { username } } }"


def persisted(query: str | None, sha: str) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    if query is not None:
        body["query"] = query
    return body


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_apq_registers_once_and_serves_every_replica(
    sandbox: Sandbox, redis_url: str, redis_prefix: str, tokens: Tokens
) -> None:
    auth = {"Authorization": f"Bearer {await tokens('beat')}"}
    sha = sha256_of(ORDERS)
    shared: dict[str, Any] = {"redis_url": redis_url, "cache_prefix": redis_prefix}
    with running_gateway(sandbox, **shared) as one, running_gateway(sandbox, **shared) as two:
        async with httpx.AsyncClient(headers=auth) as http:
            unknown = await http.post(f"{one}/graphql", json=persisted(None, sha))
            mismatch = await http.post(f"{one}/graphql", json=persisted(VIEWER, sha))
            registered = await http.post(f"{one}/graphql", json=persisted(ORDERS, sha))
            by_hash = await http.post(f"{two}/graphql", json=persisted(None, sha))
            over_get = await http.get(
                f"{two}/graphql",
                params={"extensions": json.dumps(persisted(None, sha)["extensions"])},
            )
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert code(mismatch) == "BAD_USER_INPUT"
    assert registered.json()["data"]["orders"]["totalCount"] > 0
    # `extensions.sources` tells a cache hit from a miss; the answers themselves are one
    assert by_hash.json()["data"] == registered.json()["data"] == over_get.json()["data"]


async def test_trusted_documents_mode_runs_only_registered_operations(
    sandbox: Sandbox, redis_url: str, redis_prefix: str, tokens: Tokens, tmp_path: Path
) -> None:
    manifest = tmp_path / "documents.json"
    manifest.write_text(json.dumps({sha256_of(ORDERS): ORDERS}), encoding="utf-8")
    token = await tokens("beat")
    auth = {"Authorization": f"Bearer {token}"}
    with running_gateway(
        sandbox, redis_url=redis_url, cache_prefix=redis_prefix,
        trusted_documents_only=True, trusted_documents_manifest=manifest,
    ) as url:  # fmt: skip
        async with httpx.AsyncClient(base_url=url, headers=auth) as http:
            by_hash = await http.post("/graphql", json=persisted(None, sha256_of(ORDERS)))
            by_text = await http.post("/graphql", json={"query": ORDERS})
            raw = await http.post("/graphql", json={"query": VIEWER})
            smuggled = await http.post("/graphql", json=persisted(VIEWER, sha256_of(VIEWER)))
            again = await http.post("/graphql", json=persisted(None, sha256_of(VIEWER)))
        async with graphql_ws(url, {"Authorization": f"Bearer {token}"}) as socket:
            over_ws = await socket.execute(VIEWER)
    assert by_hash.json()["data"]["orders"]["totalCount"] > 0
    assert by_text.json()["data"] == by_hash.json()["data"]
    assert code(raw) == code(smuggled) == "TRUSTED_DOCUMENT_REQUIRED"
    assert code(again) == "PERSISTED_QUERY_NOT_FOUND"  # the attempt registered nothing
    assert over_ws[0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
