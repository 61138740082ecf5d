"""Feature flags end to end: `viewer.features` on a gateway configured with flag definitions,
targeting the viewer's organization, roles and their organization's segment as the sandbox
CRM has it, an A/B split whose variant the client sees and which follows the user across
organizations, and a field behind a flag (null with FORBIDDEN, reason FEATURE_DISABLED, where
the flag is off)."""

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.seed import LUMIERE, MUSTER, TICINO
from sandbox.server import Sandbox
from tests.stack import GraphQLClient, Tokens, Upstream, running_gateway

ON_OFF = {"on": True, "off": False}


def rule(condition: dict[str, Any]) -> dict[str, Any]:
    return {"state": "ENABLED", "variants": ON_OFF, "defaultVariant": "off",
            "targeting": {"if": [condition, "on", "off"]}}  # fmt: skip


FLAGS = {
    "flags": {
        "muster-pilot": rule({"in": [{"var": "organization"}, [MUSTER]]}),
        "purchasing-tools": rule({"in": ["purchasing", {"var": "roles"}]}),
        "key-accounts": rule({"==": [{"var": "segment"}, "key_account"]}),
        "checkout": {
            "state": "ENABLED",
            "variants": {"classic": "classic", "compact": "compact"},
            "defaultVariant": "classic",
            "targeting": {"fractional": [["classic", 50], ["compact", 50]]},
        },
        "recommendations": {"state": "ENABLED", "variants": ON_OFF, "defaultVariant": "on",
                            "targeting": {"if": [{"==": [{"var": "organization"}, LUMIERE]},
                                                 "off", "on"]}},
    }
}  # fmt: skip
FEATURES = "{ viewer { features { key variant } } }"


@pytest.fixture(scope="module")
def flagged_gateway(sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(sandbox, feature_flags=FLAGS) as url:
        yield url


async def features_of(url: str, token: str, **headers: str) -> dict[str, str]:
    client = GraphQLClient(url, token)
    client.http.headers.update(headers)
    found = (await client.query(FEATURES))["viewer"]["features"]
    await client.aclose()
    return {feature["key"]: feature["variant"] for feature in found}


async def test_flags_target_organization_role_and_segment(
    flagged_gateway: str, tokens: Tokens
) -> None:
    anna = await features_of(flagged_gateway, await tokens("anna"))
    assert {k: v for k, v in anna.items() if k != "checkout"} == {
        "muster-pilot": "on", "purchasing-tools": "on", "key-accounts": "on",
        "recommendations": "on",
    }  # fmt: skip
    carla = await features_of(flagged_gateway, await tokens("carla"))
    assert set(carla) == {"muster-pilot", "key-accounts", "recommendations", "checkout"}
    luc = await features_of(flagged_gateway, await tokens("luc"))
    assert set(luc) == {"checkout"}  # Lumière: another organization, the segment sme
    in_ticino = await features_of(
        flagged_gateway, await tokens("anna"), **{"X-Portal-Organization": TICINO}
    )
    assert set(in_ticino) == {"purchasing-tools", "recommendations", "checkout"}
    assert in_ticino["checkout"] == anna["checkout"]  # the user keeps their A/B arm


async def test_every_user_sees_one_stable_variant(flagged_gateway: str, tokens: Tokens) -> None:
    seen = {}
    for user in ("anna", "beat", "carla", "daniel", "luc", "chloe", "jonas", "mia", "marco"):
        token = await tokens(user)
        first = await features_of(flagged_gateway, token)
        assert first["checkout"] in {"classic", "compact"}
        assert (await features_of(flagged_gateway, token))["checkout"] == first["checkout"]
        seen[user] = first["checkout"]
    assert set(seen.values()) == {"classic", "compact"}, seen  # nine users split both ways


async def test_a_field_behind_a_flag_is_forbidden_where_it_is_off(
    flagged_gateway: str, gateway_url: str, tokens: Tokens
) -> None:
    query = "{ viewer { user { username } recommendations { kind } } }"
    luc = GraphQLClient(flagged_gateway, await tokens("luc"))
    body = (await luc.post(query)).json()
    await luc.aclose()
    assert body["data"]["viewer"] == {"user": {"username": "luc"}, "recommendations": None}
    [error] = body["errors"]
    assert error["path"] == ["viewer", "recommendations"]
    assert error["extensions"] == {
        "code": "FORBIDDEN", "reason": "FEATURE_DISABLED", "feature": "recommendations"
    }  # fmt: skip
    for url in (flagged_gateway, gateway_url):  # on for Muster; released where unconfigured
        anna = GraphQLClient(url, await tokens("anna"))
        assert (await anna.query(query))["viewer"]["recommendations"] is not None
        await anna.aclose()


async def test_without_the_crm_segment_rules_do_not_match_and_the_rest_answers(
    sandbox: Sandbox, tokens: Tokens, upstream: Upstream
) -> None:
    upstream.fault("crm", mode="down")
    with running_gateway(sandbox, feature_flags=FLAGS) as url:  # nothing cached yet
        anna = await features_of(url, await tokens("anna"))
    assert "key-accounts" not in anna
    assert {"muster-pilot", "purchasing-tools"} <= set(anna)
