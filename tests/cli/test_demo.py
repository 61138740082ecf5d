"""`portalgraph demo` as a newcomer runs it: a real process serving the gateway on P and the
sandbox on P+1..P+5, answering a real token's query, and stopping cleanly on Ctrl-C."""

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from bench.processes import demo_token, wait_until_ready
from sandbox.server import bind

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
