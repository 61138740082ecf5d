"""What every mutation's schema side shares: user errors from `Problem`s, the upstream ID
behind a global ID the client sent (None when it names another type: answered as NOT_FOUND),
and the idempotency key of writes that must not happen twice."""

from typing import Any

import strawberry

from resolvers.writes import Problem
from schema.common import GlobalId, UserError


def user_errors(problems: list[Problem]) -> list[UserError]:
    return [UserError(field=list(p.field), code=p.code, message=p.message) for p in problems]


def external_id_of(node_id: strawberry.ID, type_name: str) -> str | None:
    """The upstream ID behind a global ID of `type_name`, else None."""
    parts = GlobalId.decode(node_id)
    return parts.external_id if parts is not None and parts.type_name == type_name else None


def idempotency_key_field(never: str) -> Any:
    """The `idempotencyKey` input field; `never` is what a retry never does twice ("pays")."""
    return strawberry.field(
        description="A key of the client's choosing (a UUID): a retry with the same key and "
        f"input answers the first result and never {never} twice."
    )
