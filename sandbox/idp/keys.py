"""The realm's RS256 signing keys, published as a JWKS; rotatable for key-rollover tests."""

import json
import secrets
from collections.abc import Mapping
from typing import Any

from jwcrypto import jwk, jws
from jwcrypto.common import JWException, base64url_decode

ALGORITHM = "RS256"


class SigningKeys:
    """The newest key signs; older keys stay published (Keycloak's passive keys) until retired."""

    def __init__(self) -> None:
        self._keys: list[jwk.JWK] = [_generate()]

    @property
    def current_kid(self) -> str:
        return str(self._keys[-1]["kid"])

    def rotate(self, *, keep_previous: bool = True) -> str:
        """Start signing with a new key; returns its `kid`."""
        key = _generate()
        self._keys = [*self._keys, key] if keep_previous else [key]
        return str(key["kid"])

    def jwks(self) -> dict[str, Any]:
        return {"keys": [json.loads(k.export_public()) for k in reversed(self._keys)]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact JWS of `claims`, signed by the current key."""
        key = self._keys[-1]
        token = jws.JWS(json.dumps(dict(claims), separators=(",", ":")))
        header = {"alg": ALGORITHM, "typ": "JWT", "kid": key["kid"]}
        token.add_signature(key, alg=ALGORITHM, protected=json.dumps(header))
        return str(token.serialize(compact=True))

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token signed by one of these keys with RS256, else None."""
        try:
            header = json.loads(base64url_decode(token.split(".")[0]))
            key = self._by_kid(header.get("kid"))
            if key is None or header.get("alg") != ALGORITHM:
                return None
            signed = jws.JWS()
            signed.deserialize(token)
            signed.allowed_algs = [ALGORITHM]
            signed.verify(key)
            claims = json.loads(signed.payload)
        except (JWException, ValueError):
            return None
        return claims if isinstance(claims, dict) else None

    def _by_kid(self, kid: object) -> jwk.JWK | None:
        return next((k for k in self._keys if k.get("kid") == kid), None)


def _generate() -> jwk.JWK:
    return jwk.JWK.generate(
        kty="RSA", size=2048, kid=secrets.token_urlsafe(32), use="sig", alg=ALGORITHM
    )
