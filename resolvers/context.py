"""The typed per-request context every resolver receives as `info.context`."""

from dataclasses import dataclass
from datetime import date, datetime

from starlette.requests import Request
from starlette.responses import Response

from auth.principal import Principal
from resolvers.downloads import DownloadLinks
from resolvers.errors import Unauthenticated
from resolvers.loaders import Loaders


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
    request_id: str
    """Names the request in log lines (`X-Request-ID`, given or made up)."""

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def tenant(self) -> str:
        """The viewer's active organization (its ERP customer number)."""
        if self.principal is None or self.principal.tenant is None:
            raise Unauthenticated("This operation needs a token that names an organization.")
        return self.principal.tenant
