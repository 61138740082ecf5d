"""The gateway's executor, with all an operation's context holds, is freed by reference
counting once the operation is answered (graphql-core's own executor is in a cycle with its
`async_helpers`)."""

import gc
import weakref

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from tests.schema.test_execution import DOCUMENTS, FAST, PRINCIPALS, SCHEMA


class Context:
    def __init__(self, principal: object) -> None:
        self.principal = principal


async def test_an_operations_context_is_freed_without_the_collector() -> None:
    SCHEMA.execution_context_class = FAST
    gc.disable()
    try:
        context = Context(PRINCIPALS["with prices"])
        result = await SCHEMA.execute(
            DOCUMENTS["relations behind permissions, with their info"], context_value=context
        )
        assert result.data is not None
        assert not result.errors  # an error's traceback refers to the frames that raised it
        freed = weakref.ref(context)
        del context, result
        assert freed() is None
    finally:
        gc.enable()
        SCHEMA.execution_context_class = StrawberryGraphQLCoreExecutionContext
