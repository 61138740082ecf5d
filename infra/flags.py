"""Feature flags: flag definitions in flagd's format (the OpenFeature project's: each flag has
`state`, `variants`, a `defaultVariant` and optional JSONLogic `targeting`, with `fractional`
for a percentage split hashed from the flag's key and the user's targeting key), evaluated in
process by flagd's own evaluator (`openfeature-flagd-core`) against an OpenFeature
`EvaluationContext`. Nothing is fetched at run time: the definitions come from the settings.

A flag is *on* for a context when it resolves to a variant whose value is not `false`; the
variant's name is what an A/B test reports. A flag whose targeting fails to evaluate is off
for that context (and logged), never an error for the request.

    flags = FeatureFlags({"flags": {"new-dashboard": {
        "state": "ENABLED", "defaultVariant": "off",
        "variants": {"on": True, "off": False},
        "targeting": {"fractional": [["on", 20], ["off", 80]]}}}})
    flags.evaluate("new-dashboard", EvaluationContext("user-id", {"organization": "0000100001"}))
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openfeature.contrib.tools.flagd.core import FlagdCore
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import OpenFeatureError
from openfeature.flag_evaluation import FlagResolutionDetails

log = logging.getLogger("portalgraph.flags")


class FlagDefinitionError(ValueError):
    """The flag definitions are not valid flagd definitions; the message says where."""


@dataclass(frozen=True)
class FlagState:
    key: str
    on: bool
    variant: str | None
    """The variant resolved; None when none was (a disabled flag, a failed evaluation)."""
    reason: str
    """OpenFeature's resolution reason: STATIC, TARGETING_MATCH, DEFAULT, DISABLED, ERROR."""


class FeatureFlags:
    def __init__(self, definitions: Mapping[str, Any]) -> None:
        flags = definitions.get("flags", {})
        if not isinstance(flags, Mapping):
            raise FlagDefinitionError("`flags` must map flag keys to definitions")
        self._kinds = {key: _kind_of(key, flag) for key, flag in flags.items()}
        self._core = FlagdCore()
        try:
            self._core.set_flags(_plain(definitions))
        except OpenFeatureError as error:
            raise FlagDefinitionError(f"invalid flag definitions: {error}") from error

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(sorted(self._kinds))

    def evaluate(self, key: str, context: EvaluationContext) -> FlagState | None:
        """The flag's state for `context`; None for a flag that is not defined."""
        kind = self._kinds.get(key)
        if kind is None:
            return None
        resolve = getattr(self._core, f"resolve_{kind}_value")
        try:
            details: FlagResolutionDetails[Any] = resolve(key, _DEFAULTS[kind], context)
        except Exception as error:  # operators write the targeting: any failure means off
            log.warning("flag %s: evaluation failed: %s", key, error)
            return FlagState(key, False, None, "ERROR")
        on = details.variant is not None and details.value is not False
        return FlagState(key, on, details.variant, str(details.reason or "UNKNOWN"))

    def evaluate_all(self, context: EvaluationContext) -> list[FlagState]:
        return [state for key in self.keys if (state := self.evaluate(key, context)) is not None]


_DEFAULTS: dict[str, Any] = {"boolean": False, "string": "", "float": 0.0, "object": {}}
_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    (str, "string"),
    ((int, float), "float"),
    ((dict, list), "object"),
)


def _kind_of(key: str, flag: object) -> str:
    """How the flag resolves: flagd wants every variant of a flag to have one type."""
    variants = flag.get("variants") if isinstance(flag, Mapping) else None
    if not isinstance(variants, Mapping) or not variants:
        raise FlagDefinitionError(f"flag {key!r}: `variants` must map variant names to values")
    default = flag.get("defaultVariant") if isinstance(flag, Mapping) else None
    if default not in (None, "") and default not in variants:
        raise FlagDefinitionError(f"flag {key!r}: defaultVariant {default!r} is no variant")
    for types, kind in _KINDS:
        if all(_is(value, types) for value in variants.values()):
            return kind
    raise FlagDefinitionError(f"flag {key!r}: its variants' values must all have one type")


def _is(value: object, types: type | tuple[type, ...]) -> bool:
    return isinstance(value, types) and (types is bool or not isinstance(value, bool))


def _plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists (flagd's parser changes what it is given)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
