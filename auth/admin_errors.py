"""What can go wrong with Keycloak's admin API, in two kinds:

AdminError
├── AdminUnavailable   no usable answer: unreachable, a server error, or the gateway's
│                      service account was refused (not the caller's fault)
└── AdminRejected      the request was refused (HTTP 4xx), with Keycloak's reasons
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from keycloak.exceptions import KeycloakError


class AdminError(Exception):
    """The admin API could not do what was asked."""


class AdminUnavailable(AdminError):
    """No usable answer: unreachable, a server error, or the service account was refused."""


@dataclass(frozen=True)
class Reason:
    """One reason Keycloak gave: an attribute (`email`, `firstName`...) and a message key
    (`error-invalid-email`) or message (`User exists with same email`)."""

    field: str | None
    reason: str


class AdminRejected(AdminError):
    """Keycloak refused the request (HTTP 4xx); `conflict` for an existing username or e-mail."""

    def __init__(self, status: int, refusals: Sequence[Reason]) -> None:
        super().__init__(f"HTTP {status}: " + "; ".join(r.reason for r in refusals))
        self.status = status
        self.refusals = tuple(refusals)

    @property
    def conflict(self) -> bool:
        return self.status == 409


def translated(error: KeycloakError) -> AdminError:
    status = error.response_code
    if status is None or status >= 500 or status in {401, 403}:
        return AdminUnavailable(f"admin API: {status or 'no answer'}: {error.error_message!r}")
    return AdminRejected(status, _reasons(error.response_body))


def _reasons(body: bytes | None) -> list[Reason]:
    """Keycloak's error body: one ErrorRepresentation, several in `errors`, or an OAuth-style
    `error`."""
    try:
        parsed = json.loads(body or b"")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        return [Reason(None, (body or b"").decode("utf-8", "replace")[:200])]
    several = parsed.get("errors")
    items = several if isinstance(several, list) else [parsed]
    return [
        Reason(item.get("field"), str(item.get("errorMessage") or item.get("error") or ""))
        for item in items
        if isinstance(item, dict)
    ]
