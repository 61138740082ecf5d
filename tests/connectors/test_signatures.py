"""Webhook signature checks on raw bytes: Stripe's scheme and the shared-secret header pair."""

import pytest

from connectors.base.signatures import SignatureError, signature, verify_hmac, verify_stripe

BODY = b'{"id": "evt_1"}'
NOW = 1_800_000_000


def stripe_header(timestamp: int, *secrets: str) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, BODY)}" for s in secrets)])


def test_stripe_signatures_pass_with_any_matching_secret() -> None:
    verify_stripe(stripe_header(NOW, "whsec_a"), BODY, ["whsec_a"], NOW)
    verify_stripe(stripe_header(NOW, "whsec_old", "whsec_new"), BODY, ["whsec_new"], NOW)
    verify_stripe(stripe_header(NOW - 299, "whsec_a"), BODY, ["whsec_b", "whsec_a"], NOW)


@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        (stripe_header(NOW, "whsec_other"), BODY, "no signature matches"),
        (stripe_header(NOW, "whsec_a"), BODY + b" ", "no signature matches"),
        (stripe_header(NOW - 301, "whsec_a"), BODY, "timestamp outside the tolerance"),
        (stripe_header(NOW + 301, "whsec_a"), BODY, "timestamp outside the tolerance"),
        (f"v1={signature('whsec_a', NOW, BODY)}", BODY, "missing or malformed signature"),
        (None, BODY, "missing or malformed signature"),
    ],
)
def test_stripe_rejections(header: str | None, body: bytes, reason: str) -> None:
    with pytest.raises(SignatureError) as raised:
        verify_stripe(header, body, ["whsec_a"], NOW)
    assert raised.value.reason == reason


def test_shared_secret_signatures() -> None:
    good = f"sha256={signature('s3cret', NOW, BODY)}"
    verify_hmac(str(NOW), good, BODY, ["s3cret"], NOW)
    verify_hmac(str(NOW), f"sha256=00,{good}", BODY, ["s3cret"], NOW)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify_hmac(str(NOW), good, BODY, ["other"], NOW)
    with pytest.raises(SignatureError, match="missing or malformed"):
        verify_hmac("yesterday", good, BODY, ["s3cret"], NOW)
