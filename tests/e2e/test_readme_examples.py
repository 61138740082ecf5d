"""The README's self-service examples run as written: each GraphQL block of the section, in
order, as the user its first line names (`# as beat`, `# as anna, with TOTP`), against a
sandbox of this module's own, answers without errors and without user errors."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, running_gateway

README = Path(__file__).parents[2] / "README.md"
SECTION = re.compile(r"^## Self-service\n(.*?)^## ", re.S | re.M)
BLOCK = re.compile(r"^```graphql\n(.*?)^```", re.S | re.M)
CALLER = re.compile(r"#\s*as (\w+)(, with TOTP)?")


def examples() -> list[tuple[str, bool, str]]:
    """(user, with TOTP, document) per GraphQL block of the README's self-service section."""
    section = SECTION.search(README.read_text())
    assert section is not None, "README has no '## Self-service' section"
    found = []
    for block in BLOCK.findall(section.group(1)):
        caller = CALLER.match(block)
        assert caller is not None, f"a self-service example names no user: {block[:60]}"
        found.append((caller.group(1), caller.group(2) is not None, block))
    return found


def user_errors(data: Any) -> list[Any]:
    """Every `userErrors` list's entries anywhere in an answer."""
    if isinstance(data, dict):
        own = data.get("userErrors") or []
        return [*own, *(e for value in data.values() for e in user_errors(value))]
    if isinstance(data, list):
        return [e for item in data for e in user_errors(item)]
    return []


@pytest.fixture(scope="module")
def own_gateway(own_sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(own_sandbox) as url:
        yield url


async def test_every_self_service_example_runs_as_written(
    own_gateway: str, own_tokens: Tokens
) -> None:
    found = examples()
    assert len(found) >= 6  # one per group at least
    for user, mfa, document in found:
        client = GraphQLClient(own_gateway, await own_tokens(user, mfa=mfa))
        try:
            data = await client.query(document)
        finally:
            await client.aclose()
        assert user_errors(data) == [], document
