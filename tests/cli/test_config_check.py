"""`portalgraph config check` against the real sandbox and a real Redis: all good, then each
kind of mistake named in words with exit status 1."""

import pytest

from portalgraph.cli import main
from sandbox.server import Sandbox, bind
from tests.stack import gateway_settings


def environment(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, **overrides: str) -> None:
    settings = gateway_settings(sandbox)
    values = {
        "PORTALGRAPH_ERP_URL": str(settings.erp_url),
        "PORTALGRAPH_CRM_URL": str(settings.crm_url),
        "PORTALGRAPH_DMS_URL": str(settings.dms_url),
        "PORTALGRAPH_PAYMENTS_URL": str(settings.payments_url),
        "PORTALGRAPH_OIDC_SERVER_URL": str(settings.oidc_server_url),
        **overrides,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def closed_port_url() -> str:
    with bind() as sock:  # bound, then closed: nothing listens there any more
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_working_configuration_passes(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sandbox: Sandbox,
    redis_url: str,
) -> None:
    environment(monkeypatch, sandbox, PORTALGRAPH_REDIS_URL=redis_url)
    assert main(["config", "check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8  # idp, erp, crm, dms, payments, wsdl, jwks, redis
    assert all(line.startswith("ok") for line in lines)


def test_each_mistake_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    environment(
        monkeypatch,
        sandbox,
        PORTALGRAPH_CRM_URL=closed_port_url(),
        PORTALGRAPH_OIDC_REALM="no-such-realm",
        PORTALGRAPH_REDIS_URL=closed_port_url().replace("http", "redis"),
    )
    assert main(["config", "check"]) == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    named = {line.split(":")[0].removeprefix("FAIL ") for line in failed}
    assert named == {
        "CRM",
        "identity provider discovery",
        "identity provider signing keys",
        "Redis",
    }


def test_an_invalid_setting_fails_first_naming_its_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sandbox: Sandbox
) -> None:
    environment(monkeypatch, sandbox, PORTALGRAPH_UPSTREAM_RETRY_ATTEMPTS="many")
    assert main(["config", "check"]) == 2
    assert "PORTALGRAPH_UPSTREAM_RETRY_ATTEMPTS" in capsys.readouterr().err
