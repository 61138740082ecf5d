"""Reading a Keycloak realm export (the JSON `kc.sh export` writes and `--import-realm` reads)
into the sandbox's realm model."""

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sandbox.idp.profile import parse_profile
from sandbox.idp.realm import (
    DEFAULT_CLIENT_ROLES,
    Client,
    ClientScope,
    ProtocolMapper,
    Realm,
    Role,
    Totp,
    User,
)

DEFAULT_REALM_PATH = (
    Path(__file__).resolve().parents[2] / "deploy" / "keycloak" / "portal-realm.json"
)


def load_realm(path: Path = DEFAULT_REALM_PATH) -> Realm:
    """A fresh, independent realm from a Keycloak realm export file."""
    return parse_realm(json.loads(path.read_text(encoding="utf-8")))


def parse_realm(data: Mapping[str, Any]) -> Realm:
    scopes = {s["name"]: _client_scope(s) for s in data.get("clientScopes", [])}
    clients = {c["clientId"]: _client(c) for c in data.get("clients", [])}
    for client in clients.values():
        missing = set(client.default_scopes) - scopes.keys()
        if missing:
            raise ValueError(f"client {client.client_id} names unknown scopes {sorted(missing)}")
    return Realm(
        name=data["realm"],
        display_name=data.get("displayName") or data["realm"],
        access_token_lifespan=int(data.get("accessTokenLifespan", 300)),
        sso_session_idle_timeout=int(data.get("ssoSessionIdleTimeout", 1800)),
        roles={r["name"]: _role(r) for r in data.get("roles", {}).get("realm", [])},
        client_scopes=scopes,
        clients=clients,
        users={u["id"]: parse_user(u) for u in data.get("users", [])},
        user_profile=parse_profile(data.get("components", {})),
    )


def parse_user(rep: Mapping[str, Any]) -> User:
    """A user from a Keycloak UserRepresentation (export or admin API body); without
    `clientRoles`, the user gets what Keycloak's default roles grant."""
    password: str | None = None
    totp: Totp | None = None
    for credential in rep.get("credentials", []):
        if credential.get("type") == "password":
            password = credential["value"]
        elif credential.get("type") == "otp":
            totp = _totp(credential)
    client_roles = rep.get("clientRoles")
    return User(
        id=rep.get("id") or str(uuid.uuid4()),
        username=rep["username"].lower(),
        enabled=rep.get("enabled", True),
        email=rep.get("email"),
        email_verified=rep.get("emailVerified", False),
        first_name=rep.get("firstName"),
        last_name=rep.get("lastName"),
        attributes={k: list(v) for k, v in rep.get("attributes", {}).items()},
        realm_roles=set(rep.get("realmRoles", [])),
        client_roles=(
            {c: set(r) for c, r in client_roles.items()}
            if client_roles is not None
            else {c: set(r) for c, r in DEFAULT_CLIENT_ROLES.items()}
        ),
        required_actions=list(rep.get("requiredActions", [])),
        password=password,
        totp=totp,
        created_timestamp=int(rep.get("createdTimestamp", 0)),
        service_account_client_id=rep.get("serviceAccountClientId"),
    )


def _totp(credential: Mapping[str, Any]) -> Totp:
    """Keycloak stores secretData and credentialData as JSON strings inside the export."""
    secret = json.loads(credential["secretData"])["value"]
    data = json.loads(credential["credentialData"])
    if data.get("subType") != "totp" or data.get("secretEncoding") != "BASE32":
        raise ValueError("only base32 TOTP credentials are supported")
    return Totp(
        secret=secret,
        digits=int(data.get("digits", 6)),
        period=int(data.get("period", 30)),
        algorithm=data.get("algorithm", "HmacSHA1"),
    )


def _role(rep: Mapping[str, Any]) -> Role:
    return Role(id=rep["id"], name=rep["name"], description=rep.get("description", ""))


def _mapper(rep: Mapping[str, Any]) -> ProtocolMapper:
    return ProtocolMapper(
        name=rep["name"], mapper_type=rep["protocolMapper"], config=dict(rep.get("config", {}))
    )


def _client_scope(rep: Mapping[str, Any]) -> ClientScope:
    return ClientScope(
        name=rep["name"],
        include_in_token_scope=rep.get("attributes", {}).get("include.in.token.scope") == "true",
        mappers=tuple(_mapper(m) for m in rep.get("protocolMappers", [])),
    )


def _client(rep: Mapping[str, Any]) -> Client:
    return Client(
        id=rep["id"],
        client_id=rep["clientId"],
        public=rep.get("publicClient", False),
        secret=rep.get("secret"),
        enabled=rep.get("enabled", True),
        standard_flow=rep.get("standardFlowEnabled", True),
        pkce_method=rep.get("attributes", {}).get("pkce.code.challenge.method") or None,
        direct_access_grants=rep.get("directAccessGrantsEnabled", False),
        service_accounts=rep.get("serviceAccountsEnabled", False),
        default_scopes=tuple(rep.get("defaultClientScopes", [])),
        mappers=tuple(_mapper(m) for m in rep.get("protocolMappers", [])),
        redirect_uris=tuple(rep.get("redirectUris", [])),
        web_origins=tuple(rep.get("webOrigins", [])),
    )
