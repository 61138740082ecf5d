"""The typed per-request context every resolver receives as `info.context`."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import Response

from auth.principal import Principal
from connectors.base.reads import valid_until
from infra.flags import FeatureFlags
from infra.usage import UsageStore
from resolvers.downloads import DownloadLinks
from resolvers.errors import Unauthenticated
from resolvers.loaders import Loaders
from resolvers.privacy_jobs import PrivacyJobs
from resolvers.qr_bills import Creditor
from resolvers.renditions import Renditions
from resolvers.roi import RoiAssumptions
from resolvers.uploads import UploadPolicy
from resolvers.writes import Writes


@dataclass
class Context:
    request: Request
    response: Response
    """The response being built: extensions set its status code and headers."""
    principal: Principal | None
    loaders: Loaders
    now: datetime
    """One instant per request, so derived states (overdue, expired) agree within an answer."""
    locale: str
    downloads: DownloadLinks
    usage: UsageStore
    """The gateway's usage counters (insights)."""
    roi: RoiAssumptions
    writes: Writes
    """What mutations write through: the ports, idempotency keys, cache invalidation."""
    creditor: Creditor
    """The provider's accounts and address, for QR-bills."""
    renditions: Renditions
    """The gateway's own document previews (where the DMS has none)."""
    privacy: PrivacyJobs
    """The background jobs of privacy requests (export, erasure)."""
    request_id: str = "-"
    """The request's ID (`X-Request-ID`), for logs and audit events."""
    connection_params: dict[str, object] | None = None
    """A WebSocket's `connection_init` payload (set by strawberry's protocol handler)."""
    uploads: UploadPolicy = field(default_factory=UploadPolicy)
    """What an uploaded file may be (size, media types)."""
    flags: FeatureFlags = field(default_factory=lambda: FeatureFlags({}))
    """The feature flags' definitions, evaluated per viewer (`resolvers.features`)."""

    @property
    def today(self) -> date:
        """The day of `now`; an answer derived from it changes at midnight (the response
        cache is told)."""
        today = self.now.date()
        valid_until(datetime.combine(today + timedelta(days=1), time(), self.now.tzinfo))
        return today

    @property
    def tenant(self) -> str:
        """The viewer's active organization (its ERP customer number)."""
        if self.principal is None or self.principal.tenant is None:
            raise Unauthenticated(
                "This operation acts for an organization: the token names none, so choose one "
                "with the X-Portal-Organization header."
            )
        return self.principal.tenant
