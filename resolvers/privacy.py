"""Privacy requests (S13): the viewer asks for an export of every record the company holds
about them, or for their erasure, and follows each request's status.

A person is their e-mail address within the organization, as for consents; the requests of
anyone else (another member, another organization) do not exist for the viewer. For a
private customer (an organization of kind PERSON) every record of the organization is theirs.
The CRM keeps each request (the record of truth) and refuses a second open request of the
same type; the work is done by a job in the background (`resolvers.privacy_jobs`). A request
whose job was lost with its replica is taken up again when the person asks once more.

An erasure cannot be undone: it must be confirmed by typing the viewer's e-mail address, and
closing the login (ACCOUNT) is refused for the organization's last administrator and for a
login shared by several organizations.
"""

from datetime import datetime, timedelta

from auth.principal import Principal
from connectors.base import records as r
from connectors.base.errors import UpstreamError
from connectors.base.reads import untracked, valid_until
from resolvers.consents import NO_EMAIL, email_of
from resolvers.context import Context
from resolvers.derived_files import PRIVACY_EXPORT, derived_url
from resolvers.errors import client_failure
from resolvers.members import active_admins, members, status_of
from resolvers.writes import Problem, write_through

CATEGORIES = r.PERSONAL_DATA_CATEGORIES
FORMATS = ("json", "zip")
DOWNLOADABLE = frozenset({"COMPLETED", "PARTIALLY_COMPLETED"})
OPEN = frozenset({"RECEIVED", "IN_PROGRESS"})


def is_mine(request: r.PrivacyRequest, tenant: str, email: str | None) -> bool:
    return (
        email is not None and request.customer == tenant and request.email.lower() == email.lower()
    )


def data_subject(
    principal: Principal, tenant: str, customer: r.Customer | None
) -> r.DataSubject | None:
    """The viewer as the systems find them; None for a login without e-mail address."""
    if not principal.email:
        return None
    return r.DataSubject(
        customer=tenant,
        email=principal.email.lower(),
        name=principal.display_name,
        user_id=principal.subject,
        whole_customer=customer is not None and customer.kind == "PERSON",
    )


async def subject_of(ctx: Context) -> r.DataSubject | None:
    if ctx.principal is None:
        return None
    customer = await ctx.loaders.customer.load(ctx.tenant)
    return data_subject(ctx.principal, ctx.tenant, customer)


async def mine(ctx: Context) -> list[r.PrivacyRequest]:
    """The viewer's requests, newest first."""
    found: list[r.PrivacyRequest] = await ctx.loaders.privacy_requests.load(ctx.tenant)
    email = email_of(ctx)
    return sorted(
        (request for request in found if is_mine(request, ctx.tenant, email)),
        key=lambda request: (request.requested_at, request.id),
        reverse=True,
    )


async def one(ctx: Context, request_id: str) -> r.PrivacyRequest | None:
    return next((request for request in await mine(ctx) if request.id == request_id), None)


async def systems(ctx: Context, request: r.PrivacyRequest) -> dict[r.System, str]:
    """How far each system got: as the CRM recorded it, or the running job's progress."""
    if request.outcomes:
        return {outcome.system: outcome.status for outcome in request.outcomes}
    untracked("a privacy job's progress")
    return await ctx.privacy.progress(request.id)


def downloadable(request: r.PrivacyRequest, now: datetime) -> bool:
    if request.expires_at is not None and request.expires_at > now:
        valid_until(request.expires_at)
    return (
        request.type == "EXPORT"
        and request.status in DOWNLOADABLE
        and request.expires_at is not None
        and request.expires_at > now
    )


def download_url(ctx: Context, request: r.PrivacyRequest, file_format: str) -> str | None:
    """A signed link to the export (`json`, or `zip` with the documents' contents), for the
    viewer only; None until it is ready and once it has expired."""
    if not downloadable(request, ctx.now) or (
        file_format == "zip" and "DOCUMENTS" not in request.scope
    ):
        return None
    return derived_url(
        ctx.downloads, PRIVACY_EXPORT, request.id, file_format, ctx.tenant, ctx.principal
    )


