"""Short-lived signed download links: the gateway mints them only after the ownership check
and streams the bytes from the DMS itself (`portalgraph.files`), so links never expose the
DMS and cannot be forged, extended or moved to another document, organization or user.

A link is bound to the user it was minted for (the token's subject): the download endpoint
serves it only to a caller who presents that same user's bearer token, so a link that leaks
(a log, a forwarded mail, a screenshot) is useless to anyone else.
"""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import astuple, dataclass


@dataclass(frozen=True)
class DownloadGrant:
    document_id: str
    version_id: str
    tenant: str
    subject: str
    """The user (token subject) the link was minted for."""
    expires_at: int


@dataclass(frozen=True)
class DownloadLinks:
    secret: bytes
    ttl_s: int
    base_url: str

    def _signature(self, payload: str) -> str:
        digest = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def url(self, grant: DownloadGrant) -> str:
        payload = json.dumps(astuple(grant), separators=(",", ":"))
        token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{self.base_url}/files/{token}/{self._signature(payload)}"

    def grant(self, document_id: str, version_id: str, tenant: str, subject: str) -> DownloadGrant:
        return DownloadGrant(
            document_id, version_id, tenant, subject, int(time.time()) + self.ttl_s
        )

    def verify(self, token: str, signature: str) -> DownloadGrant | None:
        """The grant a link carries, or None when it is tampered with or expired."""
        try:
            payload = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(self._signature(payload), signature):
            return None
        document_id, version_id, tenant, subject, expires = json.loads(payload)
        if expires < time.time():
            return None
        return DownloadGrant(document_id, version_id, tenant, subject, expires)
