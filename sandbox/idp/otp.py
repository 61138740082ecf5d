"""RFC 6238 TOTP for the realm's OTP credentials, by pyotp."""

import base64
import hashlib
from datetime import datetime

import pyotp

from sandbox.idp.realm import Totp

_DIGESTS = {"HmacSHA1": hashlib.sha1, "HmacSHA256": hashlib.sha256, "HmacSHA512": hashlib.sha512}


class _DemoSecretTotp(pyotp.TOTP):
    """pyotp ≥ 2.12 refuses secrets under 112 bits (NIST SP 800-63B); the demo secrets the
    design fixes (`JBSWY3DPEHPK3PXP`, `KRSXG5CTMVRXEZLU`) have 80. Same algorithm, no check."""

    def byte_secret(self) -> bytes:
        padded = self.secret + "=" * (-len(self.secret) % 8)
        return base64.b32decode(padded, casefold=True)


def _otp(credential: Totp) -> pyotp.TOTP:
    return _DemoSecretTotp(
        credential.secret,
        digits=credential.digits,
        interval=credential.period,
        digest=_DIGESTS[credential.algorithm],
    )


def totp_valid(credential: Totp, code: str, at: datetime) -> bool:
    """Whether `code` is valid at `at`, one period either side (Keycloak's look-ahead window).

    python-keycloak sends the code as an int, so leading zeros may have been lost on the way.
    """
    otp = _otp(credential)
    return bool(otp.verify(code.zfill(credential.digits), for_time=at, valid_window=1))


def totp_code(credential: Totp, at: datetime) -> str:
    """The code an authenticator app shows at `at` (for the benchmarks' demo users)."""
    return str(_otp(credential).at(at))
