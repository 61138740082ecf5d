"""`portalgraph`: subcommands only; what they run lives in the other modules."""

import argparse
import asyncio
import sys
from collections.abc import Sequence

import uvicorn

from portalgraph.demo import run_demo, run_sandbox
from portalgraph.settings import Settings, SettingsError


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

    serve = commands.add_parser("serve", help="the gateway alone, against configured upstreams")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    schema = commands.add_parser("schema", help="the GraphQL schema")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True)
    schema_commands.add_parser("export", help="print the SDL")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "demo":
            asyncio.run(run_demo(args.host, args.port, args.latency_ms))
        elif args.command == "sandbox":
            asyncio.run(run_sandbox(args.host, args.port, args.latency_ms, args.webhook_url))
        elif args.command == "serve":
            Settings.from_environment()  # fail fast, naming the key, before workers start
            uvicorn.run(
                "portalgraph.asgi:app",
                host=args.host,
                port=args.port,
                workers=args.workers,
                proxy_headers=True,
                # subscription payloads are small: compressing each frame costs CPU on both
                # ends and a zlib context per connection (memory per subscriber)
                ws_per_message_deflate=False,
            )
        else:
            from schema.root import build_schema

            print(build_schema().as_str())
    except SettingsError as error:
        print(f"portalgraph: configuration error: {error}", file=sys.stderr)
        return 2
    return 0
