"""The gateway's schema extensions: who may run an operation, what errors may say, how each
operation is measured and traced, and its upstream scope (deadline, request id, sources)."""

import contextlib
import functools
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator

from graphql import (
    ASTValidationRule,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
)
from graphql.execution import InitialIncrementalExecutionResult
from opentelemetry import trace
from opentelemetry.trace import Span
from starlette.responses import Response
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryResult

from auth.principal import Principal
from connectors.base.deadline import deadline_after
from connectors.base.sources import SourceReport, reporting
from infra.metrics import (
    OperationNames,
    count_self_service_action,
    count_tenant_request,
    observe_operation,
)
from infra.tally import current_tally
from resolvers.context import Context
from resolvers.errors import ErrorCode, is_unexpected
from resolvers.insights import actions_of
from resolvers.subscriptions import CURRENT_EVENT

Result = ExecutionResult | InitialIncrementalExecutionResult | StrawberryResult
"""What an operation answers, as strawberry's `ExecutionContext.result` holds it."""
INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})

tracer = trace.get_tracer(__name__)
OPERATION_SPAN = "graphql.operation"
"""Each operation's span, named `graphql <type> <name>` once it is known."""


def refuse(execution_context: ExecutionContext, error: GraphQLError) -> None:
    """Refuse the operation before validation, from an `on_validate` hook: strawberry then
    skips validation and answers with this error, over HTTP and WebSocket alike (raising from
    a hook would leave other extensions' hooks open). The first refusal wins."""
    if execution_context.pre_execution_errors is None:
        execution_context.pre_execution_errors = [error]


@functools.cache
def parser(maxsize: int) -> Callable[..., DocumentNode]:
    """One LRU of parsed documents per size, shared by every request of the process."""
    return functools.lru_cache(maxsize=maxsize)(parse)


class CachedParse(SchemaExtension):
    """Parse through a process-wide LRU keyed by the document text and parse options. A
    document that does not parse is left to strawberry's own parse, so that its error goes
    through every extension's parse hook (strawberry's `ParserCache` raises past them).

    Example:
        build_schema([partial(CachedParse, maxsize=1000), ...])
    """

    def __init__(self, maxsize: int) -> None:
        self.parse = parser(maxsize)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is None:
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.parse(context.query, **context.parse_options)
        yield


Rules = tuple[type[ASTValidationRule], ...]


