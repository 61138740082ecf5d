"""TokenVerifier against the sandbox identity provider: what it accepts, what it rejects."""

import base64
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from jwcrypto import jwk

from auth.tokens import (
    IdentityProviderUnavailable,
    InvalidToken,
    OrganizationNotInToken,
    TokenVerifier,
)
from sandbox.server import bind
from tests.forged_tokens import claims_of, encode_part, resigned, signed
from tests.idp_fixtures import (
    GATEWAY_SECRET,
    IdpServer,
    fetch_service_token,
    fetch_token,
    fetch_token_response,
    running_idp,
    totp_code,
)


@pytest.fixture
async def beat_token(idp_url: str) -> str:
    return await fetch_token(idp_url, "beat")


async def _rejection(verifier: TokenVerifier, token: str, organization: str | None = None) -> str:
    with pytest.raises(InvalidToken) as raised:
        await verifier.verify(token, organization)
    return raised.value.reason


async def test_a_valid_token_becomes_a_principal(
    idp_url: str, token_verifier: TokenVerifier
) -> None:
    token = await fetch_token(idp_url, "anna", totp=totp_code("anna"))
    principal = await token_verifier.verify(token)
    assert principal.subject == "7f78c0c1-ce68-5030-a45f-d0024a476c1e"
    assert (principal.username, principal.display_name) == ("anna", "Anna Keller")
    assert (principal.email, principal.locale) == ("anna.keller@muster-maschinenbau.ch", "de-CH")
    assert principal.roles == {"admin", "purchasing"}
    assert (principal.tenant, principal.tenants) == ("0000100001", ("0000100001", "0000100004"))
    assert principal.client_id == "portal-frontend"
    assert principal.has_mfa
    assert not principal.is_service_account
    assert principal.prices_visible is None  # no claim: the roles decide
    assert principal.session_id
    assert principal.expires_at == datetime.fromtimestamp(claims_of(token)["exp"], UTC)


async def test_password_only_login_has_no_mfa(
    beat_token: str, token_verifier: TokenVerifier
) -> None:
    principal = await token_verifier.verify(beat_token)
    assert principal.amr == ("pwd",)
    assert not principal.has_mfa


async def test_prices_hidden_flag_and_staff_without_organization(
    idp_url: str, token_verifier: TokenVerifier
) -> None:
    carla = await token_verifier.verify(await fetch_token(idp_url, "carla"))
    assert carla.prices_visible is False
    sandra = await token_verifier.verify(await fetch_token(idp_url, "sandra"))
    assert (sandra.roles, sandra.tenant, sandra.tenants) == (frozenset({"support-agent"}), None, ())


async def test_service_account_token(idp_url: str, token_verifier: TokenVerifier) -> None:
    principal = await token_verifier.verify(await fetch_service_token(idp_url))
    assert principal.is_service_account
    assert (principal.client_id, principal.tenant) == ("muster-integration", "0000100001")
    assert {"orders:read", "invoices:read", "events:subscribe"} <= principal.scopes
    assert principal.roles == frozenset()


async def test_member_of_several_organizations_picks_one(
    idp_url: str, beat_token: str, token_verifier: TokenVerifier
) -> None:
    anna = await fetch_token(idp_url, "anna")
    assert (await token_verifier.verify(anna, "0000100004")).tenant == "0000100004"
    assert (await token_verifier.verify(beat_token, "0000100001")).tenant == "0000100001"
    with pytest.raises(OrganizationNotInToken, match="organization not in token"):
        await token_verifier.verify(anna, "0000100002")
    with pytest.raises(OrganizationNotInToken):
        await token_verifier.verify(beat_token, "0000100004")


async def test_staff_choose_any_customer_and_nothing_else(
    idp_url: str, token_verifier: TokenVerifier
) -> None:
    sandra = await fetch_token(idp_url, "sandra")
    chosen = await token_verifier.verify(sandra, "0000100002")
    assert (chosen.tenant, chosen.tenants) == ("0000100002", ("0000100002",))
    with pytest.raises(OrganizationNotInToken):
        await token_verifier.verify(sandra, "not a customer number")


