"""The gateway's schema extensions: who may run an operation, and what errors may say."""

from collections.abc import Iterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from starlette.responses import Response
from strawberry.extensions import MaskErrors, SchemaExtension

from resolvers.context import Context
from resolvers.errors import ErrorCode, GatewayError
from resolvers.subscriptions import CURRENT_EVENT

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
