"""`alliance demo`: the gateway and 23 member parks on one machine, real HTTP on loopback ports.

First start: publish the standard, write each park's export and park.toml, admit the parks, import their
exports through the adapters, put some enterprises on red and black lists. Later starts reuse the data dir.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from alliance.config import Settings
from alliance.core.standard import demo_standard_path, load_standard_file
from alliance.demo.data import Enterprise, import_tables, make_enterprises, source_kind, write_export
from alliance.demo.legacy import legacy_app
from alliance.demo.parks import PARKS, DemoPark
from alliance.errors import NotFound
from alliance.gateway.app import create_app
from alliance.park.app import create_park_app
from alliance.park.config import ParkConfig, load_park_config
from alliance.park.keyring import Keyring
from alliance.park.node import ParkNode
from alliance.services.app import AllianceServices
from alliance.services.auth import ADMIN, PARK_OPERATOR, Principal
from alliance.web.cohost import Cohost

console = Console()
ADMIN_PRINCIPAL = Principal("demo-setup", ADMIN)
DEFAULT_ENTERPRISES = 3000


@dataclass
class DemoPlan:
    settings: Settings
    enterprises: int = DEFAULT_ENTERPRISES
    park_count: int = len(PARKS)

    @property
    def parks(self) -> tuple[DemoPark, ...]:
        return PARKS[: self.park_count]

    def park_port(self, index: int) -> int:
        return self.settings.port + 101 + index

    def park_dir(self, park: DemoPark) -> Path:
        return (self.settings.data_dir / "parks" / park.id).resolve()


def write_park_toml(plan: DemoPlan, index: int, park: DemoPark, export: Path, gateway_url: str,
                    legacy_url: str = "") -> ParkConfig:
    directory = plan.park_dir(park)
    text = f"""# Park node of {park.name}: written by `alliance demo`.
id = "{park.id}"
name = "{park.name}"
city = "{park.city}"
host = "{plan.settings.host}"
port = {plan.park_port(index)}
data_dir = "data"

[alliance]
url = "{gateway_url}"
timeout = 5.0

[standard]
id = "ACS"

[status_list]
ttl = 300
size = 16384
{import_tables(source_kind(index, rest=bool(legacy_url)), export, legacy_url)}"""
    (directory / "park.toml").write_text(text, encoding="utf-8")
    return load_park_config(directory / "park.toml")


async def import_export(node: ParkNode, cfg: ParkConfig) -> tuple[int, int]:
    """Read the park's export through the adapters, as `alliance park import` does."""
    from adapters.config import load_import
    from adapters.importer import run_plan

    plan = load_import(cfg.import_tables, cfg.base_dir, database=node.stored_records,
                       known_indicators={i.code for i in node.standard.indicators})
    report = await run_plan(plan, progress=False)
    if not report.committable:
        raise RuntimeError(f"{cfg.id}: import refused: {report.aborted or report.problems[:3]}")
    summary = await node.import_records(report.records)
    return len(report.records), summary.issued


async def put_on_lists(node: ParkNode, enterprises: list[Enterprise]) -> int:
    operator = Principal(f"operator@{node.id}", PARK_OPERATOR, park_id=node.id)
    listed = 0
    for e in enterprises:
        if e.home != node.id or e.listing is None:
            continue
        if e.listing == "black":
            reason, basis = "被人民法院列为失信被执行人", "《最高人民法院关于公布失信被执行人名单信息的若干规定》"
        else:
            reason, basis = "纳税信用A级且连续三年无违法记录", "《关于对纳税信用A级纳税人实施联合激励措施的合作备忘录》"
        month = 1 + (int(e.uscc[10:12]) % 11)
        await node.list_enterprise(operator, uscc=e.uscc, kind=e.listing, reason=reason, legal_basis=basis,
                                   since=f"2026-{month:02d}-15")
        listed += 1
    return listed