async def test_a_token_used_again_makes_the_same_principal_and_is_checked_again(
    beat_token: str, token_verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its principal is derived once (`Verified`), its claims are checked on every use."""
    first = await token_verifier.verify(beat_token)
    assert await token_verifier.verify(beat_token) == first
    assert (await token_verifier.verify(beat_token, "0000100001")).tenant == "0000100001"
    assert await token_verifier.verify(beat_token) == first  # acting for another left it
    expired = claims_of(beat_token)["exp"] + 3600  # well past any leeway
    monkeypatch.setattr(time, "time", lambda: expired)
    assert await _rejection(token_verifier, beat_token) == "token expired"


async def test_tokens_minted_for_too_long_are_rejected(
    idp_server: IdpServer, beat_token: str
) -> None:
    verifier = TokenVerifier(
        server_url=idp_server.url, client_secret=GATEWAY_SECRET, max_lifetime=600
    )
    now = int(time.time())
    try:
        assert (await verifier.verify(beat_token)).username == "beat"
        long_lived = resigned(idp_server.idp, beat_token, iat=now, exp=now + 86_400)
        assert await _rejection(verifier, long_lived) == "token lifetime longer than accepted"
    finally:
        await verifier.aclose()


async def test_expiry_and_not_before_allow_the_configured_clock_skew(
    idp_server: IdpServer, beat_token: str, token_verifier: TokenVerifier
) -> None:
    now = int(time.time())
    idp = idp_server.idp
    expired = resigned(idp, beat_token, iat=now - 400, exp=now - 100)
    assert await _rejection(token_verifier, expired) == "token expired"
    within_skew = resigned(idp, beat_token, iat=now - 310, exp=now - 10)
    assert (await token_verifier.verify(within_skew)).username == "beat"
    early = resigned(idp, beat_token, nbf=now + 100)
    assert await _rejection(token_verifier, early) == "token not yet valid"


async def test_foreign_issuer_audience_and_type_are_rejected(
    idp_server: IdpServer, beat_token: str, token_verifier: TokenVerifier
) -> None:
    idp = idp_server.idp
    foreign = resigned(idp, beat_token, iss="https://elsewhere.example/realms/portal")
    assert await _rejection(token_verifier, foreign) == "token issuer not accepted"
    other_audience = resigned(idp, beat_token, aud="account")
    assert await _rejection(token_verifier, other_audience) == "token audience not accepted"
    refresh_like = resigned(idp, beat_token, typ="Refresh")
    assert await _rejection(token_verifier, refresh_like) == "token is not an access token"
    id_token = (await fetch_token_response(idp_server.url, "beat"))["id_token"]
    assert await _rejection(token_verifier, id_token) == "token audience not accepted"


async def test_forged_signature_with_a_known_kid_is_rejected(
    idp_server: IdpServer, beat_token: str, token_verifier: TokenVerifier
) -> None:
    kid = idp_server.idp.keys.current_kid
    impostor = jwk.JWK.generate(kty="RSA", size=2048, kid=kid)
    forged = signed(impostor, claims_of(beat_token), "RS256", kid)
    assert await _rejection(token_verifier, forged) == "token signature invalid"


async def test_alg_none_and_hs256_with_the_public_key_are_rejected(
    idp_server: IdpServer, beat_token: str, token_verifier: TokenVerifier
) -> None:
    kid = idp_server.idp.keys.current_kid
    claims = claims_of(beat_token)
    unsigned = f"{encode_part({'alg': 'none', 'kid': kid})}.{encode_part(claims)}."
    assert await _rejection(token_verifier, unsigned) == "token algorithm not accepted"

    (published,) = idp_server.idp.keys.jwks()["keys"]
    public_pem = jwk.JWK(**published).export_to_pem()
    secret = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(public_pem).rstrip(b"=").decode())
    confused = signed(secret, claims, "HS256", kid)
    assert await _rejection(token_verifier, confused) == "token algorithm not accepted"
    with pytest.raises(ValueError, match="asymmetric"):
        TokenVerifier(server_url=idp_server.url, algorithms=["RS256", "HS256"])


async def test_malformed_and_opaque_tokens(
    idp_server: IdpServer, token_verifier: TokenVerifier
) -> None:
    assert await _rejection(token_verifier, "abc.def.ghi") == "token malformed"
    before = idp_server.idp.requests["introspect"]
    assert await _rejection(token_verifier, "an-opaque-token") == "token not active"
    assert idp_server.idp.requests["introspect"] == before + 1
    without_secret = TokenVerifier(server_url=idp_server.url)
    try:
        assert await _rejection(without_secret, "an-opaque-token") == "token malformed"
    finally:
        await without_secret.aclose()


async def test_keys_and_discovery_are_fetched_once(
    idp_server: IdpServer, beat_token: str, token_verifier: TokenVerifier
) -> None:
    requests = idp_server.idp.requests
    certs, discovery = requests["certs"], requests["discovery"]
    for _ in range(3):
        await token_verifier.verify(beat_token)
    assert (requests["certs"], requests["discovery"]) == (certs + 1, discovery + 1)


@pytest.fixture
async def isolated_idp() -> AsyncIterator[IdpServer]:
    """An identity provider of its own, for tests that rotate keys."""
    with running_idp() as server:
        yield server


async def test_unknown_kid_refetches_the_keys_at_most_once_per_interval(
    isolated_idp: IdpServer, beat_token: str
) -> None:
    idp, url = isolated_idp.idp, isolated_idp.url
    stray = jwk.JWK.generate(kty="RSA", size=2048, kid="stray")
    unknown_kid_token = signed(stray, claims_of(beat_token), "RS256", "stray")
    verifier = TokenVerifier(server_url=url, issuer=isolated_idp.issuer, jwks_refresh_interval=3600)
    try:
        await verifier.verify(await fetch_token(url, "beat"))
        assert idp.requests["certs"] == 1
        idp.keys.rotate()
        assert (await verifier.verify(await fetch_token(url, "mia"))).username == "mia"
        assert idp.requests["certs"] == 2
        assert await _rejection(verifier, unknown_kid_token) == "token signing key unknown"
        assert idp.requests["certs"] == 2
        assert idp.requests["discovery"] == 0  # the issuer was configured
    finally:
        await verifier.aclose()


async def test_with_no_interval_each_unknown_kid_refetches_exactly_once(
    isolated_idp: IdpServer, beat_token: str
) -> None:
    stray = jwk.JWK.generate(kty="RSA", size=2048, kid="stray")
    unknown_kid_token = signed(stray, claims_of(beat_token), "RS256", "stray")
    verifier = TokenVerifier(server_url=isolated_idp.url, jwks_refresh_interval=0)
    requests = isolated_idp.idp.requests
    try:
        for attempt in (1, 2):
            assert await _rejection(verifier, unknown_kid_token) == "token signing key unknown"
            assert requests["certs"] == attempt  # first fetch, then one refetch
    finally:
        await verifier.aclose()


async def test_unreachable_identity_provider_is_not_an_invalid_token(beat_token: str) -> None:
    sock = bind()
    host, port = sock.getsockname()[:2]
    sock.close()
    verifier = TokenVerifier(server_url=f"http://{host}:{port}", client_secret=GATEWAY_SECRET)
    try:
        with pytest.raises(IdentityProviderUnavailable):
            await verifier.verify(beat_token)
    finally:
        await verifier.aclose()