class Validations:
    """Validation results, the least recently used first out, keyed by the identity of the
    schema and the document and by the rule classes. Documents come from `CachedParse`, one
    object per text, so identity finds them: hashing a document (a frozen dataclass) walks its
    whole tree on every request, ~250 nodes for the dashboard. Each entry keeps its document
    and schema, so their ids name no other object while it is kept."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._results: OrderedDict[
            tuple[int, int, Rules], tuple[GraphQLSchema, DocumentNode, list[GraphQLError]]
        ] = OrderedDict()

    def __call__(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        key = (id(schema), id(document), rules)
        found = self._results.get(key)
        if found is not None and found[0] is schema and found[1] is document:
            self._results.move_to_end(key)
            return found[2]
        errors = validate_document(schema, document, rules)
        self._results[key] = (schema, document, errors)
        if len(self._results) > self.maxsize:
            self._results.popitem(last=False)
        return errors


@functools.cache
def _validator(maxsize: int) -> Validations:
    """One cache of validation results per size, shared by every request of the process."""
    return Validations(maxsize)


class CachedValidation(SchemaExtension):
    """Validate through a process-wide cache (`Validations`), unless an earlier hook already
    refused the operation (strawberry's `ValidationCache` would overwrite that refusal). Rule
    classes must be stable across requests to hit the cache.

    Example:
        build_schema([..., partial(CachedValidation, maxsize=1000)])
    """

    def __init__(self, maxsize: int) -> None:
        self.validate = _validator(maxsize)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            context.pre_execution_errors = self.validate(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
        yield


class RequireAuthentication(SchemaExtension):
    """Anonymous callers get HTTP 401 and `UNAUTHENTICATED` before anything runs; only pure
    introspection may run anonymously, and only where it is allowed (the demo).

    Example:
        build_schema([RequireAuthentication(allow_anonymous_introspection=True)])
    """

    def __init__(self, allow_anonymous_introspection: bool) -> None:
        self.allow_anonymous_introspection = allow_anonymous_introspection

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.principal is None and not self._allowed():
            if isinstance(context.response, Response):  # not on a WebSocket
                context.response.status_code = 401
                context.response.headers["WWW-Authenticate"] = "Bearer"
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "A valid bearer token is required.",
                        extensions={"code": ErrorCode.UNAUTHENTICATED.value},
                    )
                ],
            )
        yield

    def _allowed(self) -> bool:
        document = self.execution_context.graphql_document
        if not self.allow_anonymous_introspection or document is None:
            return False
        name = self.execution_context.operation_name
        operations = [
            d
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            and (name is None or (d.name and d.name.value == name))
        ]
        return bool(operations) and all(
            isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS
            for operation in operations
            for selection in operation.selection_set.selections
        )


_SUGGESTION = re.compile(r" Did you mean .*\?$")


def masks(detailed: bool, error: GraphQLError) -> bool:
    """Whether `MaskUnexpectedErrors` replaces the error's message."""
    return is_unexpected(error) or (not detailed and error.path is None)


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected errors get code INTERNAL and the request ID; outside the demo their message
    becomes generic, and validation errors lose their "Did you mean ...?" hints (which would
    reveal the schema where introspection is off). The original is logged with the request ID
    by the schema's error processing before masking, so nothing is lost for operators.

    Example:
        build_schema([partial(MaskUnexpectedErrors, detailed=False)])
    """

    def __init__(self, detailed: bool) -> None:
        # A function, not a bound method: this extension, built per operation, holds it and
        # the operation's context, so a bound method would keep the request's objects in a
        # cycle until a collection (portalgraph/collector.py).
        super().__init__(
            should_mask_error=functools.partial(masks, detailed), error_message="Internal error."
        )
        self.detailed = detailed

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if not is_unexpected(error):  # a request error: keep it, without hints
            error.message = _SUGGESTION.sub("", error.message)
            return error
        masked = super().anonymise_error(error)
        if self.detailed:
            masked.message = error.message
        request_id = getattr(self.execution_context.context, "request_id", None)
        masked.extensions = {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
        return masked


class ObserveOperations(SchemaExtension):
    """A span per operation (its loaders' batches and upstream calls nest below it), the
    operation's count and latency by name, type and outcome, the request's tally, and the trace
    id in every error's `extensions.traceId`. Put it first, so that it sees the final errors.

    Example:
        build_schema([partial(ObserveOperations, names=OperationNames())])
    """

    def __init__(self, names: OperationNames, tenant_label: bool = False) -> None:
        self.names = names
        self.tenant_label = tenant_label

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with tracer.start_as_current_span(OPERATION_SPAN) as span:
            yield
            context = self.execution_context
            observed(
                span,
                started,
                self.names.label(context.operation_name),
                self._kind(),
                context.result,
                getattr(context.context, "principal", None),
                self.tenant_label,
            )

    def _kind(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except RuntimeError:  # the document did not parse, or names no such operation
            return "unknown"


def observed(
    span: Span,
    started: float,
    name: str,
    kind: str,
    result: Result | None,
    principal: Principal | None,
    tenant_label: bool,
) -> None:
    """What `ObserveOperations` records of an operation that ran since `started`
    (`time.perf_counter()`) in `span`; `name` as `OperationNames.label` gave it."""
    outcome = _outcome(result)
    span.update_name(f"graphql {kind} {name}")
    span.set_attribute("graphql.operation.name", name)
    span.set_attribute("graphql.operation.type", kind)
    span.set_attribute("portalgraph.outcome", outcome)
    observe_operation(name, kind, outcome, time.perf_counter() - started)
    if (tally := current_tally()) is not None:
        tally.operation, tally.operation_type = name, kind
    if tenant_label and principal is not None and principal.tenant:
        count_tenant_request(principal.tenant)
    span_context = span.get_span_context()
    if result is not None and result.errors and span_context.is_valid:
        trace_id = trace.format_trace_id(span_context.trace_id)
        for error in result.errors:
            error.extensions = {**(error.extensions or {}), "traceId": trace_id}


def _outcome(result: Result | None) -> str:
    if result is None or not result.errors:
        return "ok"
    return "error" if result.data is None else "partial"


class RecordUsage(SchemaExtension):
    """Counts each organization member's request for the insights: the member as active today,
    their session as a login, and the self-service actions among the root fields answered.
    Service accounts and provider staff are not portal usage, and neither is a member known to
    have revoked the ANALYTICS consent (`resolvers.analytics_notes`). Counted in the process
    and added to the store in batches (`infra.usage.BatchedUsage`): a failing store delays the
    count, never the answer.

    Example:
        build_schema([RecordUsage()])
    """

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if not isinstance(context, Context) or result is None or not result.data:
            return
        await record_usage(context, self.execution_context.graphql_document, result.data)


async def record_usage(
    context: Context, document: DocumentNode | None, data: dict[str, object]
) -> None:
    """What `RecordUsage` counts of an answer with `data` to `document`."""
    principal = context.principal
    if principal is None or principal.tenant is None or principal.is_service_account:
        return
    if await context.writes.notes.revoked(principal.tenant, principal.email):
        return
    actions = actions_of(answered_fields(document, data))
    for action in actions:
        count_self_service_action(action)
    session = principal.session_id or principal.subject
    await context.usage.record(principal.tenant, context.today, principal.subject, session, actions)


def answered_fields(document: DocumentNode | None, data: dict[str, object]) -> list[str]:
    """Root fields (by name, whatever their alias) that answered with data."""
    if document is None:
        return []
    return [
        selection.name.value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode)
        and data.get((selection.alias or selection.name).value) is not None
    ]


class UpstreamScope(SchemaExtension):
    """Gives every upstream call of an operation the request's deadline and id, and answers
    with the systems it consulted as `extensions.sources` (see connectors.base.sources).

    Example:
        build_schema([partial(UpstreamScope, deadline_s=10.0)])
    """

    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s
        self.report: SourceReport | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        self.report = SourceReport(context.request_id if isinstance(context, Context) else "-")
        with deadline_after(self.deadline_s), reporting(self.report):
            yield

    def get_results(self) -> dict[str, object]:
        return sources_of(self.report)


def sources_of(report: SourceReport | None) -> dict[str, object]:
    """`UpstreamScope`'s part of an answer's `extensions`: the systems `report` names."""
    if report is None or not report.systems:
        return {}
    return {"sources": report.summary()}


class EventCursor(SchemaExtension):
    """Each subscription payload names its event in `extensions`: `cursor`, to resume after it
    (`after:`, SSE `Last-Event-ID`), and `receivedAt`, when the gateway received the change.

    Example:
        build_schema([EventCursor])
    """

    def get_results(self) -> dict[str, object]:
        delivery = CURRENT_EVENT.get()
        if delivery is None:
            return {}
        results: dict[str, object] = {"cursor": delivery.cursor}
        if delivery.item.received_at is not None:
            results["receivedAt"] = delivery.item.received_at.isoformat()
        return results
