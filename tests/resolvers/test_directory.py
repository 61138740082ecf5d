"""The user directory behind the `idp` guard: reads are retried, writes get exactly one
attempt, and the admin client's failures become upstream errors of the identity provider
(a refusal keeps Keycloak's reasons and does not count against the circuit)."""

from collections.abc import AsyncIterator, Iterator

import pytest

from auth.admin import ActionsLink, UserAdmin
from connectors.base.breaker import CircuitState
from connectors.base.errors import UpstreamRefused, UpstreamUnavailable
from connectors.base.guard import Guard, GuardPolicy
from connectors.base.records import System
from connectors.base.retry import RetryPolicy
from resolvers.directory import Directory
from sandbox.seed import MUSTER
from sandbox.server import bind
from tests.idp_fixtures import GATEWAY_CLIENT, GATEWAY_SECRET, REALM, IdpServer, running_idp

ATTEMPTS = 3


class Attempts:
    """The guard's call observer: every attempt's system and outcome, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[System, str]] = []

    def observe(self, system: System, outcome: str, seconds: float) -> None:
        self.seen.append((system, outcome))


@pytest.fixture(scope="module")
def own_idp() -> Iterator[IdpServer]:
    with running_idp() as server:
        yield server


def idp_guard(attempts: Attempts) -> Guard:
    policy = GuardPolicy(retry=RetryPolicy(attempts=ATTEMPTS, base_delay_s=0.001))
    return Guard(System.IDP, policy, attempts)


def directory(url: str, guard: Guard) -> Directory:
    admin = UserAdmin(
        server_url=f"{url}/",
        realm=REALM,
        client_id=GATEWAY_CLIENT,
        client_secret=GATEWAY_SECRET,
        link=ActionsLink(),
        timeout_s=5,
    )
    return Directory(admin, guard)


@pytest.fixture
async def unreachable() -> AsyncIterator[tuple[Directory, Attempts]]:
    sock = bind()  # a free port, closed again: connections are refused
    host, port = sock.getsockname()[:2]
    sock.close()
    attempts = Attempts()
    users = directory(f"http://{host}:{port}", idp_guard(attempts))
    yield users, attempts
    await users.aclose()


async def test_a_read_is_retried_and_a_write_is_attempted_once(
    unreachable: tuple[Directory, Attempts],
) -> None:
    users, attempts = unreachable
    with pytest.raises(UpstreamUnavailable) as read:
        await users.read(lambda admin: admin.members_of(MUSTER))
    assert read.value.system is System.IDP
    assert attempts.seen == [(System.IDP, "UpstreamUnavailable")] * ATTEMPTS
    attempts.seen.clear()
    with pytest.raises(UpstreamUnavailable):
        await users.write(lambda admin: admin.logout("7f78c0c1-ce68-5030-a45f-d0024a476c1e"))
    assert attempts.seen == [(System.IDP, "UpstreamUnavailable")]


async def test_a_refusal_keeps_its_reasons_and_the_circuit_closed(own_idp: IdpServer) -> None:
    attempts = Attempts()
    guard = idp_guard(attempts)
    users = directory(own_idp.url, guard)
    try:
        lists = await users.members_of([MUSTER, "0000100004"])
        assert [sorted(a.username for a in found) for found in lists][1] == ["anna", "marco"]
        anna = next(a for a in lists[0] if a.username == "anna")
        with pytest.raises(UpstreamRefused) as refused:
            await users.write(lambda admin: admin.update(anna.id, {"email": "anna@"}))
    finally:
        await users.aclose()
    assert [(r.field, r.code, r.message) for r in refused.value.refusals] == [
        ("email", "INVALID", "This is not a valid e-mail address.")
    ]
    assert attempts.seen[-1] == (System.IDP, "UpstreamRefused")
    assert guard.breaker.state is CircuitState.CLOSED
