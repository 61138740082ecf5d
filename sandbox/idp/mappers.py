"""Keycloak's OIDC protocol mappers, interpreted from the realm export.

Each client scope and client carries mappers; a token gets the claims of the mappers of the
client's default scopes, then of the client itself, filtered by the token kind flag
(`access.token.claim`, `id.token.claim`, `userinfo.token.claim`). Only the mapper types the
portal realm uses are known; any other is a load-time error rather than a silently missing
claim.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.idp.realm import Client, ProtocolMapper, Realm, User

Claims = dict[str, Any]


@dataclass(frozen=True)
class Authentication:
    """What Keycloak keeps in the user session about how the subject signed in."""

    session_id: str | None
    auth_time: int
    amr: tuple[str, ...]
    acr: str
    notes: Mapping[str, str]
    """User session notes, read by the session note mapper (AUTH_TIME, client_id...)."""


@dataclass(frozen=True)
class MapperContext:
    realm: Realm
    user: User
    client: Client
    auth: Authentication


_USER_PROPERTIES: dict[str, Callable[[User], str | None]] = {
    "username": lambda u: u.username,
    "email": lambda u: u.email,
    "firstName": lambda u: u.first_name,
    "lastName": lambda u: u.last_name,
    "emailVerified": lambda u: str(u.email_verified).lower(),
}


def apply_mappers(claims: Claims, ctx: MapperContext, token_kind: str) -> Claims:
    """Add the claims of every applicable mapper to `claims`, in Keycloak's order."""
    mappers = [m for scope in ctx.realm.scopes_of(ctx.client) for m in scope.mappers]
    for mapper in [*mappers, *ctx.client.mappers]:
        if mapper.applies_to(token_kind):
            _MAPPERS[mapper.mapper_type](claims, mapper.config, ctx)
    return claims


def check_mapper_types(realm: Realm) -> None:
    for mapper in _all_mappers(realm):
        if mapper.mapper_type not in _MAPPERS:
            raise ValueError(f"mapper {mapper.name!r}: unsupported type {mapper.mapper_type}")


def _all_mappers(realm: Realm) -> list[ProtocolMapper]:
    scoped = [m for s in realm.client_scopes.values() for m in s.mappers]
    return scoped + [m for c in realm.clients.values() for m in c.mappers]


def _set_claim(claims: Claims, name: str, value: Any) -> None:
    """Keycloak nests dotted claim names: `realm_access.roles` → {"realm_access": {"roles"}}."""
    *parents, leaf = name.split(".")
    target = claims
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _typed(value: str, json_type: str | None) -> Any:
    if json_type == "boolean":
        return value.lower() == "true"
    if json_type in {"int", "long"}:
        return int(value)
    if json_type == "JSON":
        return json.loads(value)
    return value


def _add_audience(claims: Claims, audience: str) -> None:
    current = claims.setdefault("aud", [])
    if audience not in current:
        current.append(audience)


def _user_attribute(claims: Claims, config: Mapping[str, str], ctx: MapperContext) -> None:
    name = config["user.attribute"]
    if name in _USER_PROPERTIES:
        single = _USER_PROPERTIES[name](ctx.user)
        values = [] if single is None else [single]
    else:
        values = ctx.user.attributes.get(name, [])
    if not values:
        return
    json_type = config.get("jsonType.label")
    typed = [_typed(v, json_type) for v in values]
    _set_claim(
        claims, config["claim.name"], typed if config.get("multivalued") == "true" else typed[0]
    )


def _full_name(claims: Claims, _: Mapping[str, str], ctx: MapperContext) -> None:
    parts = [p for p in (ctx.user.first_name, ctx.user.last_name) if p]
    if parts:
        claims["name"] = " ".join(parts)


def _realm_roles(claims: Claims, config: Mapping[str, str], ctx: MapperContext) -> None:
    if ctx.user.realm_roles:
        _set_claim(claims, config["claim.name"], sorted(ctx.user.realm_roles))


def _client_roles(claims: Claims, config: Mapping[str, str], ctx: MapperContext) -> None:
    for client_id, roles in sorted(ctx.user.client_roles.items()):
        if roles:
            name = config["claim.name"].replace("${client_id}", client_id)
            _set_claim(claims, name, sorted(roles))


def _audience_resolve(claims: Claims, _: Mapping[str, str], ctx: MapperContext) -> None:
    """Every client the user holds a role of is an audience, except the caller itself."""
    for client_id, roles in sorted(ctx.user.client_roles.items()):
        if roles and client_id != ctx.client.client_id:
            _add_audience(claims, client_id)


def _audience(claims: Claims, config: Mapping[str, str], _: MapperContext) -> None:
    _add_audience(claims, config["included.client.audience"])


def _hardcoded(claims: Claims, config: Mapping[str, str], _: MapperContext) -> None:
    value = _typed(config["claim.value"], config.get("jsonType.label"))
    _set_claim(claims, config["claim.name"], value)


def _session_note(claims: Claims, config: Mapping[str, str], ctx: MapperContext) -> None:
    note = ctx.auth.notes.get(config["user.session.note"])
    if note is not None:
        _set_claim(claims, config["claim.name"], _typed(note, config.get("jsonType.label")))


def _sub(claims: Claims, _: Mapping[str, str], ctx: MapperContext) -> None:
    claims["sub"] = ctx.user.id


def _acr(claims: Claims, _: Mapping[str, str], ctx: MapperContext) -> None:
    claims["acr"] = ctx.auth.acr


def _amr(claims: Claims, _: Mapping[str, str], ctx: MapperContext) -> None:
    if ctx.auth.amr:
        claims["amr"] = list(ctx.auth.amr)


_MAPPERS: dict[str, Callable[[Claims, Mapping[str, str], MapperContext], None]] = {
    "oidc-usermodel-attribute-mapper": _user_attribute,
    "oidc-usermodel-property-mapper": _user_attribute,
    "oidc-full-name-mapper": _full_name,
    "oidc-usermodel-realm-role-mapper": _realm_roles,
    "oidc-usermodel-client-role-mapper": _client_roles,
    "oidc-audience-resolve-mapper": _audience_resolve,
    "oidc-audience-mapper": _audience,
    "oidc-hardcoded-claim-mapper": _hardcoded,
    "oidc-usersessionmodel-note-mapper": _session_note,
    "oidc-sub-mapper": _sub,
    "oidc-acr-mapper": _acr,
    "oidc-amr-mapper": _amr,
}
