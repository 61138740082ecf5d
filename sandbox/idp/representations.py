"""Keycloak admin API representations (UserRepresentation, RoleRepresentation,
UserSessionRepresentation) and the users query of `GET /admin/realms/{realm}/users`."""

from collections.abc import Mapping
from typing import Any

from sandbox.idp.realm import Realm, Role, User
from sandbox.idp.sessions import UserSession

Representation = dict[str, Any]

MS = 1000


def user_representation(user: User, *, brief: bool = False) -> Representation:
    rep: Representation = {
        "id": user.id,
        "username": user.username,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "emailVerified": user.email_verified,
        "enabled": user.enabled,
        "createdTimestamp": user.created_timestamp,
        "totp": user.totp is not None,
        "disableableCredentialTypes": ["otp"] if user.totp is not None else [],
        "requiredActions": list(user.required_actions),
        "notBefore": 0,
    }
    if not brief:
        rep["attributes"] = {k: list(v) for k, v in user.attributes.items()}
        rep["access"] = {"view": True, "manage": True, "mapRoles": True, "impersonate": False}
    return {k: v for k, v in rep.items() if v is not None}


def role_representation(role: Role, realm: Realm) -> Representation:
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "composite": False,
        "clientRole": False,
        "containerId": realm.name,
    }


def session_representation(session: UserSession, user: User, realm: Realm) -> Representation:
    client = realm.clients.get(session.client_id)
    return {
        "id": session.id,
        "username": user.username,
        "userId": user.id,
        "ipAddress": session.ip_address,
        "start": session.started * MS,
        "lastAccess": session.last_access * MS,
        "rememberMe": False,
        "clients": {client.id: client.client_id} if client else {},
        "transientUser": False,
    }


def update_user(user: User, rep: Mapping[str, Any]) -> None:
    """Keycloak's PUT semantics: fields present in the body replace, absent ones stay.
    The username is read-only (the realm does not allow editing it)."""
    if "firstName" in rep:
        user.first_name = rep["firstName"]
    if "lastName" in rep:
        user.last_name = rep["lastName"]
    if "email" in rep:
        user.email = rep["email"]
    if "emailVerified" in rep:
        user.email_verified = bool(rep["emailVerified"])
    if "enabled" in rep:
        user.enabled = bool(rep["enabled"])
    if "attributes" in rep:
        user.attributes = {k: list(v) for k, v in (rep["attributes"] or {}).items()}
    if "requiredActions" in rep:
        user.required_actions = list(rep["requiredActions"])


def matches(user: User, query: Mapping[str, str]) -> bool:
    """The filters of Keycloak's user search: `search` (any of username, e-mail, first and
    last name), `username`/`email`/`firstName`/`lastName` (infix unless `exact=true`),
    `enabled`, `emailVerified` and `q` (space-separated `attribute:value`, exact)."""
    exact = query.get("exact", "").lower() == "true"
    fields = {
        "username": user.username,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
    }
    search = query.get("search", "").strip("*")
    if search and not any(_like(v, search, exact) for v in fields.values()):
        return False
    for name, value in fields.items():
        wanted = query.get(name)
        if wanted and not _like(value, wanted, exact):
            return False
    for flag, current in (("enabled", user.enabled), ("emailVerified", user.email_verified)):
        if flag in query and query[flag].lower() != str(current).lower():
            return False
    for term in query.get("q", "").split():
        name, _, value = term.partition(":")
        if value not in user.attributes.get(name, []):
            return False
    return True


def _like(value: str | None, wanted: str, exact: bool) -> bool:
    if value is None:
        return False
    return value.lower() == wanted.lower() if exact else wanted.lower() in value.lower()
