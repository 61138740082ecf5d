"""Verifying bearer access tokens of the identity provider (Keycloak or the sandbox).

Discovery, the realm's keys and introspection come through python-keycloak's async API; the
signature and claims are checked here with jwcrypto, because the key policy is the gateway's:
an allow-list of asymmetric algorithms, the key type must fit the algorithm, and a token
signed with an unknown `kid` refetches the keys at most once per `jwks_refresh_interval`
(so a flood of forged `kid`s cannot turn into a flood of requests to the identity provider).
"""

import asyncio
import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from jwcrypto import jwk, jws
from jwcrypto.common import JWException, base64url_decode
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

from auth.policy import OrganizationNotAllowed, act_for
from auth.principal import Principal, principal_from_claims

Claims = dict[str, Any]

DEFAULT_ALGORITHMS = ("RS256", "ES256", "PS256")
_KEY_TYPE_OF_FAMILY = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
_ASYMMETRIC = {f"{family}{bits}" for family in _KEY_TYPE_OF_FAMILY for bits in (256, 384, 512)}


class InvalidToken(Exception):
    """A token the gateway does not accept; `reason` tells the client what to fix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OrganizationNotInToken(InvalidToken):
    """A valid token, but the requested organization is not one of its own (403, not 401)."""


class IdentityProviderUnavailable(Exception):
    """The identity provider could not be asked (keys, discovery or introspection)."""


VERIFIED_TOKENS_KEPT = 10_000
"""Tokens whose signature is remembered as checked (32-byte hashes and their claims)."""


class Verified:
    """A token whose signature checked out: its claims, and the principal they make, derived
    once they first pass the checks (which run on every use) instead of on every request."""

    def __init__(self, claims: Claims) -> None:
        self.claims = claims
        self._principal: Principal | None = None

    def principal(self) -> Principal:
        if self._principal is None:
            self._principal = principal_from_claims(self.claims)
        return self._principal


class TokenVerifier:
    def __init__(
        self,
        *,
        server_url: str,
        realm: str = "portal",
        client_id: str = "portal-gateway",
        client_secret: str | None = None,
        issuer: str | None = None,
        audience: str = "portal-gateway",
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        leeway: float = 30.0,
        max_lifetime: float | None = None,
        jwks_refresh_interval: float = 30.0,
        timeout: int = 10,
    ) -> None:
        """`issuer` defaults to the one the discovery document names. The client secret is
        needed only to introspect opaque (non-JWT) tokens. `leeway` is the clock skew
        allowed on `exp`, `nbf` and `iat`; `max_lifetime` refuses tokens issued for longer
        (`exp - iat`), whatever the identity provider was configured to mint."""
        self._algorithms = frozenset(algorithms)
        if not self._algorithms <= _ASYMMETRIC:
            raise ValueError(f"only asymmetric algorithms are accepted, not {self._algorithms}")
        self._openid = KeycloakOpenID(
            server_url=server_url,
            realm_name=realm,
            client_id=client_id,
            client_secret_key=client_secret,
            timeout=timeout,
        )
        self._can_introspect = client_secret is not None
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._max_lifetime = max_lifetime
        self._refresh_interval = jwks_refresh_interval
        self._keys: jwk.JWKSet | None = None
        self._keys_refetched_at = -math.inf
        self._verified: OrderedDict[bytes, Verified] = OrderedDict()
        self._lock = asyncio.Lock()

    async def verify(self, token: str, organization: str | None = None) -> Principal:
        """The principal of a valid token, acting for `organization` if given (one of the
        token's organizations, or any for provider staff: `auth.policy.act_for`). Raises
        InvalidToken."""
        if token.count(".") != 2:
            claims = await self._introspect(token)
            await self._check_claims(claims)
            principal = principal_from_claims(claims)
        else:
            verified = await self._decode(token)
            await self._check_claims(verified.claims)
            principal = verified.principal()
        try:
            return act_for(principal, organization)
        except OrganizationNotAllowed as error:
            raise OrganizationNotInToken(str(error)) from error

    async def aclose(self) -> None:
        await self._openid.connection.aclose()

    async def _decode(self, token: str) -> Verified:
        """A token whose signature checks out. A signature is checked once per token (a
        bounded LRU keyed by its hash); the claims (expiry, issuer, audience) are checked by
        the caller on every use."""
        digest = hashlib.sha256(token.encode()).digest()
        verified = self._verified.get(digest)
        if verified is None:
            verified = Verified(await self._verify_signature(token))
            self._verified[digest] = verified
            if len(self._verified) > VERIFIED_TOKENS_KEPT:
                self._verified.popitem(last=False)
        else:
            self._verified.move_to_end(digest)
        return verified

    async def _verify_signature(self, token: str) -> Claims:
        header = _json_object(token.split(".")[0])
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise InvalidToken("token algorithm not accepted")
        key = await self._key(header.get("kid"))
        if key.get("kty") != _KEY_TYPE_OF_FAMILY[alg[:2]] or key.get("alg", alg) != alg:
            raise InvalidToken("token algorithm does not match its signing key")
        signed = jws.JWS()
        try:
            signed.deserialize(token)
            signed.allowed_algs = [alg]
            signed.verify(key, alg=alg)
        except jws.InvalidJWSSignature as error:
            raise InvalidToken("token signature invalid") from error
        except JWException as error:
            raise InvalidToken("token malformed") from error
        return _json_object(signed.payload)

    async def _key(self, kid: object) -> jwk.JWK:
        if not isinstance(kid, str):
            raise InvalidToken("token names no signing key (kid)")
        key = self._known_key(kid)
        if key is None:
            async with self._lock:  # concurrent requests with the new kid share one fetch
                key = self._known_key(kid)
                if key is None and self._may_fetch_keys():
                    await self._fetch_keys()
                    key = self._known_key(kid)
        if key is None:
            raise InvalidToken("token signing key unknown")
        return key

    def _known_key(self, kid: str) -> jwk.JWK | None:
        return None if self._keys is None else self._keys.get_key(kid)

    def _may_fetch_keys(self) -> bool:
        """The first fetch always; a refetch for an unknown kid once per interval."""
        if self._keys is None:
            return True
        now = time.monotonic()
        if now - self._keys_refetched_at < self._refresh_interval:
            return False
        self._keys_refetched_at = now
        return True

    async def _fetch_keys(self) -> None:
        try:
            certs = await self._openid.a_certs()
        except KeycloakError as error:
            raise IdentityProviderUnavailable("cannot fetch the signing keys") from error
        keys = jwk.JWKSet()
        for entry in certs.get("keys", []):
            if entry.get("use", "sig") == "sig":  # Keycloak also publishes encryption keys
                keys.add(jwk.JWK(**entry))
        self._keys = keys

    async def _introspect(self, token: str) -> Claims:
        if not self._can_introspect:
            raise InvalidToken("token malformed")
        try:
            claims: Claims = await self._openid.a_introspect(token)
        except KeycloakError as error:
            raise IdentityProviderUnavailable("cannot introspect the token") from error
        if claims.get("active") is not True:
            raise InvalidToken("token not active")
        return claims

    async def _check_claims(self, claims: Claims) -> None:
        now = time.time()
        exp, not_before = claims.get("exp"), claims.get("nbf", claims.get("iat"))
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise InvalidToken("token has no expiry")
        if now > exp + self._leeway:
            raise InvalidToken("token expired")
        if isinstance(not_before, int | float) and now + self._leeway < not_before:
            raise InvalidToken("token not yet valid")
        issued_at = claims.get("iat")
        if (
            self._max_lifetime is not None
            and isinstance(issued_at, int | float)
            and exp - issued_at > self._max_lifetime
        ):
            raise InvalidToken("token lifetime longer than accepted")
        if claims.get("iss") != await self._expected_issuer():
            raise InvalidToken("token issuer not accepted")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self._audience not in audiences:
            raise InvalidToken("token audience not accepted")
        if str(claims.get("typ", "Bearer")).lower() != "bearer":
            raise InvalidToken("token is not an access token")
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("azp"), str):
            raise InvalidToken("token lacks the sub or azp claim")

    async def _expected_issuer(self) -> str:
        if self._issuer is None:
            try:
                discovery = await self._openid.a_well_known()
            except KeycloakError as error:
                raise IdentityProviderUnavailable("cannot read the discovery document") from error
            self._issuer = str(discovery["issuer"])
        return self._issuer


def _json_object(encoded: str | bytes) -> Claims:
    """A JSON object from base64url text (a JOSE header) or from bytes (a JWS payload)."""
    try:
        raw = base64url_decode(encoded) if isinstance(encoded, str) else encoded
        value = json.loads(raw)
    except ValueError as error:
        raise InvalidToken("token malformed") from error
    if not isinstance(value, dict):
        raise InvalidToken("token malformed")
    return value
