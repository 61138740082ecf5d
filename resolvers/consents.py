"""The viewer's consents (CRM): the decision in force per purpose, the append-only history, and
granting or revoking one. A person is their e-mail address within the organization, as the
CRM's consent register keys it; a revocation is a new decision, never a change of an old one.

The ANALYTICS decision is also what the usage counters obey. Asking the CRM on every request
would cost a call per request; instead, whenever the gateway reads or records a person's
decisions, it notes whether ANALYTICS is revoked in the shared cache (keyed by a hash of the
address, kept as long as the usage data), and the counters skip whoever is noted: a revocation
in the portal takes effect at once, one made elsewhere once the portal has read it.
"""

from connectors.base import records as r
from connectors.base.errors import UpstreamError, UpstreamRejected
from resolvers.access import owned_all
from resolvers.analytics_notes import AnalyticsNotes
from resolvers.context import Context
from resolvers.errors import client_failure
from resolvers.loaders import Loaders
from resolvers.writes import Problem

PURPOSES = ("MARKETING_EMAIL", "ANALYTICS", "PERSONALIZATION", "EBILL_DATA_SHARING")
MAX_TEXT_VERSION = 32


NO_EMAIL = Problem(
    ("input",), "NO_EMAIL", "Consents belong to a person's e-mail address; this login has none."
)


def email_of(ctx: Context) -> str | None:
    """The viewer as the consent register knows them (None for a login without e-mail)."""
    email = ctx.principal.email if ctx.principal else None
    return email.lower() if email else None


async def decisions_of(loaders: Loaders, customer: str, email: str) -> list[r.Consent]:
    """Every decision of one person, newest first."""
    found: list[r.Consent] = await loaders.consents.load(customer)
    mine = [c for c in found if c.customer == customer and c.email.lower() == email.lower()]
    return sorted(mine, key=lambda c: (c.decided_at, c.id), reverse=True)


def in_force(decisions: list[r.Consent]) -> dict[str, r.Consent]:
    """The newest decision per purpose (of decisions sorted newest first)."""
    current: dict[str, r.Consent] = {}
    for decision in decisions:
        current.setdefault(decision.purpose, decision)
    return current


async def history(ctx: Context) -> list[r.Consent]:
    email = email_of(ctx)
    if email is None:
        return []
    found = owned_all(ctx, await decisions_of(ctx.loaders, ctx.tenant, email))
    await note_analytics(ctx.writes.notes, ctx.tenant, email, found)
    return found


async def note_analytics(
    notes: AnalyticsNotes, customer: str, email: str, decisions: list[r.Consent]
) -> None:
    """Note the ANALYTICS decision in force among `decisions` (newest first) for the counters."""
    decision = in_force(decisions).get("ANALYTICS")
    await notes.note(customer, email, revoked=decision is not None and not decision.granted)


async def current(ctx: Context) -> list[r.Consent]:
    """The decision in force for each purpose decided at all, in the order of PURPOSES."""
    found = in_force(await history(ctx))
    return [found[purpose] for purpose in PURPOSES if purpose in found]


async def grant(ctx: Context, purpose: str, text_version: str) -> r.Consent | list[Problem]:
    version = text_version.strip()
    if not version or len(version) > MAX_TEXT_VERSION:
        return [
            Problem(
                ("input", "textVersion"),
                "INVALID",
                f"Name the version of the text the person agreed to (1 to {MAX_TEXT_VERSION} "
                "characters).",
            )
        ]
    try:
        texts = await ctx.writes.upstreams.consents.consent_texts()
    except UpstreamError as error:
        raise client_failure(error) from error
    if texts.get(purpose) != version:
        return [
            Problem(
                ("input", "textVersion"),
                "OUTDATED_TEXT_VERSION",
                f"The current text for {purpose} is version {texts.get(purpose)}; show it and "
                "ask again.",
            )
        ]
    return await decide(ctx, purpose, True, version)


async def revoke(ctx: Context, purpose: str) -> r.Consent | list[Problem]:
    found = in_force(await history(ctx)).get(purpose)
    if found is None or not found.granted:
        return [
            Problem(
                ("input", "purpose"), "NOT_GRANTED", f"{purpose} is not granted; nothing to revoke."
            )
        ]
    try:
        texts = await ctx.writes.upstreams.consents.consent_texts()
    except UpstreamError as error:
        raise client_failure(error) from error
    return await decide(ctx, purpose, False, texts.get(purpose, found.text_version))


async def decide(
    ctx: Context, purpose: str, granted: bool, text_version: str
) -> r.Consent | list[Problem]:
    email = email_of(ctx)
    if email is None:
        return [NO_EMAIL]
    decision = r.ConsentDecision(ctx.tenant, email, purpose, granted, text_version)
    try:
        recorded = await ctx.writes.upstreams.consents.record_consent(decision)
    except UpstreamRejected:
        return [
            Problem(
                ("input", "textVersion"),
                "REFUSED_BY_CRM",
                "The CRM refused the decision (its consent text may just have changed); "
                "reload the text and ask again.",
            )
        ]
    except UpstreamError as error:
        raise client_failure(error) from error
    await ctx.writes.invalidate({"consents": [ctx.tenant]})
    if purpose == "ANALYTICS":
        await note_analytics(ctx.writes.notes, ctx.tenant, email, [recorded])
    return recorded
