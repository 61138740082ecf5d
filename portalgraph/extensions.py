"""The gateway's schema extensions: who may run an operation, what errors may say, and the
upstream scope of each operation (deadline, request id, sources)."""

from collections.abc import Iterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import MaskErrors, SchemaExtension

from connectors.base.deadline import deadline_after
from connectors.base.sources import SourceReport, reporting
from resolvers.context import Context
from resolvers.errors import ErrorCode, GatewayError

INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})


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


def is_unexpected(error: GraphQLError) -> bool:
    """Errors from resolvers that are not the gateway's own typed errors."""
    return error.original_error is not None and not isinstance(error.original_error, GatewayError)


class MaskUnexpectedErrors(MaskErrors):
    """Replace unexpected errors by a generic one with code INTERNAL; the original is logged
    by strawberry's error processing before masking, so nothing is lost for operators.

    Example:
        build_schema([MaskUnexpectedErrors()])
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": ErrorCode.INTERNAL.value}
        return masked


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
        if self.report is None or not self.report.systems:
            return {}
        return {"sources": self.report.summary()}
