"""The reference portal page at `/portal`: the plain ES modules of `web/`, served as they are
(no build step), and `/portal/config.json`, which tells the page where it signs in.

The page signs in at the identity provider the tokens' issuer names (the browser reaches it
there), with the authorization code flow and PKCE, and calls `/graphql` on this same origin.
Its content security policy allows scripts and styles of this origin only, and connections
to this origin and the identity provider (the token endpoint).
"""

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from portalgraph.settings import Settings

WEB_DIR = Path(__file__).resolve().parents[1] / "web"


class PortalFiles(StaticFiles):
    """Static files with the portal's content security policy, revalidated on each use."""

    def __init__(self, directory: Path, csp: str) -> None:
        super().__init__(directory=directory, html=True)
        self.csp = csp

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Content-Security-Policy"] = self.csp
        response.headers["Cache-Control"] = "no-cache"
        return response


def origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def content_security_policy(issuer: str) -> str:
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        f"connect-src 'self' {origin_of(issuer)}",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])  # fmt: skip


def portal_routes(settings: Settings, web_dir: Path = WEB_DIR) -> list[BaseRoute]:
    if not (web_dir / "index.html").is_file():
        raise FileNotFoundError(
            f"PORTALGRAPH_PORTAL is set but the portal page is missing: no {web_dir}/index.html"
        )
    config = {"issuer": settings.issuer, "clientId": settings.portal_client_id}

    async def portal_config(_: Request) -> Response:
        return JSONResponse(config)

    return [
        Route("/portal/config.json", portal_config),
        Mount("/portal", PortalFiles(web_dir, content_security_policy(settings.issuer))),
    ]
