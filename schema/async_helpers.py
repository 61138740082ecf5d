"""The resolvers' async helpers (`info.async_helpers`) of an executor, holding it weakly.

graphql-core's executor keeps helpers made of its own bound methods: a reference cycle, so the
executor and all it holds (the request's context, its loaders, their records and futures: some
700 objects per `two-level-rest` query) outlived the request until the collector found them,
and made most of the young collections' work (portalgraph/collector.py). With these helpers
they are freed by reference counting when the request lets go of them.
"""

import weakref
from collections.abc import Awaitable, Sequence
from typing import Any, cast

from graphql import GraphQLResolveInfoHelpers
from graphql.execution.executor import Executor


def weak_async_helpers(executor: Executor[Any]) -> GraphQLResolveInfoHelpers:
    """The executor's `gather_async_work` and `track_async_work`, called through a weak
    reference (resolvers call them only while the executor runs, so it is alive then)."""
    this = cast(Executor[Any], weakref.proxy(executor))  # behaves as the executor

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return this.gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        this.track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)
