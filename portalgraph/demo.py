"""`portalgraph demo` and `portalgraph sandbox`: the sandbox systems on ports P+1..P+5 and,
for the demo, the gateway on P configured against them."""

from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path

import httpx

from infra.usage import UsageStore
from portalgraph.app import advancing_clock, create_app
from portalgraph.logs import configure_logging
from portalgraph.observability import configure_process
from portalgraph.servers import serve_all
from portalgraph.settings import Settings
from sandbox.history import usage_history
from sandbox.idp.export import load_realm
from sandbox.idp.otp import totp_now
from sandbox.seed import parse_now
from sandbox.server import Sandbox, bind, build_sandbox, fixed_ports

DEMO_PASSWORD = "demo"
DEMO_PASSWORD = "demo"
SAMPLE_QUERY = Path(__file__).with_name("sample_query.graphql")
DEMO_FLAGS = Path(__file__).with_name("demo_flags.yaml")
"""The demo's feature flags, unless the environment configures some."""
DEMO_USERS = (
    ("anna", "Muster Maschinenbau AG", "admin, purchasing; TOTP JBSWY3DPEHPK3PXP"),
    ("beat", "Muster Maschinenbau AG", "purchasing"),
    ("carla", "Muster Maschinenbau AG", "specialist"),
    ("daniel", "Muster Maschinenbau AG", "accounting; TOTP KRSXG5CTMVRXEZLU"),
    ("luc, chloe", "Lumière Services SA", "admin / accounting"),
    ("jonas, mia", "Nordlicht Handels GmbH", "admin+accounting / purchasing"),
    ("marco", "Logistica Ticino SA", "admin"),
    ("sophie", "Sophie Rossi (private)", "admin"),
    ("sandra", "Beispiel Lieferant AG (staff)", "support-agent"),
)


def demo_settings(sandbox: Sandbox) -> Settings:
    """The environment's settings, pointed at the sandbox, in demo mode (with the demo's
    feature flags unless the environment names its own)."""
    settings = Settings.from_environment(
        demo_mode=True,
        portal=True,
        erp_url=sandbox.erp_url,
        crm_url=sandbox.url("crm"),
        dms_url=sandbox.url("dms"),
        payments_url=sandbox.url("payments"),
        oidc_server_url=sandbox.url("idp") + "/",
    )
    if settings.flag_definitions:
        return settings
    return settings.model_copy(update={"feature_flags_file": DEMO_FLAGS})


def members_by_organization() -> dict[str, list[str]]:
    """The demo realm's active people (user IDs) per organization they belong to."""
    members: dict[str, list[str]] = {}
    for user in load_realm().people():
        if user.required_actions:
            continue  # invited, not signed in yet
        for organization in user.attributes.get("customer_ids") or user.attributes.get(
            "customer_id", []
        ):
            members.setdefault(organization, []).append(user.id)
    return members


def usage_history_recorder(today: date) -> Callable[[UsageStore], Coroutine[None, None, None]]:
    """Records the seed's usage history into a store that holds none yet (a demo restarted on
    the same Redis keeps what it has)."""

    async def record(usage: UsageStore) -> None:
        if await usage.organizations():
            return
        for day in usage_history(today, members_by_organization()):
            await usage.record(day.organization, day.day, day.user, day.session, day.actions)

    return record


def banner(sandbox: Sandbox, gateway_url: str) -> str:
    idp = sandbox.url("idp")
    users = "\n".join(f"    {login:<11} {org:<30} {roles}" for login, org, roles in DEMO_USERS)
    return f"""
Portalgraph demo
  portal page         {gateway_url}/portal/   (sign in as anna / demo, TOTP JBSWY3DPEHPK3PXP)
  GraphQL + GraphiQL  {gateway_url}/graphql
  health / readiness  {gateway_url}/healthz  {gateway_url}/readyz
  identity provider   {idp}/realms/portal   (Keycloak-compatible)
  ERP (SOAP)          {sandbox.erp_url}?wsdl
  CRM, DMS, payments  {sandbox.url("crm")}  {sandbox.url("dms")}  {sandbox.url("payments")}

Demo users (password "demo"):
{users}

Get a token and query:
  TOKEN=$(curl -s {idp}/realms/portal/protocol/openid-connect/token \\
    -d grant_type=password -d client_id=portal-frontend -d username=anna -d password=demo \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s {gateway_url}/graphql -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '{{"query": "{{ viewer {{ user {{ name }} organization {{ legalName }} }} }}"}}'

In GraphiQL, add the header {{"Authorization": "Bearer <token>"}} and paste:
{SAMPLE_QUERY.read_text()}
Ctrl-C stops everything.
"""


def start_sandbox(
    host: str, port: int, latency_ms: int, webhook_url: str | None
) -> tuple[Sandbox, list[tuple[object, object]]]:
    ports = fixed_ports(port)
    sockets = {system: bind(host, system_port) for system, system_port in ports.items()}
    now = parse_now(Settings.from_environment().sandbox_now)
    sandbox = build_sandbox(now, host, ports, latency_ms, webhook_url)
    return sandbox, [(sandbox.apps[system], sock) for system, sock in sockets.items()]


async def run_sandbox(host: str, port: int, latency_ms: int, webhook_url: str | None) -> None:
    configure_logging(Settings.from_environment().log_level)
    sandbox, apps = start_sandbox(host, port, latency_ms, webhook_url)
    print(
        f"Sandbox: identity provider {sandbox.url('idp')}, ERP {sandbox.erp_url}, "
        f"CRM {sandbox.url('crm')}, DMS {sandbox.url('dms')}, payments {sandbox.url('payments')}"
    )
    await serve_all(apps)  # type: ignore[arg-type]


async def run_demo(host: str, port: int, latency_ms: int) -> None:
    gateway_socket = bind(host, port)
    gateway_url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    sandbox, apps = start_sandbox(host, port, latency_ms, f"{gateway_url}/webhooks")
    settings = demo_settings(sandbox)
    configure_process(settings)
    app = create_app(
        settings,
        clock=advancing_clock(sandbox.seed.now),
        prepare_usage=usage_history_recorder(sandbox.seed.now.date()),
    )
    print(banner(sandbox, gateway_url), flush=True)
    await serve_all([(app, gateway_socket), *apps])  # type: ignore[list-item]


def demo_token(base_port: int, username: str = "anna", host: str = "127.0.0.1") -> str:
    """An access token of a demo user from the demo's identity provider on P+1, signed in with
    the user's second factor when the realm gives them one (so MFA step-up holds)."""
    user = load_realm().user_by_username(username)
    if user is None:
        raise ValueError(f"no demo user {username!r}")
    form = {
        "grant_type": "password",
        "client_id": "portal-frontend",
        "username": username,
        "password": DEMO_PASSWORD,
    }
    if user.totp is not None:
        form["totp"] = totp_now(user.totp)
    idp = f"http://{f'[{host}]' if ':' in host else host}:{base_port + 1}"
    response = httpx.post(f"{idp}/realms/portal/protocol/openid-connect/token", data=form)
    response.raise_for_status()
    return str(response.json()["access_token"])
