"""The gateway's schema extensions: who may run an operation, and what errors may say."""

import contextlib
import functools
import re
from collections.abc import Callable, Iterator

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
)
from starlette.responses import Response
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from resolvers.context import Context
from resolvers.errors import ErrorCode, is_unexpected

INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})


def refuse(execution_context: ExecutionContext, error: GraphQLError) -> None:
    """Refuse the operation before validation, from an `on_validate` hook: strawberry then
    skips validation and answers with this error, over HTTP and WebSocket alike (raising from
    a hook would leave other extensions' hooks open). The first refusal wins."""
    if execution_context.pre_execution_errors is None:
        execution_context.pre_execution_errors = [error]


@functools.cache
def _parser(maxsize: int) -> Callable[..., DocumentNode]:
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
        self.parse = _parser(maxsize)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is None:
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.parse(context.query, **context.parse_options)
        yield


@functools.cache
def _validator(maxsize: int) -> Callable[..., list[GraphQLError]]:
    """One LRU of validation results per size, shared by every request of the process."""
    return functools.lru_cache(maxsize=maxsize)(validate_document)


class CachedValidation(SchemaExtension):
    """Validate through a process-wide LRU keyed by schema, document and rule classes, unless
    an earlier hook already refused the operation (strawberry's `ValidationCache` would
    overwrite that refusal). Rule classes must be stable across requests to hit the cache.

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


class MaskUnexpectedErrors(MaskErrors):
    """Unexpected errors get code INTERNAL and the request ID; outside the demo their message
    becomes generic, and validation errors lose their "Did you mean ...?" hints (which would
    reveal the schema where introspection is off). The original is logged with the request ID
    by the schema's error processing before masking, so nothing is lost for operators.

    Example:
        build_schema([partial(MaskUnexpectedErrors, detailed=False)])
    """

    def __init__(self, detailed: bool) -> None:
        super().__init__(should_mask_error=self._masks, error_message="Internal error.")
        self.detailed = detailed

    def _masks(self, error: GraphQLError) -> bool:
        return is_unexpected(error) or (not self.detailed and error.path is None)

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
