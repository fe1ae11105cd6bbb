"""`alliance demo` as a newcomer runs it: a subprocess, 23 parks, a federated query, the pages, Ctrl-C, restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from alliance.web.server import bound_socket

ROOT = Path(__file__).resolve().parents[1]


def free_port_block(size: int = 124) -> int:
    """A port P such that P … P+size-1 are all free: the demo puts its parks at P+101 … P+123."""
    for base in range(20000, 60000 - size, 977):
        socks = []
        try:
            for offset in range(size):
                socks.append(bound_socket("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no block of free ports")


class Demo:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.lines: list[str] = []
        env = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "alliance.cli", "demo", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_ready(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = "".join(self.lines)
            if "ready in" in text:
                return text
            assert self.proc.poll() is None, f"the demo stopped:\n{text}"
            time.sleep(0.2)
        raise AssertionError("the demo was not ready in time:\n" + "".join(self.lines))

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def gql(self, query: str) -> dict:
        r = httpx.post(f"http://127.0.0.1:{self.port}/graphql", json={"query": query}, timeout=30)
        body = r.json()
        assert "errors" not in body, body
        return body["data"]


def test_demo_runs_the_whole_alliance_and_restarts_on_its_data(tmp_path):
    port = free_port_block()
    demo = Demo(tmp_path / "data", port)
    try:
        banner = demo.wait_ready()
        assert "/dashboard" in banner and "/chat" in banner and "Admin token" in banner
        parks = demo.gql("{ parks { id name city health } }")["parks"]
        assert len(parks) == 23
        assert {"武汉东湖新技术开发区", "上海张江高科技园区", "成都高新技术产业开发区", "长沙高新技术产业开发区",
                "济宁高新技术产业开发区"} <= {p["name"] for p in parks}
        hits = demo.gql('{ searchEnterprises(query: "武汉", first: 5) { uscc name } }')["searchEnterprises"]
        assert hits
        report = demo.gql(f'{{ enterprise(uscc: "{hits[0]["uscc"]}") {{ name ratings {{ grade verdict {{ ok }} }} '
                          "recognisedBy sources { status } } }")["enterprise"]
        assert report["ratings"] and all(r["verdict"]["ok"] for r in report["ratings"])
        assert report["recognisedBy"] >= 1
        assert {s["status"] for s in report["sources"]} <= {"OK", "SKIPPED", "CACHED"}
        dashboard = httpx.get(f"http://127.0.0.1:{port}/dashboard", timeout=30)
        assert dashboard.status_code == 200 and "互认矩阵" in dashboard.text
        chat = httpx.get(f"http://127.0.0.1:{port}/chat", timeout=30)
        assert chat.status_code == 200
    finally:
        assert demo.stop() == 0

    again = Demo(tmp_path / "data", port)
    try:
        again.wait_ready()
        assert len(again.gql("{ parks { id } }")["parks"]) == 23
        assert again.gql("{ standards { version status } }")["standards"] == [
            {"version": "2025.1", "status": "PUBLISHED"}]
    finally:
        assert again.stop() == 0
