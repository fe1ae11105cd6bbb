"""The mini-program: its project structure, and its pages' unit tests (miniprogram-simulate under jest, node)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from tests.conftest import ROOT, need

MP = ROOT / "bot" / "miniprogram"


def test_project_structure():
    app = json.loads((MP / "app.json").read_text(encoding="utf-8"))
    assert app["pages"] == ["pages/search/search", "pages/report/report", "pages/recognition/recognition",
                            "pages/qrcode/qrcode"]
    for page in app["pages"]:
        for ext in ("js", "wxml", "wxss", "json"):
            assert (MP / f"{page}.{ext}").is_file(), f"{page}.{ext}"
        json.loads((MP / f"{page}.json").read_text(encoding="utf-8"))
    for name in ("app.js", "app.wxss", "project.config.json", "sitemap.json"):
        assert (MP / name).is_file()
    config = json.loads((MP / "project.config.json").read_text(encoding="utf-8"))
    assert config["compileType"] == "miniprogram"
    # Nothing on the client handles WeChat's session_key: the gateway keeps it to itself.
    sources = [p for p in MP.rglob("*.js") if "node_modules" not in p.parts and "test" not in p.parts]
    assert sources and not any(re.search(r"session_?key", p.read_text(encoding="utf-8"), re.I) for p in sources)


def test_pages_with_miniprogram_simulate():
    need(bool(shutil.which("node") and shutil.which("npm") and shutil.which("npx")),
         "Node.js and npm are absent: install Node.js 20 with npm (or run .ci/setup-browsers)")
    if not (MP / "node_modules" / ".bin" / "jest").exists():
        install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=MP, capture_output=True, text=True,
                                 timeout=300)
        if install.returncode != 0:  # a lock from another npm: fall back to a plain install
            install = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=MP, capture_output=True,
                                     text=True, timeout=300)
        need(install.returncode == 0, f"npm could not install the mini-program's test tools: {install.stderr[-500:]}")
    run = subprocess.run(["npx", "--no-install", "jest", "--ci"], cwd=MP, capture_output=True, text=True,
                         timeout=180)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    summary = re.search(r"Tests:\s+(.*)", output)
    assert summary and "failed" not in summary.group(1) and re.search(r"\d+ passed", summary.group(1)), output[-2000:]
