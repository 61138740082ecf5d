"""The GraphQL endpoint: per-request context, GraphQL over HTTP content negotiation.

With `Accept: application/graphql-response+json` a request error (parse, validation,
variable coercion) answers HTTP 400 without a `data` key, as the GraphQL-over-HTTP spec
says; with `application/json` (the legacy default) it answers 200.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult

from auth.backend import PrincipalUser
from connectors.base.caching import CachedEntity, ReadThrough
from resolvers.context import Context
from resolvers.downloads import DownloadLinks
from resolvers.labels import negotiate_locale
from resolvers.loaders import Loaders
from resolvers.upstreams import Upstreams

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass(frozen=True)
class RequestServices:
    """What every request's context is built from; owned by the app's lifespan."""

    upstreams: Upstreams
    read: ReadThrough
    entities: Mapping[str, CachedEntity[Any]]
    download_secret: bytes
    download_ttl_s: int
    public_url: str | None
    clock: Callable[[], datetime]


def request_id(request: Request | WebSocket) -> str:
    """The caller's `X-Request-ID` when it is a sane token, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def accepts_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE_JSON in accept


class GatewayView(GraphQL[Context, None]):
    def __init__(
        self, schema: BaseSchema, services: Callable[[], RequestServices], **options: Any
    ) -> None:
        super().__init__(schema, **options)
        self._services = services

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        services = self._services()
        user = request.user if "user" in request.scope else None
        principal = user.principal if isinstance(user, PrincipalUser) else None
        rid = request_id(request)
        if isinstance(request, Request) and isinstance(response, Response):
            response.headers[REQUEST_ID_HEADER] = rid
            request.state.graphql_response = response
            if accepts_graphql_response(request):
                response.media_type = GRAPHQL_RESPONSE_JSON
        base_url = services.public_url or str(request.base_url)
        return Context(
            request=request,  # type: ignore[arg-type]
            response=response,  # type: ignore[arg-type]
            principal=principal,
            loaders=Loaders(services.upstreams, services.read, services.entities),
            now=services.clock(),
            locale=negotiate_locale(
                request.headers.get("accept-language"), principal.locale if principal else None
            ),
            downloads=DownloadLinks(
                services.download_secret, services.download_ttl_s, base_url.rstrip("/")
            ),
            request_id=rid,
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        response: Response | None = getattr(request.state, "graphql_response", None)
        # A request error (parse, validation, coercion) stops before execution: no error has a
        # path. Field errors, even ones that null the whole `data`, keep 200.
        is_request_error = (
            result.data is None
            and bool(result.errors)
            and all(error.path is None for error in result.errors or [])
        )
        if (
            response is not None
            and is_request_error
            and response.media_type == GRAPHQL_RESPONSE_JSON
        ):
            if response.status_code is None:  # strawberry's "not set" marker
                response.status_code = 400
            processed.pop("data", None)
        return processed

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = Response(
            self.encode_json(response_data),
            status_code=sub_response.status_code or 200,
            media_type=sub_response.media_type or JSON,
        )
        for name, value in sub_response.headers.items():
            if name not in {"content-type", "content-length"}:
                response.headers.append(name, value)
        return response
