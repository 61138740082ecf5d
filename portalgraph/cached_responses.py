"""Answers queries again from the response cache (`portalgraph.response_cache`): a hit skips
execution and encoding, and nothing else. Authentication, rate limits, usage counting (with
its consent check), audit and metrics run for every request as they do for a fresh answer.

The key is everything an answer can depend on besides the entities it reads: the document,
operation name and variables; the caller (every claim of the principal but the token's expiry
and session id, so the subject, organization, roles, scopes and second factor); the
negotiated locale; the base URL of download links. Feature flags are evaluated from the
principal and the organization's segment, an entity read like any other. A cached answer is
therefore only ever served to the principal it was computed for.

Cached: queries over HTTP, but the provider staff's (audited with the IDs they were
answered), whose answer has no error, read only fresh entity cache entries
(no upstream call outside the read-through cache, nothing stale, none of the gateway's own
state) and consulted only systems that answered. It is served until the first of: its TTL
(`@cached(ttl:)`, at most the maximum setting, or the default setting), the first entity it
read going stale, the first value it derived from the clock changing (`connectors.base.reads`),
an eviction of anything it read, a mutation by its caller. Not looked up with
`Cache-Control: no-cache` (the fresh answer replaces the cached one) or `no-store` (not kept
either).

Most hits are answered before the operation pipeline, by `portalgraph.cache_hits`, with this
module's key and serving (`answer_key`, `served`); this extension computes and keeps answers,
and answers the hits that go the pipeline's way (one being computed when asked for, trusted
documents mode).

A hit answers as a fresh answer from a warm entity cache would: the same `data`,
`extensions.sources` naming the systems it consulted with no upstream call; it adds an `Age`
header (seconds since it was computed), and fields "as of now" (`sync.asOf` of a record read
nowhere) say when that was.
"""

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta

import orjson
from graphql import ExecutionResult, IntValueNode, VariableNode, get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from auth.policy import is_staff
from auth.principal import Principal, answer_scope
from connectors.base import deadline
from connectors.base.reads import Reads, recording
from connectors.base.sources import current_report
from infra.metrics import count_response_cache
from portalgraph.response_cache import Answer, ResponseCache, subject_dependency
from resolvers.context import Context
from resolvers.subscriptions import StreamContext
from schema.cached import CACHED

Key = tuple[object, ...]


@dataclasses.dataclass(frozen=True)
class CachePolicy:
    default_ttl_s: float
    """For queries without `@cached(ttl:)`; 0: only those with it are cached."""
    max_ttl_s: float
    """The most `@cached(ttl:)` may ask for; 0: nothing is cached."""


