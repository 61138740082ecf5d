"""The policy matrix: the README's access table is the policy's, and the rules around it
(prices, integrators, staff, step-up) hold for principals of any shape."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auth.policy import (
    ROLE_PERMISSIONS,
    SERVICE_ACCOUNT_EXTRAS,
    STEP_UP,
    OrganizationNotAllowed,
    Permission,
    act_for,
    grants,
    may_read_document,
    permissions_of,
)
from auth.principal import Principal

README = Path(__file__).resolve().parents[2] / "README.md"
ROLES = ("admin", "purchasing", "specialist", "accounting", "viewer", "support-agent")


def access_table() -> str:
    """The README's table, rendered from ROLE_PERMISSIONS."""
    lines = [
        "| permission | " + " | ".join(ROLES) + " |",
        "| --- |" + " :-: |" * len(ROLES),
    ]
    for permission in Permission:
        name = f"`{permission.value}`" + (" (2FA)" if permission in STEP_UP else "")
        marks = ["✓" if permission in ROLE_PERMISSIONS[role] else "" for role in ROLES]
        lines.append(f"| {name} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def test_the_readme_shows_the_policy() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    assert access_table() in README.read_text(encoding="utf-8")


def principal(**changes: object) -> Principal:
    base = Principal(
        subject="s", username="u", display_name="U", email=None, locale=None,
        roles=frozenset({"specialist"}), tenant="0000100001", tenants=("0000100001",),
        client_id="portal-frontend", scopes=frozenset(), amr=("pwd",),
        is_service_account=False, expires_at=datetime.now(UTC),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("claim", "sees_prices"), [(None, False), (True, True), (False, False)])
def test_a_specialist_sees_prices_only_when_the_token_says_so(
    claim: bool | None, sees_prices: bool
) -> None:
    assert (
        Permission.PRICES_READ in permissions_of(principal(prices_visible=claim))
    ) is sees_prices


def test_prices_visible_false_hides_prices_from_any_role() -> None:
    buyer = principal(roles=frozenset({"purchasing"}), prices_visible=False)
    assert Permission.PRICES_READ not in permissions_of(buyer)
    assert Permission.ORDERS_READ in permissions_of(buyer)


def test_an_integrator_has_exactly_its_scopes() -> None:
    integrator = principal(
        roles=frozenset({"admin"}),  # roles do not count for a service account
        scopes=frozenset({"orders:read", "profile", "email", "users:manage"}),
        is_service_account=True,
    )
    assert permissions_of(integrator) == (
        {Permission.ORDERS_READ, Permission.USERS_MANAGE} | SERVICE_ACCOUNT_EXTRAS
    )


def test_document_audiences_and_wildcards() -> None:
    carla = principal()
    assert may_read_document(carla, "TECHNICAL")
    assert not may_read_document(carla, "FINANCIAL")
    assert not may_read_document(carla, "CONTRACT")
    assert grants(permissions_of(carla), "documents:read:*")
    assert not grants(permissions_of(principal(roles=frozenset())), "documents:read:*")


def test_acting_for_an_organization() -> None:
    anna = principal(tenants=("0000100001", "0000100004"))
    assert act_for(anna, "0000100004").tenant == "0000100004"
    assert act_for(anna, None) is anna
    with pytest.raises(OrganizationNotAllowed):
        act_for(anna, "0000100002")
    staff = principal(roles=frozenset({"support-agent"}), tenant=None, tenants=())
    assert act_for(staff, "0000100002").tenants == ("0000100002",)
    integrator = principal(roles=frozenset({"support-agent"}), is_service_account=True)
    with pytest.raises(OrganizationNotAllowed):  # a service account is never staff
        act_for(integrator, "0000100002")
