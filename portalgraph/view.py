"""The GraphQL endpoint: per-request context, GraphQL over HTTP content negotiation,
persisted queries, and subscriptions over WebSocket (graphql-transport-ws, graphql-ws, with
authentication from the `connection_init` payload) and SSE (graphql-sse, resumable).

With `Accept: application/graphql-response+json` a request error (parse, validation,
variable coercion) answers HTTP 400 without a `data` key, as the GraphQL-over-HTTP spec
says; with `application/json` (the legacy default) it answers 200.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
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
from auth.policy import OrganizationNotAllowed, act_for
from auth.principal import Principal
from auth.tokens import IdentityProviderUnavailable, InvalidToken, TokenVerifier
from connectors.base.caching import CachedEntity, ReadThrough
from infra.cache import Cache
from infra.idempotency import IdempotencyStore
from infra.ratelimit import RateLimiter
from infra.usage import UsageStore
from portalgraph.persisted import DocumentPolicy, resolve_document
from portalgraph.ratelimits import RatePolicy, UpstreamBudget
from portalgraph.sse import ResumableSSETransport
from portalgraph.websockets import LegacyWSHandler, TransportWSHandler
from resolvers.context import Context
from resolvers.downloads import DownloadLinks
from resolvers.labels import negotiate_locale
from resolvers.loaders import Loaders
from resolvers.qr_bills import Creditor
from resolvers.renditions import Renditions
from resolvers.roi import RoiAssumptions
from resolvers.subscriptions import EventFeed, StreamContext
from resolvers.upstreams import Upstreams
from resolvers.writes import Writes

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


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
    verifier: TokenVerifier
    limiter: RateLimiter
    rate_policy: RatePolicy
    documents: DocumentPolicy
    persisted_queries: bool
    usage: UsageStore
    roi: RoiAssumptions
    idempotency: IdempotencyStore
    cache: Cache
    creditor: Creditor
    renditions: Renditions
    feed: EventFeed | None = None

    def writes(self) -> Writes:
        return Writes(self.upstreams, self.idempotency, self.cache, self.entities)

    def loaders(self, principal: Principal | None) -> Loaders:
        """Fresh loaders spending the principal's organization's upstream budget."""
        tenant = principal.tenant if principal else None
        budget = UpstreamBudget(self.limiter, self.rate_policy, tenant)
        return Loaders(self.upstreams, self.read, self.entities, budget.spend)


Verify = Callable[[str, str | None], Awaitable[Principal]]
"""Checks a bearer token for an organization (or the token's own) and answers its principal."""


def accepts_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE_JSON in accept


def principal_of(connection: HTTPConnection) -> Principal | None:
    user = connection.user if "user" in connection.scope else None
    return user.principal if isinstance(user, PrincipalUser) else None


def bearer_of(params: Mapping[str, object]) -> str | None:
    """The token in a `connection_init` payload: `Authorization` (any case), at the top or
    under `headers`, as the common clients send it."""
    headers = params.get("headers")
    for source in (params, headers if isinstance(headers, Mapping) else {}):
        value = _param(source, "Authorization")
        if value is not None:
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
        principal = principal_of(request)
        if isinstance(request, Request) and isinstance(response, Response):
            request.state.graphql_response = response
            if accepts_graphql_response(request):
                response.media_type = GRAPHQL_RESPONSE_JSON
        base_url = services.public_url or str(request.base_url)
        context = Context(
            request=request,  # type: ignore[arg-type]
            response=response,  # type: ignore[arg-type]
            principal=principal,
            loaders=services.loaders(principal),
            now=services.clock(),
            locale=negotiate_locale(
                request.headers.get("accept-language"), principal.locale if principal else None
            ),
            downloads=DownloadLinks(
                services.download_secret, services.download_ttl_s, base_url.rstrip("/")
            ),
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            usage=services.usage,
            roi=services.roi,
            writes=services.writes(),
            creditor=services.creditor,
            renditions=services.renditions,
        )
        streaming = isinstance(request, WebSocket) or "text/event-stream" in request.headers.get(
            "accept", ""
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

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a persisted query over GET (only `extensions`, no `query`)."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket: the `connection_init` payload may carry
        `Authorization` and `X-Portal-Organization` instead; a connection without any valid
        token, or with an organization not its own, is refused (4403)."""
        params = context.connection_params or {}
        token, organization = bearer_of(params), _param(params, ORGANIZATION_HEADER)
        principal = context.principal
        try:
            if token is not None:
                principal = await self._verify(token, organization)
            elif principal is not None and organization is not None:
                principal = act_for(principal, organization)
        except InvalidToken as error:
            raise ConnectionRejectionError({"message": error.reason}) from error
        except OrganizationNotAllowed as error:
            raise ConnectionRejectionError({"message": str(error)}) from error
        except IdentityProviderUnavailable as error:
            raise ConnectionRejectionError(
                {"message": "The identity provider is unavailable."}
            ) from error
        if principal is None:
            raise ConnectionRejectionError({"message": "A valid bearer token is required."})
        context.principal = principal
        context.loaders = self._services().loaders(principal)
        context.locale = negotiate_locale(None, principal.locale)
        return cast(UnsetType, UNSET)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        services = self._services()
        if services.persisted_queries or services.documents.trusted_only:
            resolved = await resolve_document(
                services.documents, request_data, may_register=context.principal is not None
            )
            if not isinstance(resolved, GraphQLRequestData):
                return ExecutionResult(data=None, errors=[resolved])
            request_data = resolved
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
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

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

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


def _param(params: Mapping[str, object], name: str) -> str | None:
    """A connection parameter by header name, case-insensitively."""
    value = next((v for k, v in params.items() if k.lower() == name.lower()), None)
    return value if isinstance(value, str) else None
