"""Feature flags for the viewer: the OpenFeature evaluation context of a request, evaluated
against the configured definitions (`infra.flags`).

The targeting key is the user's subject (Keycloak's user ID), the same in every token and
organization, so a percentage split keeps each user in one bucket. Targeting rules can read
`organization` (the active one's customer number), `roles` (a list), `segment` (the
organization's CRM segment, absent when the CRM has none or does not answer), `clientId`,
`serviceAccount` and `staff`.
"""

import logging

from openfeature.evaluation_context import EvaluationContext, EvaluationContextAttribute

from auth.policy import is_staff
from infra.flags import FlagState
from resolvers.context import Context
from resolvers.errors import ErrorCode, GatewayError, UpstreamFailure

log = logging.getLogger("portalgraph.flags")


class FeatureDisabled(GatewayError):
    """A field behind a feature flag that is off for the viewer."""

    def __init__(self, flag: str) -> None:
        super().__init__(
            ErrorCode.FORBIDDEN,
            "This feature is not enabled for you.",
            reason="FEATURE_DISABLED",
            feature=flag,
        )


async def evaluation_context(ctx: Context) -> EvaluationContext:
    principal = ctx.principal
    if principal is None:
        return EvaluationContext()
    attributes: dict[str, EvaluationContextAttribute] = {
        "roles": sorted(principal.roles),
        "clientId": principal.client_id,
        "serviceAccount": principal.is_service_account,
        "staff": is_staff(principal),
    }
    if principal.tenant is not None:
        attributes["organization"] = principal.tenant
        segment = await _segment(ctx, principal.tenant)
        if segment is not None:
            attributes["segment"] = segment
    return EvaluationContext(targeting_key=principal.subject, attributes=attributes)


async def features(ctx: Context) -> list[FlagState]:
    """The flags on for the viewer, with their variants."""
    context = await evaluation_context(ctx)
    return [state for state in ctx.flags.evaluate_all(context) if state.on]


async def enabled(ctx: Context, flag: str, default: bool) -> bool:
    """Whether `flag` is on for the viewer; `default` when the configuration defines no such
    flag (a feature released without one)."""
    state = ctx.flags.evaluate(flag, await evaluation_context(ctx))
    return default if state is None else state.on


async def _segment(ctx: Context, customer: str) -> str | None:
    try:
        found = await ctx.loaders.segment.load(customer)
    except UpstreamFailure:
        log.warning("flags: no segment of %s (CRM unavailable), rules on it fail", customer)
        return None
    return found.segment if found is not None else None
