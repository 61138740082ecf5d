"""Tokens a client should never get accepted: re-signed with changed claims, signed by an
impostor key, or not signed at all."""

import base64
import json
from typing import Any

from jwcrypto import jwk, jws

from sandbox.idp import Idp


def encode_part(part: dict[str, Any]) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def resigned(idp: Idp, token: str, **changes: Any) -> str:
    """The token's claims with `changes`, properly signed by the identity provider's key."""
    return idp.keys.sign(claims_of(token) | changes)


def signed(key: jwk.JWK, claims: dict[str, Any], alg: str, kid: str) -> str:
    token = jws.JWS(json.dumps(claims))
    token.allowed_algs = [alg]
    token.add_signature(key, alg=alg, protected=json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}))
    return str(token.serialize(compact=True))


def forged(idp: Idp, token: str) -> str:
    """The same claims and kid, signed by another RSA key."""
    kid = idp.keys.current_kid
    return signed(jwk.JWK.generate(kty="RSA", size=2048, kid=kid), claims_of(token), "RS256", kid)


def unsigned(idp: Idp, token: str) -> str:
    """`alg: none`."""
    header = {"alg": "none", "kid": idp.keys.current_kid}
    return f"{encode_part(header)}.{encode_part(claims_of(token))}."
