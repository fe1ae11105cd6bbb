"""/chat in headless Chromium (Debian's chromium, driven by playwright-core from npm), against a running gateway
with park nodes. The screenshot is kept in tests/artifacts/chat.png."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.bot_fixtures import bot_world
from tests.conftest import ROOT, need

WEBTEST = ROOT / "bot" / "webtest"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")


def _playwright() -> bool:
    if (WEBTEST / "node_modules" / "playwright-core").is_dir():
        return True
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=WEBTEST, capture_output=True, text=True,
                          timeout=300)
    return done.returncode == 0


def test_chat_page_in_chromium(tmp_path):
    need(CHROMIUM.exists(), "Chromium is absent: apt-get install chromium (or run .ci/setup-browsers)")
    need(bool(shutil.which("node") and shutil.which("npm")), "Node.js is absent: install Node.js 20 with npm")
    need(_playwright(), "playwright-core is absent: run npm install in bot/webtest (or .ci/setup-browsers)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "chat.png"
    shot.unlink(missing_ok=True)
    with bot_world(tmp_path) as (gateway, _parks, fake):
        page = httpx.get(f"{gateway.url}/chat")
        assert page.status_code == 200 and "default-src 'none'" in page.headers["content-security-policy"]
        run = subprocess.run(["node", "chat_page.mjs", gateway.url, str(shot), str(CHROMIUM)], cwd=WEBTEST,
                             capture_output=True, text=True, timeout=90)
        assert run.returncode == 0, run.stderr[-3000:]
        seen = json.loads(run.stdout.strip().splitlines()[-1])
        assert seen["ok"], seen.get("failure")
        assert not fake.calls  # the web chat never talks to WeChat
    assert seen["title"] == "园区信用联盟 · 信用查询"
    assert "欢迎" in seen["welcome"] and "查询" in seen["welcome"]
    replies = seen["replies"]
    assert len(replies) == 6, seen
    report, recognition, choices, chosen, invalid, again = replies
    assert "华为技术有限公司" in report and "AA（信用良好）" in report and "武汉东湖高新区" in report, report
    assert "联盟互认：3/4" in report and "成都高新区：未采用标准 ACS 2025.1" in report, report
    assert "联盟互认详情" in recognition and "✅ 上海张江高新区" in recognition, recognition
    assert "请回复序号" in choices and "比亚迪股份有限公司" in choices and "中航重机股份有限公司" in choices, choices
    assert chosen.startswith("【") and "股份有限公司" in chosen, chosen
    assert "校验位应为 6" in invalid, invalid
    assert "评分" not in again, again  # a web visitor sees the public view only
    # Nothing but the gateway itself was contacted: no fonts, scripts or trackers from the internet.
    assert seen["requests"] and all(u.startswith(gateway.url) for u in seen["requests"]), seen["requests"]
    assert not seen["errors"], seen["errors"]
    assert seen["cookie"] == [{"name": "alliance_chat", "httpOnly": True, "sameSite": "Strict"}]
    assert shot.exists() and shot.stat().st_size > 10_000
