"""`portalgraph`: subcommands only; what they run lives in the other modules."""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import httpx

from portalgraph import schema_check
from portalgraph.config_check import check_configuration, report
from portalgraph.demo import demo_token, run_demo, run_sandbox
from portalgraph.servers import serve
from portalgraph.settings import Settings, SettingsError
from schema.root import build_schema


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="portalgraph", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="gateway + sandbox systems + identity provider")
    sandbox = commands.add_parser("sandbox", help="the sandbox systems alone")
    for command, default_port in ((demo, 8000), (sandbox, 8000)):
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument(
            "--port",
            type=int,
            default=default_port,
            help="the gateway's port P; the sandbox uses P+1..P+5",
        )
        command.add_argument(
            "--latency-ms", type=int, default=0, help="base latency of every sandbox request"
        )
    sandbox.add_argument(
        "--webhook-url",
        default=None,
        help="where the sandbox sends its webhooks: the gateway's /webhooks (demo: its own)",
    )

    token = commands.add_parser(
        "demo-token", help="print a demo user's access token (with TOTP where the user has it)"
    )
    token.add_argument("username", help="a demo user, such as anna or beat")
    token.add_argument("--port", type=int, default=8000, help="the demo's port P")
    gateway = commands.add_parser("serve", help="the gateway alone, against configured upstreams")
    gateway.add_argument("--host", default="0.0.0.0")
    gateway.add_argument("--port", type=int, default=8000)
    gateway.add_argument("--workers", type=int, default=1)

    config = commands.add_parser("config", help="the gateway's configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    config_commands.add_parser(
        "check", help="check each upstream, the ERP WSDL, the identity provider's keys and Redis"
    )

    schema = commands.add_parser("schema", help="the GraphQL schema")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True)
    schema_commands.add_parser("export", help="print the SDL")
    check = schema_commands.add_parser(
        "check", help="fail on undeclared breaking changes against the SDL and a base revision"
    )
    check.add_argument("--sdl", type=Path, default=Path("schema.graphql"))
    check.add_argument(
        "--base", help="a git revision whose SDL the schema must stay compatible with"
    )
    check.add_argument("--declared", type=Path, default=Path("schema-changes.yaml"))
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "demo":
            asyncio.run(run_demo(args.host, args.port, args.latency_ms))
        elif args.command == "sandbox":
            asyncio.run(run_sandbox(args.host, args.port, args.latency_ms, args.webhook_url))
        elif args.command == "demo-token":
            print(demo_token(args.port, args.username))
        elif args.command == "serve":
            settings = Settings.from_environment()  # fail fast, naming the key
            serve("portalgraph.asgi:app", args.host, args.port, args.workers,
                  settings.shutdown_grace_s)  # fmt: skip
        elif args.command == "config":
            findings = asyncio.run(check_configuration(Settings.from_environment()))
            return report(findings, sys.stdout)
        elif args.schema_command == "check":
            return schema_check.run(args.sdl, args.base, args.declared, sys.stdout, date.today())
        else:
            print(build_schema().as_str())
    except SettingsError as error:
        print(f"portalgraph: configuration error: {error}", file=sys.stderr)
        return 2
    except (schema_check.BaseRevisionError, ValueError, OSError, httpx.HTTPError) as error:
        print(f"portalgraph: {error}", file=sys.stderr)
        return 2
    return 0
