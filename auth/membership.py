"""How the realm models organization membership: user attributes that the token mappers of
the `portal` client scope turn into claims.

`customer_id` is a user's default organization (the token's `customer_id`); a member of
several organizations also has `customer_ids`, listing every one of them (the token's
`customer_ids`). A member of one organization has `customer_id` only. Roles are realm
roles, the same in every organization of a user.
"""

from collections.abc import Mapping, Sequence

CUSTOMER_ID = "customer_id"
CUSTOMER_IDS = "customer_ids"

Attributes = Mapping[str, Sequence[str]]


def organizations(attributes: Attributes) -> tuple[str, ...]:
    """Every organization of a user, in the order the token lists them."""
    return tuple(dict.fromkeys([*attributes.get(CUSTOMER_IDS, ()), *default(attributes)]))


def default(attributes: Attributes) -> tuple[str, ...]:
    """The default organization, if any (a one-element tuple, as attribute values come)."""
    return tuple(attributes.get(CUSTOMER_ID, ())[:1])


def joining(organization: str) -> dict[str, list[str]]:
    """The attributes that make a new user a member of `organization`."""
    return {CUSTOMER_ID: [organization]}


def switched(attributes: Attributes, organization: str) -> dict[str, list[str]]:
    """`attributes` with `organization` (one of the user's) as the default."""
    return _with(attributes, organizations(attributes), organization)


def leaving(attributes: Attributes, organization: str) -> dict[str, list[str]]:
    """`attributes` without the membership of `organization`; the default moves to another
    organization of the user when it was that one."""
    rest = [o for o in organizations(attributes) if o != organization]
    current = default(attributes)
    chosen = current[0] if current and current[0] in rest else (rest[0] if rest else None)
    return _with(attributes, rest, chosen)


def _with(
    attributes: Attributes, members_of: Sequence[str], chosen: str | None
) -> dict[str, list[str]]:
    kept = {k: list(v) for k, v in attributes.items() if k not in (CUSTOMER_ID, CUSTOMER_IDS)}
    if chosen is not None:
        kept[CUSTOMER_ID] = [chosen]
    if len(members_of) > 1:
        kept[CUSTOMER_IDS] = list(members_of)
    return kept
