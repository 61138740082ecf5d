"""Feature flags evaluated by flagd's in-process evaluator: targeting by organization, role and
segment, percentage splits that hit their targets over 10,000 synthetic users and keep each
user in one bucket, A/B variants, and definitions refused at start-up with the key named."""

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openfeature.evaluation_context import EvaluationContext

from infra.flags import FeatureFlags, FlagDefinitionError, FlagState
from portalgraph.settings import Settings, SettingsError

USERS = [f"5f0c{n:04x}-user-{n}" for n in range(10_000)]
ON_OFF = {"on": True, "off": False}


def flag(targeting: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "state": "ENABLED", "variants": ON_OFF, "defaultVariant": "off", **extra
    }  # fmt: skip
    if targeting is not None:
        definition["targeting"] = targeting
    return definition


FLAGS = FeatureFlags({
    "flags": {
        "muster-pilot": flag({"if": [{"in": [{"var": "organization"}, ["0000100001"]]}, "on"]}),
        "purchasing-tools": flag({"if": [{"in": ["purchasing", {"var": "roles"}]}, "on"]}),
        "key-accounts": flag({"if": [{"==": [{"var": "segment"}, "key_account"]}, "on"]}),
        "twenty-percent": flag({"fractional": [["on", 20], ["off", 80]]}),
        "checkout": {
            "state": "ENABLED",
            "variants": {"classic": "classic", "compact": "compact", "wizard": "wizard"},
            "defaultVariant": "classic",
            "targeting": {"fractional": [["classic", 50], ["compact", 30], ["wizard", 20]]},
        },
        "switched-off": flag(state="DISABLED", defaultVariant="on"),
        "everyone": flag(defaultVariant="on"),
    }
})  # fmt: skip


def viewer(user: str = "u-1", **attributes: Any) -> EvaluationContext:
    return EvaluationContext(targeting_key=user, attributes=attributes)


def state_of(flags: FeatureFlags, key: str, context: EvaluationContext) -> FlagState:
    state = flags.evaluate(key, context)
    assert state is not None
    return state


def on(key: str, context: EvaluationContext) -> bool:
    return state_of(FLAGS, key, context).on


def test_targeting_by_organization_role_and_segment() -> None:
    assert on("muster-pilot", viewer(organization="0000100001", roles=["admin"]))
    assert not on("muster-pilot", viewer(organization="0000100002", roles=["admin"]))
    assert not on("muster-pilot", viewer())
    assert on("purchasing-tools", viewer(roles=["admin", "purchasing"]))
    assert not on("purchasing-tools", viewer(roles=["accounting"]))
    assert on("key-accounts", viewer(segment="key_account"))
    assert not on("key-accounts", viewer(segment="sme"))
    assert not on("key-accounts", viewer())  # no segment known: the rule does not match
    assert on("everyone", viewer())
    switched_off = state_of(FLAGS, "switched-off", viewer())
    assert (switched_off.on, switched_off.reason) == (False, "DISABLED")
    assert FLAGS.evaluate("not-configured", viewer()) is None


def test_a_percentage_split_hits_its_target_within_two_points() -> None:
    share = sum(on("twenty-percent", viewer(user)) for user in USERS) / len(USERS)
    assert abs(share - 0.20) <= 0.02, share
    arms = Counter(state_of(FLAGS, "checkout", viewer(user)).variant for user in USERS)
    for variant, target in (("classic", 0.5), ("compact", 0.3), ("wizard", 0.2)):
        assert abs(arms[variant] / len(USERS) - target) <= 0.02, (variant, arms)


def test_a_user_stays_in_the_same_bucket() -> None:
    """Whatever else changes (organization, roles, another process reading the same
    definitions), the bucket depends on the flag and the user only."""
    split = {"fractional": [["on", 20], ["off", 80]]}
    again = FeatureFlags({"flags": {"twenty-percent": flag(split)}})
    elsewhere = viewer(organization="0000100004", roles=["viewer"])
    for user in USERS[:2000]:
        moved = EvaluationContext(user, elsewhere.attributes)
        assert state_of(FLAGS, "checkout", viewer(user)) == state_of(FLAGS, "checkout", moved)
        assert on("twenty-percent", viewer(user)) == state_of(again, "twenty-percent", moved).on


def test_a_split_without_a_user_falls_back_to_the_default_variant() -> None:
    state = state_of(FLAGS, "checkout", EvaluationContext())
    assert (state.on, state.variant) == (True, "classic")


def test_targeting_that_fails_turns_the_flag_off() -> None:
    broken = FeatureFlags({"flags": {"broken": flag({"no-such-operator": [1, 2]})}})
    state = state_of(broken, "broken", viewer())
    assert (state.on, state.reason) == (False, "ERROR")


@pytest.mark.parametrize(
    ("definitions", "complaint"),
    [
        ({"flags": {"x": {"state": "ENABLED", "variants": {}}}}, "variants"),
        ({"flags": {"x": flag(variants={"on": True, "off": "no"})}}, "one type"),
        ({"flags": {"x": flag(defaultVariant="maybe")}}, "defaultVariant"),
        ({"flags": {"x": flag(state="SOMETIMES")}}, "state"),
        ({"flags": ["x"]}, "flags"),
    ],
)
def test_invalid_definitions_are_refused(definitions: dict[str, Any], complaint: str) -> None:
    with pytest.raises(FlagDefinitionError, match=complaint):
        FeatureFlags(definitions)
    with pytest.raises(SettingsError, match="PORTALGRAPH_FEATURE_FLAGS"):
        Settings.from_environment(feature_flags=definitions)


def test_definitions_come_from_a_flagd_file(tmp_path: Path) -> None:
    path = tmp_path / "flags.yaml"
    path.write_text(
        "flags:\n  everyone:\n    state: ENABLED\n    defaultVariant: 'on'\n"
        "    variants: {'on': true, 'off': false}\n",
        encoding="utf-8",
    )
    settings = Settings.from_environment(feature_flags_file=path)
    assert state_of(FeatureFlags(settings.flag_definitions), "everyone", viewer()).on
    path.write_text("flags: [1, 2]\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="PORTALGRAPH_FEATURE_FLAGS_FILE"):
        Settings.from_environment(feature_flags_file=path)
    with pytest.raises(SettingsError, match="not both"):
        Settings.from_environment(
            feature_flags={"flags": {}}, feature_flags_file=tmp_path / "flags.yaml"
        )
