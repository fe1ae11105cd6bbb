"""The `alliance` command: a thin front-end over the service layer."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from alliance.config import Settings, load_settings
from alliance.core.keys import SigningKey
from alliance.errors import AllianceError
from alliance.services.app import AllianceServices
from alliance.services.auth import ADMIN, ROLES, Principal

console = Console()
err = Console(stderr=True)


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        getattr(args, "config", None),
        data_dir=getattr(args, "data_dir", None),
        port=getattr(args, "port", None),
        host=getattr(args, "host", None),
    )


def _cli_admin() -> Principal:
    # Whoever runs the CLI on the alliance's machine holds the alliance key, hence the admin role.
    return Principal(f"cli:{getpass.getuser()}", ADMIN)


def _with_services(args: argparse.Namespace, work: Callable[[AllianceServices], Awaitable[int]]) -> int:
    async def run() -> int:
        services = await AllianceServices.open(_settings(args))
        try:
            return await work(services)
        finally:
            await services.close()

    return asyncio.run(run())


# standard ------------------------------------------------------------------------------------------------
def _read_json(path: str) -> Any:
    from alliance.core.standard import load_standard_file

    return load_standard_file(Path(path)).document


def cmd_standard_validate(args: argparse.Namespace) -> int:
    from alliance.core.standard import load_standard_file

    standard = load_standard_file(Path(args.file))
    console.print(f"[green]valid[/green] {standard.key} — {standard.title}")
    return 0


def cmd_standard_publish(args: argparse.Namespace) -> int:
    document = _read_json(args.file)

    async def work(svc: AllianceServices) -> int:
        record = await svc.standards.publish(_cli_admin(), document)
        console.print(f"[green]published[/green] {record.key}, signed by the alliance key")
        return 0

    return _with_services(args, work)


def cmd_standard_retire(args: argparse.Namespace) -> int:
    async def work(svc: AllianceServices) -> int:
        record = await svc.standards.retire(_cli_admin(), args.id, args.version)
        console.print(f"[yellow]retired[/yellow] {record.key}")
        return 0

    return _with_services(args, work)


def cmd_standard_list(args: argparse.Namespace) -> int:
    async def work(svc: AllianceServices) -> int:
        table = Table("id", "version", "title", "status", "published")
        for r in await svc.standards.list(args.status):
            table.add_row(r.id, r.version, r.title, r.status, r.published_at.isoformat() if r.published_at else "")
        console.print(table)
        return 0

    return _with_services(args, work)


# keys and tokens -----------------------------------------------------------------------------------------
def cmd_keys_generate(args: argparse.Namespace) -> int:
    path = Path(args.out)
    if path.exists() and not args.force:
        err.print(f"[red]{path} exists[/red]; pass --force to replace it")
        return 1
    key = SigningKey.generate()
    key.save(path)
    console.print_json(json.dumps({"kid": key.kid, "public": key.public.jwk(), "private_key_file": str(path)}))
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    async def work(svc: AllianceServices) -> int:
        token = svc.tokens.issue(
            args.role, args.subject or args.role, park_id=args.park, uscc=args.uscc, lifetime=args.lifetime
        )
        print(token)
        return 0

    return _with_services(args, work)


def cmd_audit(args: argparse.Namespace) -> int:
    async def work(svc: AllianceServices) -> int:
        table = Table("at", "actor", "role", "action", "target", "outcome", "detail")
        for e in await svc.audit.entries(limit=args.limit):
            table.add_row(e.at.isoformat(timespec="seconds"), e.actor, e.role, e.action, e.target, e.outcome, e.detail)
        console.print(table)
        return 0

    return _with_services(args, work)


# servers -------------------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from alliance.gateway.app import create_app

    settings = _settings(args)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from alliance.demo import run_demo

    return run_demo(_settings(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alliance", description="园区信用联盟 — the credit alliance of high-tech parks"
    )
    parser.add_argument("--config", help="TOML configuration file (default: $ALLIANCE_CONFIG)")
    parser.add_argument("--data-dir", help="data directory (default: $ALLIANCE_DATA_DIR or ./.alliance)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from alliance.park.cli import register as register_park

    register_park(sub)

    demo = sub.add_parser("demo", help="run the whole alliance on this machine")
    demo.add_argument("--port", type=int, help="gateway port (default 8000); parks take port+101 … port+123")
    # Also after the command, as `alliance demo --data-dir DIR`; SUPPRESS keeps a global --data-dir when absent.
    demo.add_argument("--data-dir", default=argparse.SUPPRESS, help="data directory (default ./.alliance)")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=cmd_serve)

    std = sub.add_parser("standard", help="evaluation standards").add_subparsers(dest="action", required=True)
    p = std.add_parser("validate", help="check a standard document and list every problem")
    p.add_argument("file")
    p.set_defaults(func=cmd_standard_validate)
    p = std.add_parser("publish", help="sign a standard with the alliance key and publish it")
    p.add_argument("file")
    p.set_defaults(func=cmd_standard_publish)
    p = std.add_parser("retire", help="retire a published standard")
    p.add_argument("id")
    p.add_argument("version")
    p.set_defaults(func=cmd_standard_retire)
    p = std.add_parser("list", help="list standards and their status")
    p.add_argument("--status", choices=["draft", "published", "superseded", "retired"])
    p.set_defaults(func=cmd_standard_list)

    keys = sub.add_parser("keys", help="Ed25519 keys").add_subparsers(dest="action", required=True)
    p = keys.add_parser("generate", help="generate a key (for the alliance or a park) as a private JWK file")
    p.add_argument("--out", required=True, help="where to write the private key (mode 0600)")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_keys_generate)

    token = sub.add_parser("token", help="access tokens").add_subparsers(dest="action", required=True)
    p = token.add_parser("issue", help="print a bearer token signed by the alliance key")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--subject", help="who the token is for (default: the role)")
    p.add_argument("--park", help="park id (roles park, park-operator)")
    p.add_argument("--uscc", help="USCC (role enterprise)")
    p.add_argument("--lifetime", type=int, help="seconds")
    p.set_defaults(func=cmd_token_issue)

    p = sub.add_parser("audit", help="read the audit trail")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AllianceError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        if hasattr(exc, "problems") and len(exc.problems) > 1:
            for problem in exc.problems:
                err.print(f"  - {problem}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