class Alliance:
    """The whole alliance in one process: start it, set it up, stop it."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self.host = Cohost()
        self.services: AllianceServices | None = None
        self.park_apps: dict[str, object] = {}
        self.configs: dict[str, ParkConfig] = {}
        self.gateway_url = ""

    async def start(self) -> None:
        plan, settings = self.plan, self.plan.settings
        started = time.monotonic()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        marker = settings.data_dir / "demo.json"
        first = not marker.exists()
        self.services = services = await AllianceServices.open(settings)
        if await services.standards.current("ACS") is None:
            document = load_standard_file(demo_standard_path("2025.1")).document
            await services.standards.publish(ADMIN_PRINCIPAL, document)
        self.gateway_url = await self.host.start(create_app(settings, services=services), settings.host, settings.port)
        legacy_url = await self.host.start(legacy_app(settings.data_dir.resolve() / "parks"), settings.host,
                                           settings.port + 100)

        enterprises = make_enterprises(plan.parks, plan.enterprises) if first else []
        for i, park in enumerate(plan.parks):
            export = next((p for p in plan.park_dir(park).glob(f"{park.id}-*") if p.suffix != ".toml"), None)
            if first or export is None:
                enterprises = enterprises or make_enterprises(plan.parks, plan.enterprises)
                export = write_export(park, source_kind(i), enterprises, plan.park_dir(park))
            self.configs[park.id] = write_park_toml(plan, i, park, export, self.gateway_url, legacy_url)

        await self._admit_all()
        for park in plan.parks:
            app = create_park_app(self.configs[park.id])
            self.park_apps[park.id] = app
            await self.host.start(app, settings.host, self.configs[park.id].port)

        if first:
            totals = await asyncio.gather(*(self._load(park.id, enterprises) for park in plan.parks))
            marker.write_text(json.dumps({"parks": len(plan.parks), "enterprises": len(enterprises),
                                          "ratings": sum(t[0] for t in totals)}, ensure_ascii=False))
        self.elapsed = time.monotonic() - started

    async def _admit_all(self) -> None:
        assert self.services is not None
        registry = self.services.registry
        for park in self.plan.parks:
            cfg = self.configs[park.id]
            base = f"http://{cfg.host}:{cfg.port}"
            endpoint, status_uri = f"{base}/graphql", f"{base}/statuslists/1"
            try:
                record = await registry.get(park.id)
            except NotFound:
                keys = Keyring.open(cfg.keys_dir).jwks()
                await registry.admit(ADMIN_PRINCIPAL, id=park.id, name=park.name, city=park.city, endpoint=endpoint,
                                     jwks=keys, accredited=["ACS 2025.1"], status_list_uri=status_uri)
                continue
            if record.endpoint != endpoint:
                await registry.move(ADMIN_PRINCIPAL, park.id, endpoint, status_uri)

    async def _load(self, park_id: str, enterprises: list[Enterprise]) -> tuple[int, int]:
        node: ParkNode = self.park_apps[park_id].state.node  # type: ignore[attr-defined]
        imported, _ = await import_export(node, self.configs[park_id])
        listed = await put_on_lists(node, enterprises)
        return imported, listed

    async def stop(self) -> None:
        await self.host.stop()
        if self.services is not None:
            await self.services.close()


def banner(alliance: Alliance) -> None:
    s = alliance.plan.settings
    services = alliance.services
    assert services is not None
    token = services.tokens.issue(ADMIN, "demo-admin", lifetime=7 * 24 * 3600)
    url = alliance.gateway_url
    lines = [
        f"[b]园区信用联盟 demo[/b]: gateway and {len(alliance.park_apps)} member parks ready "
        f"in {alliance.elapsed:.1f} s",
        "",
        f"GraphiQL      {url}/graphql",
        f"Chat page     {url}/chat",
        f"Dashboard     {url}/dashboard",
        f"Metrics       {url}/metrics",
        f"Parks         {', '.join(f'{c.name} :{c.port}' for c in list(alliance.configs.values())[:3])}, …",
        "",
        "Try in GraphiQL:",
        '  { parks { id name city health } }',
        '  { searchEnterprises(query: "武汉") { uscc name parks { name } } }',
        '  { enterprise(uscc: "<a USCC from the search>") { name',
        "      ratings { park { name } grade verdict { ok reason } }",
        "      recognition { park { name } recognised reason } listings { kind reason }",
        "      sources { park { id } status } } }",
        "",
        f"WeChat: token={s.wechat_token or '(set ALLIANCE_WECHAT_TOKEN)'} appid={s.wechat_appid or '-'} "
        f"aes_key={s.wechat_aes_key or '-'}  endpoint {url}/wechat",
        f"Data: {s.data_dir.resolve()}  (a second start reuses it)   Ctrl-C stops everything.",
    ]
    console.print(Panel("\n".join(lines), expand=False))
    # Outside the panel, so that it copies as one line.
    console.print("Admin token (send as 'Authorization: Bearer …'):")
    console.print(token, soft_wrap=True)


def with_wechat_credentials(settings: Settings) -> Settings:
    """The demo's own official-account settings when none are configured, kept in the data dir across starts."""
    if settings.wechat_token and settings.wechat_aes_key:
        return settings
    from bot.wechat import new_credentials

    path = settings.data_dir / "wechat.json"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if path.exists():
        creds = json.loads(path.read_text(encoding="utf-8"))
    else:
        creds = {**new_credentials(), "wechat_appid": "wx" + secrets.token_hex(8)}
        path.write_text(json.dumps(creds), encoding="utf-8")
    return replace(settings, wechat_token=settings.wechat_token or creds["wechat_token"],
                   wechat_aes_key=settings.wechat_aes_key or creds["wechat_aes_key"],
                   wechat_appid=settings.wechat_appid or creds["wechat_appid"])


async def _main(settings: Settings) -> None:
    alliance = Alliance(DemoPlan(with_wechat_credentials(settings)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await alliance.start()
        banner(alliance)
        await stop.wait()
        console.print("stopping…")
    finally:
        await alliance.stop()


def run_demo(settings: Settings) -> int:
    asyncio.run(_main(settings))
    return 0
