"""docker-compose.yml: valid under the Compose specification, and every command it runs exists here.

No Docker engine runs on the development machines, so this is what can be checked without one.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import jsonschema
import pytest
import yaml

from alliance.cli import build_parser
from alliance.park.config import load_park_config

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_file_follows_the_specification(vectors_dir):
    schema = json.loads((vectors_dir / "compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(COMPOSE)


def test_production_services_are_there():
    services = COMPOSE["services"]
    assert {"gateway", "postgres", "redis"} <= set(services)
    parks = [name for name in services if name.startswith("park-")]
    assert len(parks) >= 3
    env = services["gateway"]["environment"]
    assert env["ALLIANCE_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["ALLIANCE_REDIS_URL"].startswith("redis://")
    # Each park keeps its own keys: no two parks share a key volume.
    key_volumes = [next(v for v in services[p]["volumes"] if v.endswith("/keys")) for p in parks]
    assert len(set(key_volumes)) == len(parks)


@pytest.mark.parametrize("name", sorted(COMPOSE["services"]))
def test_every_project_command_exists(name):
    service = COMPOSE["services"][name]
    if "build" not in service:
        return  # postgres, redis: upstream images
    command = service.get("command")
    argv = command if isinstance(command, list) else shlex.split(command)
    assert argv[0] == "alliance"
    args = build_parser().parse_args(argv[1:])  # exits (fails the test) on an unknown command or option
    assert callable(args.func)
    for volume in service.get("volumes", []):
        source, _, target = volume.partition(":")
        if source.startswith("./"):
            assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repository"
        if target.startswith("/etc/park/park.toml"):
            cfg = load_park_config(ROOT / source)
            assert cfg.public_url == f"http://{name}:{cfg.port}"
            assert cfg.alliance_url == "http://gateway:8000"


def test_dockerfile_installs_the_project():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install -e ." in text
    for folder in ("alliance", "adapters", "bot", "schema"):
        assert f"COPY {folder} ./{folder}" in text
