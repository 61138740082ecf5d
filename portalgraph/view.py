"""The GraphQL endpoint: per-request context, GraphQL over HTTP content negotiation, and
subscriptions over WebSocket (graphql-transport-ws, graphql-ws) and SSE (graphql-sse).

With `Accept: application/graphql-response+json` a request error (parse, validation,
variable coercion) answers HTTP 400 without a `data` key, as the GraphQL-over-HTTP spec
says; with `application/json` (the legacy default) it answers 200.

A WebSocket authenticates with its handshake's `Authorization` header or with the
`connection_init` payload (`{"Authorization": "Bearer …"}`, optionally
`"X-Portal-Organization"`); without a valid token it is refused (graphql-transport-ws closes
with 4403, graphql-ws answers `connection_error`).
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.streaming import MultipartSubscriptionTransport
from strawberry.schema import BaseSchema
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from auth.backend import ORGANIZATION_HEADER, PrincipalUser
from auth.principal import Principal
from auth.tokens import IdentityProviderUnavailable, InvalidToken
from connectors.base.caching import CachedEntity
from infra.cache import Cache
from portalgraph.sse import ResumableSSETransport
from portalgraph.websockets import LegacyWSHandler, TransportWSHandler
from resolvers.context import Context
from resolvers.downloads import DownloadLinks
from resolvers.labels import negotiate_locale
from resolvers.loaders import Loaders
from resolvers.subscriptions import EventFeed, StreamContext
from resolvers.upstreams import Upstreams

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


@dataclass(frozen=True)
class RequestServices:
    """What every request's context is built from; owned by the app's lifespan."""

    upstreams: Upstreams
    cache: Cache
    entities: Mapping[str, CachedEntity[Any]]
    download_secret: bytes
    download_ttl_s: int
    public_url: str | None
    clock: Callable[[], datetime]
    feed: EventFeed | None = None


Verify = Callable[[str, str | None], Awaitable[Principal]]
"""Checks a bearer token for an organization (or the token's own) and answers its principal."""


def accepts_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE_JSON in accept


def bearer_of(params: Mapping[str, object]) -> str | None:
    """The token in a `connection_init` payload: `Authorization` (any case), at the top or
    under `headers`, as the common clients send it."""
    headers = params.get("headers")
    for source in (params, headers if isinstance(headers, Mapping) else {}):
        for key, value in source.items():
            if key.lower() == "authorization" and isinstance(value, str):
                scheme, _, token = value.partition(" ")
                return token.strip() if scheme.lower() == "bearer" else value.strip()
    return None


class GatewayView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    stream_transport_classes_by_protocol = MappingProxyType(
        {
            MULTIPART_SUBSCRIPTION_PROTOCOL: MultipartSubscriptionTransport,
            GRAPHQL_SSE_PROTOCOL: ResumableSSETransport,
        }
    )

    def __init__(
        self,
        schema: BaseSchema,
        services: Callable[[], RequestServices],
        verify: Verify,
        token_leeway_s: float = 0.0,
        keep_alive_s: float = 15.0,
        **options: Any,
    ) -> None:
        super().__init__(
            schema,
            keep_alive=True,
            keep_alive_interval=keep_alive_s,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
            ),
            connection_init_wait_timeout=timedelta(seconds=10),
            **options,
        )
        self._services = services
        self._verify = verify
        self.token_leeway_s = token_leeway_s
        """How long past its `exp` a token is still accepted (the verifier's leeway)."""

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        services = self._services()
        user = request.user if "user" in request.scope else None
        principal = user.principal if isinstance(user, PrincipalUser) else None
        streaming = isinstance(request, WebSocket) or "text/event-stream" in request.headers.get(
            "accept", ""
        )
        if isinstance(request, Request) and isinstance(response, Response):
            request.state.graphql_response = response
            if accepts_graphql_response(request):
                response.media_type = GRAPHQL_RESPONSE_JSON
        base_url = services.public_url or str(request.base_url)
        context = Context(
            request=request,  # type: ignore[arg-type]
            response=response,  # type: ignore[arg-type]
            principal=principal,
            loaders=Loaders(services.upstreams, services.cache, services.entities),
            now=services.clock(),
            locale=negotiate_locale(
                request.headers.get("accept-language"), principal.locale if principal else None
            ),
            downloads=DownloadLinks(
                services.download_secret, services.download_ttl_s, base_url.rstrip("/")
            ),
        )
        if not streaming:
            return context
        expires_at = None
        if isinstance(request, Request) and principal is not None:  # SSE ends at expiry
            expires_at = principal.expires_at + timedelta(seconds=self.token_leeway_s)
        return StreamContext(
            **vars(context),
            feed=services.feed,
            last_event_id=request.headers.get("last-event-id"),
            expires_at=expires_at,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate from the `connection_init` payload when it carries a token; a
        connection without any valid token is refused."""
        params = context.connection_params if isinstance(context, StreamContext) else None
        token = bearer_of(params or {})
        if token is not None:
            organization = (params or {}).get(ORGANIZATION_HEADER)
            try:
                context.principal = await self._verify(
                    token, organization if isinstance(organization, str) else None
                )
            except InvalidToken as error:
                raise ConnectionRejectionError({"message": error.reason}) from error
            except IdentityProviderUnavailable as error:
                raise ConnectionRejectionError(
                    {"message": "The identity provider is unavailable."}
                ) from error
            context.locale = negotiate_locale(None, context.principal.locale)
        if context.principal is None:
            raise ConnectionRejectionError({"message": "A valid bearer token is required."})
        return cast(UnsetType, UNSET)

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
