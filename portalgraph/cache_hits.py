"""Response cache hits answered before strawberry's operation pipeline.

A hit (`portalgraph.cached_responses`) skips execution, but went through the whole pipeline
around it: extension instances and hook contexts per request, parsing and validation through
their caches, the operation limits. For an answer in the cache all of that was decided when
it was computed, by this process, for the same document, operation, variables and caller (the
key holds them all): it parsed, was a query, passed validation and the operation limits and
answered without an error. `CacheHits` looks the key up as soon as the request is read and
answers a hit itself, doing what the pipeline does for one, with the same functions: the
rate limit (its Redis script, per request), the operation's span, metrics and tally
(`ObserveOperations`), its deadline and `extensions.sources` (`UpstreamScope`), the hit's
`Age` and counter, usage counting with its consent check (`RecordUsage`). Audit events are
for mutations and staff, neither of which is ever cached.

Everything else goes the pipeline's way: no caller, staff, `Cache-Control: no-cache` or
`no-store`, streams, a query not cached (or only being computed), trusted documents mode. A
request counted here and then refused by its rate limit, whose answer went while it was
counted, or whose usage count fails unexpectedly, goes the pipeline's way too, with its count
(`portalgraph.ratelimits.counted`).
"""

import time
from collections.abc import Callable, Collection

from graphql import DocumentNode
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_first_operation

from auth.policy import is_staff
from connectors.base.deadline import deadline_after
from connectors.base.sources import SourceReport, reporting
from infra.metrics import OperationNames, count_response_cache
from infra.ratelimit import RateLimiter
from portalgraph.cached_responses import answer_key, cache_control, served
from portalgraph.extensions import OPERATION_SPAN, observed, record_usage, sources_of, tracer
from portalgraph.ratelimits import Counted, RatePolicy, count_operation
from portalgraph.response_cache import ResponseCache
from resolvers.context import Context
from resolvers.subscriptions import StreamContext

Parse = Callable[..., DocumentNode]


class CacheHits:
    """Answers hits for `GatewayView.execute_single`; configured as the pipeline's extensions
    are (the same operation names, deadline, limiter and policy, the same parse cache and
    token limit).

    Example:
        hits = CacheHits(responses, parser(1000), 5000, names, False, 10.0, limiter, policy)
    """

    def __init__(
        self,
        cache: ResponseCache,
        parse: Parse,
        max_tokens: int,
        names: OperationNames,
        tenant_label: bool,
        deadline_s: float,
        limiter: RateLimiter,
        rate_policy: RatePolicy,
    ) -> None:
        self.cache = cache
        self.parse = parse
        self.max_tokens = max_tokens
        self.names = names
        self.tenant_label = tenant_label
        self.deadline_s = deadline_s
        self.limiter = limiter
        self.rate_policy = rate_policy

    async def answer(
        self, context: object, request: GraphQLRequestData, allowed: Collection[OperationType]
    ) -> ExecutionResult | Counted | None:
        """The hit's result; else what the pipeline is to go by: the request's count (it was
        counted here) or None (it was not)."""
        if (
            not isinstance(context, Context)
            or isinstance(context, StreamContext)
            or (principal := context.principal) is None
            or is_staff(principal)
            or request.query is None
            or OperationType.QUERY not in allowed
        ):
            return None
        directives = cache_control(context)
        if "no-store" in directives or "no-cache" in directives:
            return None
        try:
            document = self.parse(request.query, max_tokens=self.max_tokens)
        except Exception:  # whatever the parser refuses, the pipeline answers
            return None
        name = request.operation_name
        if name is None and (first := get_first_operation(document)) is not None:
            name = first.name.value if first.name is not None else None
        key = answer_key(context, principal, request.query, name, request.variables)
        if key is None or self.cache.get(key) is None:
            return None
        started, began_ns = time.perf_counter(), time.time_ns()
        wait = await count_operation(self.limiter, self.rate_policy, context)
        answer = self.cache.get(key) if wait is None else None  # gone meanwhile?
        if answer is None:
            return Counted(wait)
        report = SourceReport(context.request_id)
        with (
            tracer.start_as_current_span(OPERATION_SPAN, start_time=began_ns) as span,
            deadline_after(self.deadline_s),
            reporting(report),
        ):
            count_response_cache("hit")
            result = ExecutionResult(data=served(context, answer), errors=None)
            if result.data:
                try:
                    await record_usage(context, document, result.data)
                except Exception:  # the pipeline's way, which masks it as any error
                    return Counted(None)
            result.extensions = sources_of(report)
            observed(span, started, self.names.label(name), "query", result, principal,
                     self.tenant_label)  # fmt: skip
        return result
