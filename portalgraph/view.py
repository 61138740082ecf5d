"""The GraphQL endpoint: per-request context, GraphQL over HTTP content negotiation,
persisted queries, and subscriptions over WebSocket (graphql-transport-ws, graphql-ws, with
authentication from the `connection_init` payload) and SSE (graphql-sse, resumable).

With `Accept: application/graphql-response+json` a request error (parse, validation,
variable coercion) answers HTTP 400 without a `data` key, as the GraphQL-over-HTTP spec
says; with `application/json` (the legacy default) it answers 200.

File uploads follow the GraphQL multipart request spec, for mutations only: a multipart body
carrying a query or a subscription, or one that is malformed, answers 400 and runs nothing.
Multipart is a content type a browser may send cross-site without a preflight, so such
requests pass `portalgraph.hygiene.CsrfGuard` only with a bearer token or a preflight header.
The spooled files of a request are closed (and so deleted) once its answer is sent.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, FormData, HTTPException, StarletteRequestAdapter
from graphql import GraphQLError, get_operation_ast, parse
from graphql import OperationType as GraphQLOperationType
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.file_uploads.utils import replace_placeholders_with_files
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
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from auth.backend import ORGANIZATION_HEADER, PrincipalUser
from auth.policy import OrganizationNotAllowed, act_for
from auth.principal import Principal
from auth.tokens import IdentityProviderUnavailable, InvalidToken, TokenVerifier
from connectors.base.caching import CachedEntity, ReadThrough
from infra.cache import Cache
from infra.flags import FeatureFlags
from infra.idempotency import IdempotencyStore
from infra.ratelimit import RateLimiter
from infra.usage import UsageStore
from portalgraph.cache_hits import CacheHits
from portalgraph.multipart import read_form
from portalgraph.multiplex import Multiplexer
from portalgraph.persisted import DocumentPolicy, resolve_document
from portalgraph.ratelimits import RatePolicy, UpstreamBudget, counted
from portalgraph.sse import ResumableSSETransport
from portalgraph.websockets import LegacyWSHandler, TextFrames, TransportWSHandler
from resolvers.analytics_notes import AnalyticsNotes
from resolvers.context import Context
from resolvers.downloads import DownloadLinks
from resolvers.labels import negotiate_locale
from resolvers.loaders import Loaders
from resolvers.privacy_jobs import PrivacyJobs
from resolvers.qr_bills import Creditor
from resolvers.renditions import Renditions
from resolvers.roi import RoiAssumptions
from resolvers.subscriptions import EventFeed, StreamContext
from resolvers.uploads import UploadPolicy
from resolvers.upstreams import Upstreams
from resolvers.writes import Writes

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
MULTIPART = "multipart/form-data"


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
    notes: AnalyticsNotes
    creditor: Creditor
    renditions: Renditions
    privacy: PrivacyJobs
    feed: EventFeed | None = None
    flags: FeatureFlags = field(default_factory=lambda: FeatureFlags({}))
    uploads: UploadPolicy = field(default_factory=UploadPolicy)
    batching: bool = True

    def writes(self) -> Writes:
        return Writes(self.upstreams, self.idempotency, self.cache, self.entities, self.notes)

    def loaders(self, principal: Principal | None) -> Loaders:
        """Fresh loaders spending the principal's organization's upstream budget."""
        tenant = principal.tenant if principal else None
        budget = UpstreamBudget(self.limiter, self.rate_policy, tenant)
        return Loaders(self.upstreams, self.read, self.entities, budget.spend, self.batching)


Verify = Callable[[str, str | None], Awaitable[Principal]]
"""Checks a bearer token for an organization (or the token's own) and answers its principal."""


def accepts_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return GRAPHQL_RESPONSE_JSON in accept


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == MULTIPART


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


class GatewayRequestAdapter(StarletteRequestAdapter):
    """Reads multipart forms with `portalgraph.multipart`, keeping them on the request so that
    the view closes their files once the request is answered."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request

    async def get_form_data(self) -> FormData:
        form = await read_form(self.request)
        self.request.state.upload_form = form
        return FormData(files=form, form=form)


class GatewayView(GraphQL[Context, None]):
    request_adapter_class = GatewayRequestAdapter
    websocket_adapter_class = TextFrames
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
        shared_backlog: int = 256,
        hits: CacheHits | None = None,
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
            multipart_uploads_enabled=True,
            **options,
        )
        self._services = services
        self._verify = verify
        self.token_leeway_s = token_leeway_s
        """How long past its `exp` a token is still accepted (the verifier's leeway)."""
        self.multiplexer = Multiplexer(schema, self.encode_json, shared_backlog)
        """Shares one execution per event among equal graphql-transport-ws subscriptions."""
        self.hits = hits
        """Answers response cache hits before the operation pipeline (None: the pipeline)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As strawberry's, but the request is closed once answered: its spooled upload files
        are deleted whatever the outcome."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            try:
                response = await self.run(request)
            except HTTPException as error:
                response = PlainTextResponse(error.reason, status_code=error.status_code)
            await response(scope, receive, send)
        finally:
            form = getattr(request.state, "upload_form", None)
            if form is not None:
                await form.close()

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
            privacy=services.privacy,
            uploads=services.uploads,
            flags=services.flags,
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
        """Not for a persisted query over GET (only `extensions`, no `query`). Strawberry's
        answer first: it is no for anything but a GET, whose query string then goes unread."""
        return super().should_render_graphql_ide(request) and "extensions" not in (
            request.query_params
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket: the `connection_init` payload may carry
        `Authorization`, `X-Portal-Organization` and `Accept-Language` instead (the language
        otherwise comes from the upgrade request, then the user's locale, as over HTTP); a
        connection without any valid token, or with an organization not its own, is refused
        (4403)."""
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
        language = _param(params, "Accept-Language") or context.request.headers.get(
            "accept-language"
        )
        context.locale = negotiate_locale(language, principal.locale)
        return cast(UnsetType, UNSET)

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """The operations of a multipart request with its files in place; 400 with what is
        wrong for a body that does not follow the spec."""
        try:
            form = await request.get_form_data()
        except MultiPartException as error:
            raise HTTPException(400, f"Unreadable multipart body: {error.message}") from error
        except ClientDisconnect as error:
            raise HTTPException(400, "The multipart body was cut off.") from error
        operations = self.parse_json(_form_text(form.form, "operations"))
        files_map = self.parse_json(_form_text(form.form, "map"))
        if not isinstance(operations, dict | list):
            raise HTTPException(400, "The `operations` field must be a JSON object or list.")
        if not isinstance(files_map, dict) or not all(
            isinstance(paths, list) and all(isinstance(p, str) for p in paths)
            for paths in files_map.values()
        ):
            raise HTTPException(400, "The `map` field must map file fields to lists of paths.")
        for name, paths in files_map.items():
            if not isinstance(form.files.get(name), UploadFile):
                raise HTTPException(400, f"The file part {name!r} named in `map` is missing.")
            for path in paths:
                _check_variable_path(path, batched=isinstance(operations, list))
        try:
            return replace_placeholders_with_files(operations, files_map, form.files)  # type: ignore[arg-type]
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise HTTPException(400, "A `map` path names no variable of `operations`.") from error

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        items = data if isinstance(data, list) else [data]
        if is_multipart(request.content_type) and any(i.protocol != "http" for i in items):
            raise HTTPException(400, "A multipart request (a file upload) carries a mutation.")
        return data

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """As strawberry's, once a persisted query has its text; a response cache hit is
        answered before the operation pipeline (`hits`), which gets what else there is, with
        its rate limit count when `hits` counted it."""
        services = self._services()
        if services.persisted_queries or services.documents.trusted_only:
            resolved = await resolve_document(
                services.documents, request_data, may_register=context.principal is not None
            )
            if not isinstance(resolved, GraphQLRequestData):
                return ExecutionResult(data=None, errors=[resolved])
            request_data = resolved
        if is_multipart(request_adapter.content_type) and not _is_mutation(request_data):
            raise HTTPException(400, "A multipart request (a file upload) carries a mutation.")
        given = None
        if self.hits is not None:
            allowed = OperationType.from_http(request_adapter.method)
            if not self.allow_queries_via_get and request_adapter.method == "GET":
                allowed = allowed - {OperationType.QUERY}
            answered = await self.hits.answer(context, request_data, allowed)
            if isinstance(answered, ExecutionResult):
                return answered
            given = answered
        with counted(given):
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


def _form_text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        raise HTTPException(400, f"The multipart request needs the `{name}` field first.")
    return value


def _check_variable_path(path: str, batched: bool) -> None:
    """A `map` path must point into the variables (`variables.input.upload`, or
    `0.variables...` in a batch), never at the query or elsewhere."""
    parts = path.split(".")
    prefix = parts[1:2] if batched else parts[:1]
    if prefix != ["variables"] or len(parts) < (3 if batched else 2):
        raise HTTPException(400, f"The `map` path {path!r} does not name a variable.")


def _is_mutation(request_data: GraphQLRequestData) -> bool:
    """Whether the request's operation is a mutation; a document that does not parse counts
    as one here and fails in execution, before any resolver runs."""
    if request_data.query is None:
        return False
    try:
        document = parse(request_data.query)
    except GraphQLError:
        return True
    operation = get_operation_ast(document, request_data.operation_name)
    return operation is None or operation.operation is GraphQLOperationType.MUTATION