def scope_of(scope: list[str] | None) -> tuple[str, ...] | list[Problem]:
    """The categories asked for, in their usual order (all of them when not named)."""
    if scope is None:
        return CATEGORIES
    if not scope:
        return [
            Problem(
                ("input", "scope"),
                "INVALID",
                "Name at least one category of data (or leave the scope out for all of them).",
            )
        ]
    return tuple(category for category in CATEGORIES if category in scope)


async def request_export(ctx: Context, scope: list[str] | None) -> r.PrivacyRequest | list[Problem]:
    categories = scope_of(scope)
    if isinstance(categories, list):
        return categories
    return await _open(ctx, "EXPORT", categories)


async def request_erasure(
    ctx: Context, scope: list[str], confirmation: str
) -> r.PrivacyRequest | list[Problem]:
    categories = scope_of(scope)
    if isinstance(categories, list):
        return categories
    email = email_of(ctx)
    if email is None:
        return [NO_EMAIL]
    if confirmation.strip().lower() != email:
        return [
            Problem(
                ("input", "confirmation"),
                "CONFIRMATION_MISMATCH",
                "An erasure cannot be undone: confirm it by typing your e-mail address.",
            )
        ]
    if "ACCOUNT" in categories:
        problems = await _account_problems(ctx)
        if problems:
            return problems
    return await _open(ctx, "ERASURE", categories)


async def _account_problems(ctx: Context) -> list[Problem]:
    principal = ctx.principal
    assert principal is not None  # the mutation requires a permission
    if len(principal.tenants) > 1:
        return [
            Problem(
                ("input", "scope"),
                "SHARED_ACCOUNT",
                "Your login is also used for another organization; leave ACCOUNT out, or ask "
                "the provider to close it.",
            )
        ]
    accounts = await members(ctx, ctx.tenant)
    admins = active_admins(accounts, ctx.tenant)
    others = [
        a
        for a in accounts
        if a.id != principal.subject and status_of(a, ctx.tenant) != "DEACTIVATED"
    ]
    if admins == {principal.subject} and others:
        return [
            Problem(
                ("input", "scope"),
                "LAST_ADMIN",
                "You are the organization's last administrator: make another member an "
                "administrator before your login is closed.",
            )
        ]
    return []


async def _open(
    ctx: Context, kind: str, scope: tuple[str, ...]
) -> r.PrivacyRequest | list[Problem]:
    subject = await subject_of(ctx)
    if subject is None:
        return [NO_EMAIL]
    request = await _abandoned(ctx, subject, kind)
    if request is None:
        new = r.NewPrivacyRequest(ctx.tenant, subject.email, subject.user_id, kind, scope)
        opened = await write_through(
            ctx.writes,
            ctx.loaders,
            ctx.writes.upstreams.privacy_requests.open_privacy_request(new),
            {"privacy_requests": [ctx.tenant]},
        )
        if isinstance(opened, list):
            return opened
        request = opened
    if kind == "EXPORT":
        ctx.privacy.start_export(request, subject)
    else:
        ctx.privacy.start_erasure(request, subject)
    return request


async def _abandoned(ctx: Context, subject: r.DataSubject, kind: str) -> r.PrivacyRequest | None:
    """The viewer's open request of this type whose job has stopped without finishing it (its
    replica went away; a job never runs longer than its timeout): it is taken up again
    rather than left open for ever. Read from the CRM itself, not the cache."""
    try:
        [found] = await ctx.writes.upstreams.privacy_requests.privacy_requests_of([ctx.tenant])
    except UpstreamError as error:
        raise client_failure(error) from error
    given_up = ctx.now - timedelta(seconds=ctx.privacy.timeout_s)
    return next(
        (
            request
            for request in found
            if is_mine(request, ctx.tenant, subject.email)
            and request.type == kind
            and request.status in OPEN
            and request.updated_at < given_up
        ),
        None,
    )
