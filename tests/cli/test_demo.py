"""`portalgraph demo` as a newcomer runs it: a real process serving the gateway on P and the
sandbox on P+1..P+5, answering a real token's query, and stopping cleanly on Ctrl-C."""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from bench.processes import wait_until_ready
from portalgraph.demo import demo_token, members_by_organization
from sandbox.history import CLOSED_BREACHED, CLOSED_TICKETS, USAGE_DAYS, usage_history
from sandbox.seed import parse_now
from sandbox.server import bind
from tests.stack import SANDBOX_NOW

STOP_DEADLINE_S = 20


def free_port_block(size: int = 6) -> int:
    """A base port P with P..P+size-1 free right now."""
    for _ in range(50):
        with bind() as probe:
            base: int = probe.getsockname()[1]
        if base + size >= 65535:
            continue
        try:
            with ExitStack() as held:  # closes the sockets bound so far, also when one fails
                for offset in range(size):
                    held.enter_context(bind(port=base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no block of free ports")


@pytest.fixture
def demo() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port_block()
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "portalgraph", "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PORTALGRAPH_SANDBOX_NOW": SANDBOX_NOW},
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/readyz")
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=STOP_DEADLINE_S)  # also closes the output pipe


def test_demo_serves_the_contract_ports_and_stops_on_ctrl_c(
    demo: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = demo
    access_token = demo_token(port)
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": "{ viewer { organization { legalName } } }"},
        headers={"Authorization": f"Bearer {access_token}"},
    ).json()
    assert answer["data"] == {"viewer": {"organization": {"legalName": "Muster Maschinenbau AG"}}}
    assert answer["extensions"]["sources"]["erp"]["status"] == "ok"
    flags = httpx.post(  # the demo's feature flags (portalgraph/demo_flags.yaml)
        f"http://127.0.0.1:{port}/graphql",
        json={"query": "{ viewer { features { key } } }"},
        headers={"Authorization": f"Bearer {access_token}"},
    ).json()["data"]["viewer"]["features"]
    on = {flag["key"] for flag in flags}
    assert {"recommendations", "qr-bill-scanner", "dashboard-layout"} <= on
    assert httpx.get(f"http://127.0.0.1:{port + 2}/erp?wsdl").text.startswith("<?xml")
    for offset in (2, 3, 4, 5):
        stats = httpx.get(f"http://127.0.0.1:{port + offset}/_stats").json()
        assert set(stats) == {"requests", "by_operation"}

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=STOP_DEADLINE_S)
    assert process.returncode == 0
    assert f"http://127.0.0.1:{port}/graphql" in output
    assert "anna" in output
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


DEMO_INSIGHTS = """query($from: Date!, $to: Date!) { insights(from: $from, to: $to) {
  organizations daily { start activeUsers } total { selfServiceActions }
  sla { priority met breached metPercent } } }"""


def test_demo_shows_the_seeds_usage_and_sla_history(
    demo: tuple[subprocess.Popen[str], int],
) -> None:
    """Provider staff see 90 days of weekday-weighted usage and the closed tickets' SLA."""
    _, port = demo
    today = parse_now(SANDBOX_NOW).date()
    window = {
        "from": (today - timedelta(days=USAGE_DAYS)).isoformat(),
        "to": (today - timedelta(days=1)).isoformat(),  # today's use includes this test's own
    }
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": DEMO_INSIGHTS, "variables": window},
        headers={"Authorization": f"Bearer {demo_token(port, 'sandra')}"},
    ).json()
    insights = answer["data"]["insights"]

    expected = list(usage_history(today, members_by_organization()))
    assert sorted(insights["organizations"]) == sorted({e.organization for e in expected})
    assert insights["total"]["selfServiceActions"] == sum(len(e.actions) for e in expected)
    by_weekday: dict[bool, list[int]] = {True: [], False: []}
    for day in insights["daily"]:
        weekend = date.fromisoformat(day["start"]).weekday() >= 5
        by_weekday[weekend].append(day["activeUsers"])
    workdays, weekends = by_weekday[False], by_weekday[True]
    assert sum(workdays) / len(workdays) > 3 * sum(weekends) / len(weekends)
    overall = next(line for line in insights["sla"] if line["priority"] == "ALL")
    assert overall["met"] >= CLOSED_TICKETS - CLOSED_BREACHED
    assert overall["breached"] >= CLOSED_BREACHED
    assert 85 <= overall["metPercent"] <= 95  # "about 92 % met" (domain.md §7)


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's claims, unverified (the gateway verifies; this only reads what was issued)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_demo_token_signs_in_with_the_second_factor_where_the_user_has_one(
    demo: tuple[subprocess.Popen[str], int],
) -> None:
    _, port = demo
    printed = {
        user: subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "portalgraph", "demo-token", user, "--port", str(port)],
            capture_output=True, text=True, check=True, timeout=STOP_DEADLINE_S,
        ).stdout.strip()
        for user in ("anna", "beat")
    }  # fmt: skip
    assert "otp" in claims_of(printed["anna"])["amr"]
    assert "otp" not in claims_of(printed["beat"]).get("amr", [])
    unknown = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "portalgraph", "demo-token", "nobody", "--port", str(port)],
        capture_output=True, text=True, timeout=STOP_DEADLINE_S,
    )  # fmt: skip
    assert unknown.returncode == 2
    assert "no demo user 'nobody'" in unknown.stderr
