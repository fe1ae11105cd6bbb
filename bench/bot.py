"""The WeChat bot under load: 100 concurrent users asking, as WeChat delivers their messages.

    .venv/bin/python bench/bot.py [--users 100] [--rounds 5] [--parks 6] [--per-park 400]

Three processes, as in production: the parks (fake park nodes answering schema/park.graphql with real signed
attestations, from tests/bot_fixtures.py, plus a fake WeChat API), the gateway with the bot's routes (one uvicorn
worker, default settings: park deadline 1.5 s, query budget 3 s, circuit breaker after 3 failures), and the
users. Each user sends `rounds` messages one after the other (safe mode: signed and AES-encrypted with wechatpy's
WeChatCrypto): mostly 查询 + a USCC picked at random among parks × per-park enterprises (so most queries are
cache misses that fan out to every park), some 查询 + a name, some 互认. The reply time is from sending the
push to receiving the (encrypted) reply: what WeChat's 5-second clock measures.

Scenarios: healthy parks; two parks hanging (never answering); two parks hanging with the circuit breaker
disabled (every query waits for them: the worst case). Goals: p99 <= 1 s with healthy parks; every reply
within 4.5 s with parks hanging.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing the project

GOAL_P99_HEALTHY = 1.0
GOAL_MAX_HANGING = 4.5


# The parks' process ---------------------------------------------------------------------------------------
def run_parks(conn: Any, parks: int, per_park: int) -> None:
    from alliance.core.uscc import build
    from alliance.web.server import BackgroundServer
    from tests.bot_fixtures import FakePark, Holding
    from tests.fake_wechat import FakeWeChat

    grades = ["AAA", "AA", "A", "B", "C"]
    names = ["武汉东湖", "上海张江", "成都高新", "长沙高新", "济宁高新", "西安高新", "苏州工业园", "深圳高新"]
    rng = random.Random(1)
    fakes = []
    for i in range(parks):
        holdings = {}
        for j in range(per_park):
            code = build("9", "1", "420100", f"{i:02d}{j:06d}")
            grade = rng.choice(grades)
            holdings[code] = Holding(f"{names[i % len(names)]}测试科技{j:04d}有限公司", grade, 60 + rng.random() * 40)
        fakes.append(FakePark(f"park-{i}", f"{names[i % len(names)]}{i}园区", names[i % len(names)][:2], holdings))
    servers = []
    for park in fakes:
        server = BackgroundServer(park.app())
        server.server.config.timeout_keep_alive = 30  # outlive the gateway's pooled connections (5 s)
        server.start()
        park.url = server.url
        servers.append(server)
    wechat = FakeWeChat(appid="", secret="")
    wechat_server = BackgroundServer(wechat.app()).start()
    conn.send({
        "wechat": wechat_server.url,
        "parks": [{"id": p.id, "name": p.name, "city": p.city, "endpoint": p.endpoint, "status_uri": p.status_uri,
                   "jwk": p.key.public.jwk(), "usccs": sorted(p.holdings),
                   "names": [h.name for h in p.holdings.values()][:20]} for p in fakes],
    })
    while True:
        command = conn.recv()
        if command[0] == "hang":
            for park in fakes:
                park.hanging = park.id in command[1]
            conn.send("ok")
        elif command[0] == "credentials":
            wechat.appid, wechat.secret = command[1], command[2]
            conn.send("ok")
        elif command[0] == "cpu":
            conn.send(time.process_time())
        elif command[0] == "stop":
            for park in fakes:
                park.hanging = False
            for server in [*servers, wechat_server]:
                server.stop()
            conn.send("stopped")
            return


# The gateway's process ---------------------------------------------------------------------------------
def run_gateway(conn: Any, settings_kwargs: dict[str, Any], parks: list[dict[str, Any]]) -> None:
    import json

    from alliance.core.standard import demo_standard_path
    from tests.bot_fixtures import ADMIN_PRINCIPAL, STANDARD, Gateway, wechat_settings

    settings = wechat_settings(**settings_kwargs)
    gateway = Gateway(settings).start()

    async def setup(services: Any) -> None:
        document = json.loads(demo_standard_path(STANDARD[1]).read_text(encoding="utf-8"))
        await services.standards.publish(ADMIN_PRINCIPAL, document)
        for p in parks:
            await services.registry.admit(ADMIN_PRINCIPAL, id=p["id"], name=p["name"], city=p["city"],
                                          endpoint=p["endpoint"], jwks={"keys": [p["jwk"]]},
                                          accredited=[" ".join(STANDARD)], status_list_uri=p["status_uri"])

    gateway.call(setup)
    conn.send({"url": gateway.url, "token": settings.wechat_token, "appid": settings.wechat_appid,
               "aes_key": settings.wechat_aes_key, "secret": settings.wechat_secret})
    conn.recv()
    cpu = time.process_time()
    gateway.stop()
    conn.send(cpu)


# The users ----------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    seconds: float
    late: bool  # replied "success": the answer follows as a customer-service message
    ok: bool


async def users(url: str, sender: Any, catalogue: list[str], names: list[str], n_users: int, rounds: int,
                seed: int, think: tuple[float, float]) -> list[Outcome]:
    import httpx

    rng = random.Random(seed)
    out: list[Outcome] = []
    msg_ids = iter(range(seed * 10**9, seed * 10**9 + 10**8))

    def message() -> str:
        roll = rng.random()
        if roll < 0.8:
            return f"查询 {rng.choice(catalogue)}"
        if roll < 0.9:
            return f"查询 {rng.choice(names)}"
        return "互认"

    async def user(client: httpx.AsyncClient, i: int) -> None:
        openid = f"bench-user-{seed}-{i}"
        await asyncio.sleep(rng.uniform(0, think[1]))  # people do not all press send in the same instant
        for n in range(rounds):
            if n:
                await asyncio.sleep(rng.uniform(*think))  # reading the reply, typing the next message
            params, body = sender.request(sender.text_xml(openid, message(), next(msg_ids)), safe=True)
            started = time.perf_counter()
            try:
                response = await client.post(f"{url}/wechat", params=params, content=body)
            except httpx.TransportError:
                out.append(Outcome(time.perf_counter() - started, False, False))
                continue
            elapsed = time.perf_counter() - started
            ok = response.status_code == 200
            late = response.text == "success"
            if ok and not late:
                ok = bool(sender.reply_text(response))
            out.append(Outcome(elapsed, late, ok))

    # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s) could close them first.
    limits = httpx.Limits(max_connections=n_users + 10, max_keepalive_connections=n_users + 10, keepalive_expiry=2.0)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(user(client, i) for i in range(n_users)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(title: str, outcomes: list[Outcome], took: float) -> dict[str, float]:
    times = [o.seconds for o in outcomes]
    figures = {
        "p50": statistics.median(times), "p99": percentile(times, 0.99), "max": max(times),
        "late": sum(o.late for o in outcomes), "failed": sum(not o.ok for o in outcomes),
    }
    print(f"{title:<44} n={len(times):>4}  p50 {figures['p50'] * 1000:7.0f} ms  p99 {figures['p99'] * 1000:7.0f} ms"
          f"  max {figures['max'] * 1000:7.0f} ms  late {figures['late']:>3}  failed {figures['failed']:>2}"
          f"  ({len(times) / took:5.0f} replies/s)")
    return figures


def scenario(args: argparse.Namespace, world: Any, world_info: dict[str, Any], tmp: Path, *, breaker: bool,
             hang: list[str], title: str, seed: int, think: tuple[float, float]) -> dict[str, float]:
    from alliance.config import Settings
    from tests.bot_fixtures import WeChatSender

    ctx = mp.get_context("spawn")
    world.send(("hang", []))
    world.recv()
    parent, child = ctx.Pipe()
    settings_kwargs = {"data_dir": tmp / f"gateway-{seed}", "api_base": world_info["wechat"]}
    settings_kwargs["breaker_failures"] = 3 if breaker else 10**6  # 3: the default
    gateway = ctx.Process(target=run_gateway, args=(child, settings_kwargs, world_info["parks"]), daemon=True)
    gateway.start()
    if not parent.poll(60):
        raise RuntimeError("the gateway did not start within 60 s")
    info = parent.recv()
    world.send(("credentials", info["appid"], info["secret"]))
    world.recv()
    settings = Settings(wechat_token=info["token"], wechat_appid=info["appid"], wechat_aes_key=info["aes_key"])
    sender = WeChatSender(info["url"], settings)
    catalogue = [u for p in world_info["parks"] for u in p["usccs"]]
    names = [n[:8] for p in world_info["parks"] for n in p["names"]]
    world.send(("hang", hang))
    world.recv()
    world.send(("cpu",))
    parks_cpu = world.recv()
    users_cpu = time.process_time()
    started = time.perf_counter()
    outcomes = asyncio.run(users(info["url"], sender, catalogue, names, args.users, args.rounds, seed, think))
    took = time.perf_counter() - started
    users_cpu = time.process_time() - users_cpu
    world.send(("cpu",))
    parks_cpu = world.recv() - parks_cpu
    parent.send("stop")
    gateway_cpu = parent.recv()
    gateway.join(10)
    figures = report(title, outcomes, took)
    print(f"{'':<44} CPU s: gateway {gateway_cpu:.1f} (incl. start), parks {parks_cpu:.1f}, users {users_cpu:.1f}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="messages per user, one after the other")
    parser.add_argument("--parks", type=int, default=6)
    parser.add_argument("--per-park", type=int, default=400, help="enterprises each park holds")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 4.0), metavar=("MIN", "MAX"),
                        help="seconds a user takes between a reply and the next message")
    args = parser.parse_args()
    think = (args.think[0], args.think[1])
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    world, world_end = ctx.Pipe()
    parks_process = ctx.Process(target=run_parks, args=(world_end, args.parks, args.per_park), daemon=True)
    parks_process.start()
    if not world.poll(60):
        raise RuntimeError("the parks did not start within 60 s")
    world_info = world.recv()
    hanging = [p["id"] for p in world_info["parks"][-2:]]
    print(f"{args.users} users x {args.rounds} messages ({think[0]:g}-{think[1]:g} s between), {args.parks} parks x "
          f"{args.per_park} enterprises, safe mode; parks hanging in scenarios 2-3: {', '.join(hanging)}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            healthy = scenario(args, world, world_info, Path(tmp), breaker=True, hang=[], seed=1, think=think,
                               title="healthy parks")
            hung = scenario(args, world, world_info, Path(tmp), breaker=True, hang=hanging, seed=2, think=think,
                            title="2 parks hanging")
            worst = scenario(args, world, world_info, Path(tmp), breaker=False, hang=hanging, seed=3, think=think,
                             title="2 parks hanging, circuit breaker off")
            # Beyond the goals: no think time, 100 messages always in flight: the gateway's capacity.
            scenario(args, world, world_info, Path(tmp), breaker=True, hang=[], seed=4, think=(0.0, 0.0),
                     title="saturation: healthy, no think time")
    finally:
        world.send(("stop",))
        world.recv()
        parks_process.join(10)
    ok_healthy = healthy["p99"] <= GOAL_P99_HEALTHY and healthy["failed"] == 0
    ok_hanging = all(f["max"] <= GOAL_MAX_HANGING and f["failed"] == 0 for f in (hung, worst))
    print(f"goal p99 <= {GOAL_P99_HEALTHY:.1f} s with healthy parks: {'met' if ok_healthy else 'NOT met'}; "
          f"every reply within {GOAL_MAX_HANGING} s with parks hanging: {'met' if ok_hanging else 'NOT met'}; "
          f"run took {time.perf_counter() - t0:.1f} s")
    return 0 if ok_healthy and ok_hanging else 1


if __name__ == "__main__":
    raise SystemExit(main())
