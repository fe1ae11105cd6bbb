"""Federation benchmark: the gateway in front of 23 park nodes, each with a set latency.

Three processes on this machine: the park nodes (one process, each a real HTTP server on its own loopback
port, every request delayed by --latency), the gateway (`alliance serve`), and this script as the client.

Prints, for a single-enterprise query and for a 1,000-enterprise batch: p50/p99 latency, the overhead over the
slowest park's latency (from the answer's own `sources`), throughput at a given concurrency, cold and warm.

    .venv/bin/python bench/federation.py [--parks 23] [--latency 0.02] [--enterprises 3000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SINGLE = """query($u: String!) { enterprise(uscc: $u) {
  uscc name ratings { park { id } grade score verdict { ok status reason } } recognisedBy
  listings { kind } sources { park { id } status latencyMs } } }"""
BATCH = """query($u: [String!]!) { enterprises(usccs: $u) {
  uscc ratings { park { id } grade verdict { ok } } recognisedBy } }"""


# ---------------------------------------------------------------------------------------------- the park farm
async def farm(directory: Path, gateway: str, parks: int, enterprises: int, latency: float) -> None:
    from alliance.config import load_settings
    from alliance.demo.data import make_enterprises, source_kind, write_export
    from alliance.demo.runner import DemoPlan, import_export, write_park_toml
    from alliance.park.app import create_park_app
    from alliance.park.keyring import Keyring
    from alliance.web.cohost import Cohost

    plan = DemoPlan(load_settings(data_dir=directory, port=19000), enterprises=enterprises, park_count=parks)
    people = make_enterprises(plan.parks, enterprises)
    host = Cohost()
    ready = []
    apps = {}
    for i, park in enumerate(plan.parks):
        export = write_export(park, source_kind(i, rest=False), people, plan.park_dir(park))
        cfg = write_park_toml(plan, i, park, export, gateway)
        app = create_park_app(cfg)
        apps[park.id] = (app, cfg)

        async def delayed(scope, receive, send, inner=app):
            if scope["type"] == "http":
                await asyncio.sleep(latency)
            await inner(scope, receive, send)

        url = await host.start(delayed, "127.0.0.1", cfg.port)
        ready.append({"id": park.id, "name": park.name, "city": park.city, "url": url,
                      "jwks": Keyring.open(cfg.keys_dir).jwks()})
    (directory / "parks.json").write_text(json.dumps(ready, ensure_ascii=False))
    # Wait for the bench to admit the parks, then import (attestations reference the park statement).
    while not (directory / "admitted").exists():
        await asyncio.sleep(0.05)
    for app, cfg in apps.values():
        await import_export(app.state.node, cfg)
    (directory / "imported").write_text(json.dumps([e.uscc for e in people]))
    await asyncio.Event().wait()


# ---------------------------------------------------------------------------------------------- the client
def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def post(http: httpx.AsyncClient, url: str, query: str, variables: dict, token: str) -> tuple[float, dict]:
    started = time.perf_counter()
    r = await http.post(url, json={"query": query, "variables": variables},
                        headers={"authorization": f"Bearer {token}", "accept": "application/graphql-response+json"})
    elapsed = (time.perf_counter() - started) * 1000
    body = r.json()
    if "errors" in body:
        raise RuntimeError(body["errors"][:2])
    return elapsed, body["data"]


async def single_round(http: httpx.AsyncClient, url: str, token: str, codes: list[str]) -> dict[str, float]:
    latencies, overheads = [], []
    for code in codes:
        ms, data = await post(http, url, SINGLE, {"u": code}, token)
        refused = [r["verdict"] for r in data["enterprise"]["ratings"] if not r["verdict"]["ok"]]
        if refused:  # a benchmark of refusals would measure the wrong thing
            raise RuntimeError(f"{code}: attestation refused: {refused[0]}")
        asked = [s["latencyMs"] for s in data["enterprise"]["sources"] if s["status"] == "OK" and s["latencyMs"]]
        latencies.append(ms)
        if asked:
            overheads.append(ms - max(asked))
    return {"p50": pct(latencies, 50), "p99": pct(latencies, 99),
            "overhead_p50": pct(overheads, 50) if overheads else float("nan")}


async def throughput(http: httpx.AsyncClient, url: str, token: str, codes: list[str], concurrency: int,
                     seconds: float) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        i = offset
        while time.perf_counter() < stop:
            await post(http, url, SINGLE, {"u": codes[i % len(codes)]}, token)
            done += 1
            i += concurrency

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return done / (time.perf_counter() - started)


ALLIANCE = [sys.executable, "-m", "alliance.cli"]


def gateway_env(data_dir: Path, cache_fresh: float) -> dict[str, str]:
    return {**os.environ, "ALLIANCE_DATA_DIR": str(data_dir), "ALLIANCE_CACHE_FRESH": str(cache_fresh),
            "ALLIANCE_PARK_DEADLINE": "2.0", "ALLIANCE_QUERY_BUDGET": "5.0", "ALLIANCE_MAX_BATCH": "1000"}


async def start_gateway(http: httpx.AsyncClient, env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen([*ALLIANCE, "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the gateway did not start")


async def client(args: argparse.Namespace, directory: Path) -> None:
    gw_dir = directory / "gateway"
    port = args.port
    env = gateway_env(gw_dir, 600)
    alliance = ALLIANCE
    parks_proc = gateway = second = None
    try:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as http:
            gateway = await start_gateway(http, env, port)
            token = subprocess.run([*alliance, "token", "issue", "--role", "alliance-admin"], env=env, cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout.strip()
            from alliance.core.standard import demo_standard_path

            doc = json.loads(demo_standard_path("2025.1").read_text(encoding="utf-8"))
            await post(http, f"{url}/graphql", "mutation($d: JSON!) { publishStandard(document: $d) { id } }",
                       {"d": doc}, token)
            farm_dir = directory / "farm"
            farm_dir.mkdir()
            parks_proc = subprocess.Popen(
                [sys.executable, __file__, "--farm", str(farm_dir), "--gateway", url, "--parks", str(args.parks),
                 "--enterprises", str(args.enterprises), "--latency", str(args.latency)], cwd=ROOT)
            while not (farm_dir / "parks.json").exists():
                await asyncio.sleep(0.1)
            for p in json.loads((farm_dir / "parks.json").read_text()):
                await post(http, f"{url}/graphql", "mutation($i: AdmitParkInput!) { admitPark(input: $i) { id } }",
                           {"i": {"id": p["id"], "name": p["name"], "city": p["city"],
                                  "endpoint": f"{p['url']}/graphql", "jwks": p["jwks"], "accredited": ["ACS 2025.1"],
                                  "statusListUri": f"{p['url']}/statuslists/1"}}, token)
            (farm_dir / "admitted").write_text("1")
            while not (farm_dir / "imported").exists():
                await asyncio.sleep(0.1)
            codes = json.loads((farm_dir / "imported").read_text())
            gql = f"{url}/graphql"

            print(f"{args.parks} parks, {args.latency * 1000:.0f} ms latency each, {len(codes)} enterprises")
            single = codes[:200]
            cold = await single_round(http, gql, token, single)
            warm = await single_round(http, gql, token, single)
            qps = await throughput(http, gql, token, single, args.concurrency, 5.0)
            print(f"single, cold (all parks asked):  p50 {cold['p50']:.1f} ms  p99 {cold['p99']:.1f} ms  "
                  f"overhead over slowest park p50 {cold['overhead_p50']:.1f} ms")
            print(f"single, warm (verified cache):   p50 {warm['p50']:.1f} ms  p99 {warm['p99']:.1f} ms")
            print(f"single, warm, {args.concurrency} concurrent:      {qps:.0f} queries/s")

            batch = codes[1000:2000]
            times = []
            for label in ("cold", "warm"):
                ms, data = await post(http, gql, BATCH, {"u": batch}, token)
                verified = sum(1 for e in data["enterprises"] for r in e["ratings"] if r["verdict"]["ok"])
                times.append(ms)
                print(f"batch of {len(batch)}, {label}:            {ms:.0f} ms ({verified} attestations verified"
                      f"{' or from cache' if label == 'warm' else ''})")

            # A second gateway on the same registry that never answers from its cache (cache_fresh 0): once it
            # has learnt which parks hold which enterprise it asks only those, and verifies what they send.
            second = await start_gateway(http, gateway_env(gw_dir, 0), port + 1)
            other = codes[2000:3000]
            for label in ("cold index: every park asked", "index known: only the holders asked"):
                ms, data = await post(http, f"http://127.0.0.1:{port + 1}/graphql", BATCH, {"u": other}, token)
                verified = sum(1 for e in data["enterprises"] for r in e["ratings"] if r["verdict"]["ok"])
                print(f"batch of {len(other)}, no answer cache, {label}: {ms:.0f} ms ({verified} valid attestations)")
    finally:
        for proc in (parks_proc, gateway, second):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parks", type=int, default=23)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--enterprises", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=18000)
    parser.add_argument("--farm", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--gateway", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.farm:
        asyncio.run(farm(args.farm, args.gateway, args.parks, args.enterprises, args.latency))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(client(args, Path(tmp)))


if __name__ == "__main__":
    main()
