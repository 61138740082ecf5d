"""Keycloak's declarative user profile: the validations the realm export configures
(`kc.user.profile.config` of the `UserProfileProvider` component), applied to a user as the
admin API would store it, with Keycloak's error keys and error body.

A rule whose value is absent or blank is skipped, as Keycloak's string validators do; only
`required` complains about an absent value. Unmanaged attributes (any not declared, such as
`locale`) are not validated (the realm's `unmanagedAttributePolicy` is ADMIN_EDIT).
"""

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, Response

PROVIDER = "org.keycloak.userprofile.UserProfileProvider"
ROOT_ATTRIBUTES = ("username", "email", "firstName", "lastName")

# Keycloak's own patterns (UsernameProhibitedCharactersValidator and
# PersonNameProhibitedCharactersValidator); `\v\h` are Java's vertical and horizontal space.
_USERNAME = re.compile(r"^[^<>&\"'\s$%!#?§,;:*~/\\|^=\[\]{}()`\x00-\x1f\x7f]+$")
_PERSON_NAME = re.compile(r"^[^<>&\"\v$%!#?§;*~/\\|^=\[\]{}()\x00-\x1f\x7f]+$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.][^@\s]*\.[^@\s.]{2,}$")

Error = dict[str, Any]
"""One ErrorRepresentation: `field`, `errorMessage` (a message key) and `params`."""
Rule = Callable[[list[str], Mapping[str, Any]], str | None]
"""A validator: the error key for the values (one or several), or None when they pass."""


@dataclass(frozen=True)
class Attribute:
    name: str
    validations: Mapping[str, Mapping[str, Any]]
    required: bool = False


@dataclass(frozen=True)
class UserProfile:
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    def errors(self, user: Mapping[str, Any]) -> list[Error]:
        """What Keycloak refuses in `user`, a UserRepresentation as it would be stored."""
        found: list[Error] = []
        attributes = user.get("attributes") or {}
        for attribute in self.attributes:
            raw = (
                user.get(attribute.name)
                if attribute.name in ROOT_ATTRIBUTES
                else attributes.get(attribute.name)
            )
            values = [v for v in _values(raw) if v.strip()]
            if not values:
                if attribute.required:
                    found.append(_error(attribute.name, "error-user-attribute-required"))
                continue
            for rule, config in attribute.validations.items():
                key = _RULES[rule](values, config)
                if key is not None:
                    found.append(_error(attribute.name, key, *_params(rule, config)))
        return found


def parse_profile(components: Mapping[str, Any]) -> UserProfile:
    """The user profile of a realm export's `components` (none: nothing is validated)."""
    for component in components.get(PROVIDER, []):
        for raw in component.get("config", {}).get("kc.user.profile.config", []):
            config = json.loads(raw)
            return UserProfile(tuple(_attribute(a) for a in config.get("attributes", [])))
    return UserProfile()


def profile_error_response(errors: Sequence[Error]) -> Response:
    """HTTP 400 as Keycloak's `ErrorResponse.errors`: one error alone, several in `errors`."""
    body = errors[0] if len(errors) == 1 else {"errors": list(errors)}
    return JSONResponse(body, status_code=400)


def _attribute(rep: Mapping[str, Any]) -> Attribute:
    validations = dict(rep.get("validations", {}))
    unknown = set(validations) - set(_RULES)
    if unknown:
        raise ValueError(f"user profile attribute {rep['name']}: unknown validators {unknown}")
    return Attribute(rep["name"], validations, required=bool(rep.get("required")))


def _values(raw: object) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    return [str(v) for v in raw] if isinstance(raw, list) else []


def _error(name: str, key: str, *params: object) -> Error:
    return {"field": name, "errorMessage": key, "params": [name, *params]}


def _params(rule: str, config: Mapping[str, Any]) -> list[object]:
    if rule in {"length", "multivalued"}:
        return [config.get("min", 0), config.get("max", "")]
    return []


def _length(values: list[str], config: Mapping[str, Any]) -> str | None:
    low, high = int(config.get("min", 0)), int(config.get("max", 2**31))
    return None if all(low <= len(v) <= high for v in values) else "error-invalid-length"


def _multivalued(values: list[str], config: Mapping[str, Any]) -> str | None:
    """Keycloak's `multivalued` validator: how many values an attribute may have."""
    low, high = int(config.get("min", 0)), int(config.get("max", 2**31))
    return None if low <= len(values) <= high else "error-invalid-multivalued-size"


def _matching(pattern: re.Pattern[str], key: str) -> Rule:
    def check(values: list[str], _: Mapping[str, Any]) -> str | None:
        return None if all(pattern.match(v) for v in values) else key

    return check


def _pattern(values: list[str], config: Mapping[str, Any]) -> str | None:
    pattern = re.compile(config["pattern"])
    ok = all(pattern.search(v) for v in values)
    return None if ok else str(config.get("error-message", "error-pattern-no-match"))


def _options(values: list[str], config: Mapping[str, Any]) -> str | None:
    return None if set(values) <= set(config.get("options", [])) else "error-invalid-value"


def _accepted(_: list[str], __: Mapping[str, Any]) -> str | None:
    """A rule the sandbox knows but does not check (Keycloak's IDN homograph test)."""
    return None


_RULES: dict[str, Rule] = {
    "length": _length,
    "multivalued": _multivalued,
    "email": _matching(_EMAIL, "error-invalid-email"),
    "pattern": _pattern,
    "options": _options,
    "username-prohibited-characters": _matching(_USERNAME, "error-username-invalid-character"),
    "person-name-prohibited-characters": _matching(
        _PERSON_NAME, "error-person-name-invalid-character"
    ),
    "up-username-not-idn-homograph": _accepted,
}
