"""Command line of the park node: `alliance park serve|import|rotate-key` and `alliance verify`.

`register(subparsers)` adds the commands to the `alliance` parser. Every command handles its own errors and
returns an exit code, so no input (a truncated token, an unreachable URL, a broken park.toml) ever ends in a
stack trace:

    alliance verify   0 valid · 1 refused (the reason is printed) · 2 could not check (bad arguments, files)
    alliance park *   0 done · 1 the run failed (import aborted) · 2 bad configuration or input
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.text import Text

from alliance.core import jws
from alliance.core.attestation import (
    BUNDLE_PREFIX,
    AttestationVerdict,
    Code,
    verify_attestation,
    verify_bundle,
)
from alliance.core.park_statement import verify_park_statement
from alliance.errors import AllianceError
from alliance.park.config import PARK_ID_RE, ParkConfig, is_url, load_park_config
from alliance.park.keyring import Keyring
from alliance.park.node import ParkNode, parse_jwks, read_location

MAX_INPUT = 4 << 20  # what `verify` reads from stdin or a file; the verifier then says if it is too large

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def register(subparsers: Any) -> None:
    """Add `park serve|import|rotate-key` and `verify` to an argparse sub-parsers object."""
    park = subparsers.add_parser("park", help="run and manage a park node (园区节点)")
    actions = park.add_subparsers(dest="park_action", required=True, metavar="ACTION")

    p = actions.add_parser("serve", help="run the park node: GraphQL at /graphql, JWKS, status list")
    _config_arg(p)
    p.add_argument("--host", help="override host from park.toml")
    p.add_argument("--port", type=int, help="override port from park.toml")
    p.set_defaults(func=cmd_serve)

    p = actions.add_parser(
        "import", help="import enterprises through the adapters, score them, issue attestations"
    )
    _config_arg(p)
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.set_defaults(func=cmd_import)

    p = actions.add_parser("rotate-key", help="switch to a new signing key; the old one stays verifiable")
    _config_arg(p)
    p.add_argument("--stage", action="store_true", help="only add the next key to the JWKS (switch later)")
    p.add_argument(
        "--compromised", action="store_true", help="the old key leaked: what it signs from now is void"
    )
    p.add_argument(
        "--since", type=int, help="with --compromised: when the key was compromised (epoch seconds)"
    )
    p.set_defaults(func=cmd_rotate_key)

    v = subparsers.add_parser("verify", help="verify a rating attestation or an offline bundle")
    v.add_argument("token", help="the attestation or bundle (acb1.…); '-' reads stdin, '@FILE' reads a file")
    v.add_argument("--alliance-jwks", help="the alliance's public keys: file or URL")
    v.add_argument("--alliance", help="the alliance gateway's base URL (JWKS and statements from there)")
    v.add_argument("--statement", help="the issuing park's statement: file or URL")
    v.add_argument("--status-list", help="the issuing park's status list: file or URL")
    v.add_argument("--online", action="store_true", help="fetch the status list named by the park statement")
    v.add_argument("--json", action="store_true", help="print the verdict as JSON")
    v.add_argument("--leeway", type=int, default=60, help="allowed clock skew in seconds (default 60)")
    v.add_argument("--timeout", type=float, default=5.0, help="seconds per network request (default 5)")
    v.set_defaults(func=cmd_verify)


def _config_arg(parser: argparse.ArgumentParser) -> None:
    # Its own dest: the top-level `alliance --config` means the gateway's settings.
    parser.add_argument("--config", dest="park_config", help="the park's park.toml (default: ./park.toml)")


def _park_config(args: argparse.Namespace) -> ParkConfig:
    return load_park_config(
        getattr(args, "park_config", None) or getattr(args, "config", None) or "park.toml"
    )


def _guarded(work: Callable[[], int]) -> int:
    """Run a command; errors people can fix are printed with what to fix, never as a traceback."""
    try:
        return work()
    except AllianceError as exc:
        err.print(Text.assemble(("error: ", "bold red"), exc.message))
        problems = getattr(exc, "problems", [])
        if len(problems) > 1:
            for problem in problems:
                err.print(Text(f"  - {problem}"))
        return 2
    except KeyboardInterrupt:
        return 130


# ---------------------------------------------------------------------------------------------- park


def cmd_serve(args: argparse.Namespace) -> int:
    def work() -> int:
        import uvicorn

        from alliance.park.app import create_park_app

        cfg = _park_config(args)
        host, port = args.host or cfg.host, args.port if args.port is not None else cfg.port
        out.print(
            Text(f"park {cfg.id} ({cfg.name}) on http://{host}:{port} — status list {cfg.status_list_uri}")
        )
        uvicorn.run(create_park_app(cfg), host=host, port=port, log_level="info")
        return 0

    return _guarded(work)


def cmd_import(args: argparse.Namespace) -> int:
    def work() -> int:
        return asyncio.run(_import(_park_config(args), dry_run=args.dry_run))

    return _guarded(work)


async def _import(cfg: ParkConfig, *, dry_run: bool) -> int:
    from adapters.config import load_import
    from adapters.importer import run_plan
    from adapters.report import format_report

    node = await ParkNode.open(cfg)
    try:
        standard = node.standard  # no standard, nothing to score by: say so before reading anything
        plan = load_import(
            cfg.import_tables,
            cfg.base_dir,
            database=node.stored_records,
            known_indicators={i.code for i in standard.indicators},
        )
        report = await run_plan(plan, progress=True)
        if not report.committable:
            format_report(report, dry_run, out)
            return 1
        summary = await node.import_records(report.records, dry_run=dry_run)
        format_report(report, dry_run, out, changes=summary.changes())
        verb = "would issue" if dry_run else "issued"
        out.print(Text(f"{verb} {summary.issued} attestation(s) under {standard.key}"))
        for problem in summary.problems[:20]:
            out.print(Text(f"  - {problem}", "yellow"))
        if len(summary.problems) > 20:
            out.print(Text(f"  … and {len(summary.problems) - 20} more"))
        return 0 if report.aborted is None else 1
    finally:
        await node.close()


def cmd_rotate_key(args: argparse.Namespace) -> int:
    def work() -> int:
        cfg = _park_config(args)
        ring = Keyring.open(cfg.keys_dir)
        if args.stage:
            key = ring.stage()
            out.print(Text(f"staged next key {key.kid}: published in the JWKS, not used yet"))
            out.print(Text("ask the alliance to re-issue the park statement, then run rotate-key again"))
            return 0
        reason = "compromised" if args.compromised else "superseded"
        at = args.since if args.compromised and args.since is not None else int(time.time())
        old, new = ring.rotate(reason, at=at)
        out.print(Text(f"signing with {new}; {old} kept as {reason} (since {at})"))
        if reason == "compromised":
            out.print(
                Text("a running node re-issues what the old key signed on its next upkeep round", "yellow")
            )
        out.print(Text(f"the alliance reads the keys at {cfg.base_url}/.well-known/park-keys.json"))
        return 0

    return _guarded(work)


# ---------------------------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace) -> int:
    def work() -> int:
        verdict = asyncio.run(_verify(args))
        _print_verdict(verdict, as_json=args.json)
        return 0 if verdict else 1

    return _guarded(work)


def _read_token(arg: str) -> str:
    if arg == "-":
        text = sys.stdin.read(MAX_INPUT + 1)
    elif arg.startswith("@"):
        try:
            with open(arg[1:], encoding="utf-8", errors="replace") as fh:
                text = fh.read(MAX_INPUT + 1)
        except OSError as exc:
            raise AllianceError(f"cannot read the token from {arg[1:]}: {exc.strerror or exc}") from None
    else:
        text = arg
    if len(text) > MAX_INPUT:
        raise AllianceError(f"the input is larger than {MAX_INPUT} bytes; that is not an attestation")
    return text.strip()


async def _verify(args: argparse.Namespace) -> AttestationVerdict:
    token = _read_token(args.token)
    if not token:
        raise AllianceError("no token given")
    base = (args.alliance or "").rstrip("/")
    if args.alliance and not is_url(base):
        raise AllianceError(f"--alliance {args.alliance!r} must be an http(s) URL")
    jwks_at = args.alliance_jwks or (f"{base}/.well-known/jwks.json" if base else "")
    if not jwks_at:
        raise AllianceError("give the alliance's public keys: --alliance-jwks FILE|URL (or --alliance URL)")
    async with httpx.AsyncClient(timeout=httpx.Timeout(args.timeout), follow_redirects=False) as client:
        keys = parse_jwks(
            await read_location(jwks_at, client, what="alliance JWKS"), f"alliance JWKS {jwks_at}"
        )
        if token.startswith(BUNDLE_PREFIX):
            # Everything is inside: no network, whatever the other options say.
            return verify_bundle(token, keys, leeway=args.leeway)
        statement_at = args.statement or _statement_url(base, token)
        if not statement_at:
            raise AllianceError("give the issuing park's statement: --statement FILE|URL (or --alliance URL)")
        statement = await read_location(statement_at, client, what="park statement", max_bytes=64 << 10)
        status: str | None = None
        if args.status_list:
            status = await read_location(args.status_list, client, what="status list", max_bytes=4 << 20)
        elif args.online:
            uri = _status_uri(token, statement, keys, args.leeway)
            if uri:
                try:
                    status = await read_location(uri, client, what="status list", max_bytes=4 << 20)
                except AllianceError as exc:
                    first = verify_attestation(
                        token,
                        alliance_keys=keys,
                        park_statement=statement,
                        status_list=None,
                        leeway=args.leeway,
                        require_status=False,
                    )
                    if not first:
                        return first  # a forged token is refused as such, not as "status unknown"
                    return AttestationVerdict(
                        ok=False,
                        reason=f"status unknown: {exc.message}",
                        status=Code.STATUS_UNKNOWN,
                        claims=first.claims,
                        park_id=first.park_id,
                    )
        verdict = verify_attestation(
            token, alliance_keys=keys, park_statement=statement, status_list=status, leeway=args.leeway
        )
        if verdict.status == Code.STATUS_UNKNOWN and status is None:
            verdict = AttestationVerdict(
                ok=False,
                reason=verdict.reason + " (pass --status-list FILE|URL, or --online)",
                details=verdict.details,
                status=verdict.status,
                claims=verdict.claims,
                park_id=verdict.park_id,
            )
        return verdict


def _statement_url(base: str, token: str) -> str:
    if not base:
        return ""
    try:
        iss = jws.unverified_claims(token).get("iss")
    except jws.TokenError:
        return ""  # the verifier will say what is wrong with the token
    return f"{base}/parks/{iss}/statement" if isinstance(iss, str) and PARK_ID_RE.fullmatch(iss) else ""


def _status_uri(token: str, statement: str, keys: Any, leeway: int) -> str | None:
    """Where --online fetches the status list: the park statement's status_list_uri."""
    try:
        stmt = verify_park_statement(statement, keys, leeway=leeway)
    except jws.TokenError:
        return None  # verify_attestation refuses the statement with the reason
    if stmt.status_list_uri:
        return stmt.status_list_uri
    first = verify_attestation(
        token, alliance_keys=keys, park_statement=stmt, status_list=None, leeway=leeway, require_status=False
    )
    return first.claims["status"]["status_list"]["uri"] if first and first.claims else None


def _print_verdict(verdict: AttestationVerdict, *, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "valid": bool(verdict),
                    "status": verdict.status,
                    "reason": verdict.reason,
                    "claims": verdict.claims,
                },
                ensure_ascii=False,
            )
        )
        return
    if verdict:
        out.print(Text.assemble(("VALID", "bold green"), ": ", verdict.reason))
        claims = verdict.claims or {}
        for label, value in (
            ("enterprise", f"{claims.get('name')} ({claims.get('sub')})"),
            ("grade", f"{claims.get('grade')} (score {claims.get('score')})"),
            ("park", str(claims.get("iss"))),
            ("expires", time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(claims.get("exp", 0)))),
            ("jti", str(claims.get("jti"))),
        ):
            out.print(Text(f"  {label:<10} {value}"))
    else:
        out.print(Text.assemble(("REFUSED", "bold red"), f" ({verdict.status}): ", verdict.reason))


# ---------------------------------------------------------------------------------------------- standalone


def build_parser() -> argparse.ArgumentParser:
    """A parser with only these commands (for `python -m alliance.park.cli` and tests)."""
    parser = argparse.ArgumentParser(prog="alliance", description="园区信用联盟 — park node commands")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
