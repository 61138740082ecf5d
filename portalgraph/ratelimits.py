"""Rate limits: operations per principal and per organization, refused with `RATE_LIMITED`
(HTTP 429, `Retry-After`) before validation and execution; and a budget of upstream calls per
organization and upstream system, so that one tenant cannot starve the ERP for the others
(fields served by an exhausted system are null with `RATE_LIMITED` and that system named).

A caller's limit is counted per organization it acts for (a member of several has one per
organization): its counter and the organization's are updated in one step, so their keys share
the organization as a hash tag (one slot on a Redis Cluster), as do the organization's budgets:
the operation's hit names them to be reserved on (`infra.ratelimit`), so that a busy
organization's upstream calls are counted without a Redis round trip of their own."""

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from graphql import GraphQLError
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from infra.ratelimit import Quota, RateLimiter
from infra.topology import hash_tag
from portalgraph.extensions import refuse
from resolvers.context import Context
from resolvers.errors import RateLimited
from resolvers.subscriptions import StreamContext


@dataclass(frozen=True)
class RatePolicy:
    per_principal: int
    per_organization: int
    window_s: float
    upstream_per_organization: Mapping[str, int]
    """Upstream calls per organization and window, by system (erp, crm, dms, payments)."""


class RateLimits(SchemaExtension):
    """Count each operation against its caller and organization (the client address for
    anonymous callers) and refuse it when either is over its limit.

    Example:
        build_schema([partial(RateLimits, limiter=MemoryRateLimiter(), policy=policy)])
    """

    def __init__(self, limiter: RateLimiter, policy: RatePolicy) -> None:
        self.limiter = limiter
        self.policy = policy

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, Context)
            and self.execution_context.pre_execution_errors is None
            and not (isinstance(context, StreamContext) and context.shared)
        ):  # a shared execution's subscribers were each counted when they subscribed
            given = _COUNTED.get()
            wait = (
                given.wait
                if given is not None
                else await count_operation(self.limiter, self.policy, context)
            )
            if wait is not None:
                self._refuse(context, wait)
        yield

    def _refuse(self, context: Context, wait: float) -> None:
        error = RateLimited("Too many requests; retry later.", wait)
        if isinstance(context.response, Response):
            context.response.status_code = 429
            context.response.headers["Retry-After"] = str(error.extensions["retryAfter"])
        refuse(self.execution_context, GraphQLError(str(error), extensions=error.extensions))


async def count_operation(
    limiter: RateLimiter, policy: RatePolicy, context: Context
) -> float | None:
    """Count one operation against its caller and organization (the client address for
    anonymous callers), reserving on the organization's upstream budgets; the seconds to
    wait when either is over its limit, else None."""
    principal = context.principal
    if principal is None:
        client = context.request.client
        quotas = [Quota(f"ip:{client.host if client else '-'}", policy.per_principal,
                        policy.window_s)]  # fmt: skip
    else:
        # counted together, so in one slot of a Redis Cluster: the organization's
        scope = hash_tag(principal.tenant) if principal.tenant is not None else ""
        quotas = [Quota(f"{scope}p:{principal.subject}", policy.per_principal, policy.window_s)]
        if principal.tenant is not None:
            quotas.append(Quota(f"{scope}o", policy.per_organization, policy.window_s))
    tenant = principal.tenant if principal is not None else None
    budgets = [budget_quota(policy, tenant, system) for system in policy.upstream_per_organization]
    return await limiter.hit(quotas, prefetch=[q for q in budgets if q is not None])


@dataclass(frozen=True)
class Counted:
    """The operation was counted already, before the pipeline (`portalgraph.cache_hits`):
    `RateLimits` refuses it with this wait (None: allowed) instead of counting it again."""

    wait: float | None


_COUNTED: ContextVar[Counted | None] = ContextVar("portalgraph_counted", default=None)


@contextmanager
def counted(given: Counted | None) -> Iterator[None]:
    """Run the operation pipeline inside: `given` is what its `RateLimits` goes by."""
    token = _COUNTED.set(given)
    try:
        yield
    finally:
        _COUNTED.reset(token)


@dataclass(frozen=True)
class UpstreamBudget:
    """One organization's budget of upstream calls, spent by its requests' loaders on cache
    misses (one unit per batch call)."""

    limiter: RateLimiter
    policy: RatePolicy
    tenant: str | None

    async def spend(self, system: str) -> None:
        quota = budget_quota(self.policy, self.tenant, system)
        if quota is None:
            return
        wait = await self.limiter.hit([quota])
        if wait is not None:
            raise RateLimited(
                f"Your organization's budget of requests to the {system} system is used up.",
                wait,
                system=system,
            )


def budget_quota(policy: RatePolicy, tenant: str | None, system: str) -> Quota | None:
    """The organization's budget of calls to `system`, None where it has none."""
    limit = policy.upstream_per_organization.get(system)
    if limit is None or tenant is None:
        return None
    return Quota(f"{hash_tag(tenant)}u:{system}", limit, policy.window_s)