class CacheResponses(SchemaExtension):
    """Put it after `RequireAuthentication`, so that anonymous callers never reach it.

    Example:
        build_schema([..., partial(CacheResponses, cache=cache, policy=policy)])
    """

    def __init__(self, cache: ResponseCache, policy: CachePolicy) -> None:
        self.cache = cache
        self.policy = policy

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if (
            execution.result is not None  # refused (anonymous)
            or not isinstance(context, Context)
            or context.principal is None
        ):
            yield
            return
        kind = execution.operation_type
        if kind is OperationType.MUTATION:
            count_response_cache("bypass")
            yield
            self.cache.evict([subject_dependency(context.principal.subject)])
            return
        directives = cache_control(context)
        plan = None
        if kind is OperationType.QUERY and "no-store" not in directives:
            plan = self._plan(context)
        if plan is None:
            count_response_cache("bypass")
            yield
            return
        key, ttl_s = plan
        fresh = "no-cache" in directives
        answer = None if fresh else await self._answer(key)
        if answer is not None:
            count_response_cache("hit")
            self.execution_context.result = ExecutionResult(data=served(context, answer))
            yield
            return
        count_response_cache("bypass" if fresh else "miss")
        leading = self.cache.take_off(key)
        answer = None
        try:
            since, reads = self.cache.begin(), Reads()
            with recording(reads):
                yield
            answer = self._keep(context, key, ttl_s, reads, since)
        finally:
            if leading:
                self.cache.land(key, answer)

    async def _answer(self, key: Key) -> Answer | None:
        """The cached answer, or the one being computed for the same key (waited for within
        the request's deadline); None: this request executes."""
        found = self.cache.get(key)
        flight = self.cache.flight(key) if found is None else None
        if flight is None:
            return found
        try:
            async with asyncio.timeout(deadline.remaining()):
                return await asyncio.shield(flight)
        except TimeoutError:
            return None

    def _plan(self, context: Context) -> tuple[Key, float] | None:
        """The answer's key and TTL; None when it is not to be cached: staff's reads are
        audited with the IDs their answers hold (`portalgraph.audit`), which a hit's encoded
        answer would not show."""
        ttl_s = self._ttl_s()
        principal = context.principal
        if ttl_s <= 0 or principal is None or is_staff(principal):
            return None
        execution = self.execution_context
        key = answer_key(
            context, principal, execution.query, execution.operation_name, execution.variables
        )
        return None if key is None else (key, ttl_s)

    def _ttl_s(self) -> float:
        """`@cached(ttl:)` of the operation, within the maximum; else the default."""
        policy, execution = self.policy, self.execution_context
        document = execution.graphql_document
        operation = (
            get_operation_ast(document, execution.operation_name) if document is not None else None
        )
        for directive in (operation.directives or ()) if operation is not None else ():
            if directive.name.value != CACHED.name:
                continue
            for argument in directive.arguments or ():
                value = argument.value
                if isinstance(value, IntValueNode):
                    return min(float(value.value), policy.max_ttl_s)
                if isinstance(value, VariableNode):
                    given = (execution.variables or {}).get(value.name.value)
                    if isinstance(given, int):
                        return min(float(given), policy.max_ttl_s)
        return min(policy.default_ttl_s, policy.max_ttl_s)

    def _keep(
        self, context: Context, key: Key, ttl_s: float, reads: Reads, since: int
    ) -> Answer | None:
        """The answer, kept if it may be; None if it may not be served again."""
        result, report = self.execution_context.result, current_report()
        if (
            not isinstance(result, ExecutionResult)
            or result.errors
            or result.data is None
            or reads.untracked is not None
            or report is None
            or any(s.error or s.stale_as_of for s in report.systems.values())
            or context.principal is None
        ):
            return None
        stored_at = context.now  # what it says is as of then
        expires_at = self.cache.now() + timedelta(seconds=ttl_s)
        if reads.valid_until is not None:
            expires_at = min(expires_at, reads.valid_until)
        if expires_at <= self.cache.now():
            return None
        dependencies = frozenset(
            [
                *(f"key:{k}" for k in reads.keys),
                *(f"tag:{t}" for t in reads.tags),
                subject_dependency(context.principal.subject),
            ]
        )
        answer = Answer.of(result.data, tuple(report.systems), stored_at, expires_at)
        kept = self.cache.put(key, answer, dependencies, since, _key_bytes(key))
        return answer if kept else None


def answer_key(
    context: Context,
    principal: Principal,
    query: str | None,
    operation_name: str | None,
    variables: Mapping[str, object] | None,
) -> Key | None:
    """The key of the answer to an operation for `principal`, the context's caller; None for
    variables JSON cannot say (an upload): not cached. `operation_name` as strawberry's
    `ExecutionContext.operation_name`: the document's first operation's when the request
    names none."""
    try:
        encoded = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    return (
        query,
        operation_name,
        encoded,
        answer_scope(principal),
        context.locale,
        context.downloads.base_url,
    )


def served(context: Context, answer: Answer) -> dict[str, object]:
    """A hit's `data`: the systems it consulted reported, its age in the `Age` header."""
    report = current_report()
    if report is not None:
        for system in answer.systems:
            report.consulted(system)
    age = max(0.0, (context.now - answer.stored_at).total_seconds())
    context.response.headers["Age"] = str(int(age))
    return answer.data()


def cache_control(context: Context) -> frozenset[str]:
    """The request's `Cache-Control` directives; `no-store` for what is no plain HTTP request
    (a WebSocket, a stream), which is never cached."""
    request, response = context.request, context.response
    if (
        isinstance(context, StreamContext)
        or not isinstance(request, Request)
        or not isinstance(response, Response)
    ):
        return frozenset({"no-store"})
    header = request.headers.get("cache-control", "")
    return frozenset(part.strip().lower() for part in header.split(","))


def _key_bytes(key: Key) -> int:
    """Roughly what the key holds: its document and variables."""
    return sum(len(part) for part in key if isinstance(part, str | bytes))
