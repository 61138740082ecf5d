"""The GraphQL endpoint: per-request context, GraphQL over HTTP content negotiation,
persisted queries, and WebSocket authentication from the `connection_init` payload.

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

import orjson
from cross_web import AsyncHTTPRequestAdapter
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

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
from resolvers.context import Context
from resolvers.downloads import DownloadLinks
from resolvers.labels import negotiate_locale
from resolvers.loaders import Loaders
from resolvers.roi import RoiAssumptions
from resolvers.upstreams import Upstreams
from resolvers.writes import Writes

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
    verifier: TokenVerifier
    limiter: RateLimiter
    rate_policy: RatePolicy
    documents: DocumentPolicy
    persisted_queries: bool
    usage: UsageStore
    roi: RoiAssumptions
    idempotency: IdempotencyStore
    cache: Cache

    def writes(self) -> Writes:
        return Writes(self.upstreams, self.idempotency, self.cache, self.entities)

    def loaders(self, principal: Principal | None) -> Loaders:
        """Fresh loaders spending the principal's organization's upstream budget."""
        tenant = principal.tenant if principal else None
        budget = UpstreamBudget(self.limiter, self.rate_policy, tenant)
        return Loaders(self.upstreams, self.read, self.entities, budget.spend)


def request_id(request: Request | WebSocket) -> str:
    """The caller's `X-Request-ID` when it is a sane token, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def accepts_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE_JSON in accept


def principal_of(connection: HTTPConnection) -> Principal | None:
    user = connection.user if "user" in connection.scope else None
    return user.principal if isinstance(user, PrincipalUser) else None


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
        principal = principal_of(request)
        if isinstance(request, Request) and isinstance(response, Response):
            request.state.graphql_response = response
            if accepts_graphql_response(request):
                response.media_type = GRAPHQL_RESPONSE_JSON
        base_url = services.public_url or str(request.base_url)
        return Context(
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
        )

    def should_render_graphql_ide(self, request: Any) -> bool:
        """Not for a persisted query over GET (only `extensions`, no `query`)."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket: the `connection_init` payload may carry
        `Authorization` and `X-Portal-Organization` instead (a bad one closes with 4403)."""
        params = context.connection_params or {}
        token, organization = _param(params, "Authorization"), _param(params, ORGANIZATION_HEADER)
        principal = context.principal
        try:
            if token is not None:
                scheme, _, credentials = token.partition(" ")
                if scheme.lower() != "bearer":
                    raise ConnectionRejectionError()
                principal = await self._services().verifier.verify(credentials, organization)
            elif principal is not None and organization is not None:
                principal = act_for(principal, organization)
        except (InvalidToken, OrganizationNotAllowed, IdentityProviderUnavailable) as error:
            raise ConnectionRejectionError() from error
        context.principal = principal
        context.loaders = self._services().loaders(principal)
        return await super().on_ws_connect(context)

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
