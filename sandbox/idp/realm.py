"""The realm the sandbox identity provider serves: users, roles, clients, client scopes.

`deploy/keycloak/portal-realm.json` is the one source (see `sandbox.idp.export`): a real
Keycloak 26 imports it, and the sandbox reads it into these types. Users are mutable because
the admin API creates, changes and deletes them.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sandbox.idp.profile import UserProfile

DEFAULT_CLIENT_ROLES = {"account": frozenset({"view-profile", "manage-account"})}
"""What Keycloak's default roles grant every new user: the account console's client roles."""

REQUIRED_ACTIONS = frozenset({
    "CONFIGURE_TOTP", "UPDATE_PASSWORD", "UPDATE_PROFILE", "VERIFY_EMAIL", "VERIFY_PROFILE",
    "update_user_locale", "webauthn-register", "webauthn-register-passwordless",
})  # fmt: skip
"""The required actions a Keycloak 26 realm registers and enables by default."""


@dataclass(frozen=True)
class Totp:
    """An RFC 6238 credential: the base32 secret and the realm's OTP parameters."""

    secret: str
    digits: int = 6
    period: int = 30
    algorithm: str = "HmacSHA1"


@dataclass
class User:
    id: str
    username: str
    enabled: bool = True
    email: str | None = None
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    realm_roles: set[str] = field(default_factory=set)
    client_roles: dict[str, set[str]] = field(default_factory=dict)
    required_actions: list[str] = field(default_factory=list)
    password: str | None = None
    totp: Totp | None = None
    created_timestamp: int = 0
    service_account_client_id: str | None = None

    @property
    def is_service_account(self) -> bool:
        return self.service_account_client_id is not None


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class ProtocolMapper:
    name: str
    mapper_type: str
    config: Mapping[str, str]

    def applies_to(self, token_kind: str) -> bool:
        """`token_kind` is access, id, userinfo or introspection; Keycloak's flag is a string."""
        return self.config.get(f"{token_kind}.token.claim") == "true"


@dataclass(frozen=True)
class ClientScope:
    name: str
    include_in_token_scope: bool
    mappers: tuple[ProtocolMapper, ...] = ()


LOOPBACK_PREFIXES = ("http://localhost", "http://127.0.0.1")
"""Keycloak's installed-app URLs (RFC 8252 §7.3): a redirect URI registered on one of them
without a port matches the same URI on any port."""


@dataclass(frozen=True)
class Client:
    id: str
    client_id: str
    public: bool
    secret: str | None = None
    enabled: bool = True
    standard_flow: bool = False
    """The authorization code flow (the browser's sign-in)."""
    pkce_method: str | None = None
    """`S256` when the client must send a PKCE challenge with that method."""
    direct_access_grants: bool = False
    service_accounts: bool = False
    default_scopes: tuple[str, ...] = ()
    mappers: tuple[ProtocolMapper, ...] = ()
    redirect_uris: tuple[str, ...] = ()
    web_origins: tuple[str, ...] = ()
    """Origins whose browser scripts may call the token endpoint; `+` stands for the origins
    of the redirect URIs, `*` for any."""

    def accepts_redirect(self, uri: str) -> bool:
        """Keycloak's match of a redirect URI: exact, or by prefix where the pattern ends in
        `*`; on a loopback host, a URI that does not match is matched again without its
        port."""
        return _matches(self.redirect_uris, uri) or _matches(self.redirect_uris, _portless(uri))

    def accepts_origin(self, origin: str) -> bool:
        """Whether a browser script of `origin` may read the token endpoint's answers. The
        sandbox applies the loopback rule to the origins `+` stands for as well, so that a
        portal on any loopback port can sign in (as it may be redirected to)."""
        if "*" in self.web_origins or origin in self.web_origins:
            return True
        if "+" not in self.web_origins:
            return False
        allowed = {_origin(uri) for uri in self.redirect_uris}
        return origin in allowed or _portless(origin) in allowed


def _matches(patterns: tuple[str, ...], uri: str) -> bool:
    return any(uri.startswith(p[:-1]) if p.endswith("*") else uri == p for p in patterns)


def _portless(uri: str) -> str:
    """`uri` without the port, when its host is a loopback one (else `uri` itself)."""
    for prefix in LOOPBACK_PREFIXES:
        if uri.startswith(f"{prefix}:"):
            rest = uri[len(prefix) + 1 :]
            path = rest.find("/")
            return prefix + (rest[path:] if path >= 0 else "")
    return uri


def _origin(uri: str) -> str:
    """Scheme, host and port of an absolute URI."""
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@dataclass
class Realm:
    name: str
    access_token_lifespan: int
    sso_session_idle_timeout: int
    roles: dict[str, Role]
    client_scopes: dict[str, ClientScope]
    clients: dict[str, Client]
    users: dict[str, User]
    """Keyed by user id."""
    display_name: str = ""
    """The name the sign-in page shows."""
    user_profile: UserProfile = field(default_factory=UserProfile)

    def user_by_username(self, username: str) -> User | None:
        wanted = username.lower()
        return next((u for u in self.users.values() if u.username == wanted), None)

    def service_account(self, client_id: str) -> User | None:
        return next(
            (u for u in self.users.values() if u.service_account_client_id == client_id), None
        )

    def people(self) -> Iterator[User]:
        """The human users, as the admin API lists them: service accounts excluded."""
        return (u for u in self.users.values() if not u.is_service_account)

    def scopes_of(self, client: Client) -> list[ClientScope]:
        return [self.client_scopes[name] for name in client.default_scopes]
