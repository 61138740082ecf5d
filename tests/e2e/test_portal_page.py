"""The gateway serves the reference portal page at `/portal` when configured (the demo does):
its files with a content security policy that lets it reach only this origin and the
identity provider, and `config.json` naming where it signs in. The page itself is tested in
a browser (tests/browser)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from portalgraph.portal import portal_routes
from sandbox.server import Sandbox
from tests.stack import gateway_settings, running_gateway


@pytest.fixture(scope="module")
def portal(sandbox: Sandbox) -> Iterator[str]:
    with running_gateway(sandbox, portal=True) as url:
        yield url


def test_the_page_is_served_with_a_policy_naming_the_identity_provider(
    portal: str, sandbox: Sandbox
) -> None:
    page = httpx.get(f"{portal}/portal", follow_redirects=True)
    assert page.status_code == 200
    assert page.url.path == "/portal/"
    assert '<script type="module" src="js/main.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert f"connect-src 'self' {sandbox.url('idp')}" in policy
    assert "frame-ancestors 'none'" in policy
    script = httpx.get(f"{portal}/portal/js/main.js")
    assert script.headers["content-type"].startswith("text/javascript")


def test_the_config_names_the_issuer_and_the_public_client(portal: str, sandbox: Sandbox) -> None:
    config = httpx.get(f"{portal}/portal/config.json").json()
    assert config == {
        "issuer": f"{sandbox.url('idp')}/realms/portal",
        "clientId": "portal-frontend",
    }


def test_a_gateway_not_configured_for_it_has_no_page(gateway_url: str) -> None:
    assert httpx.get(f"{gateway_url}/portal/").status_code == 404


def test_a_missing_page_is_named_at_start(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="PORTALGRAPH_PORTAL"):
        portal_routes(gateway_settings(sandbox, portal=True), tmp_path)
