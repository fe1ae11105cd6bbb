"""Configuration: `ALLIANCE_*` environment variables over an optional TOML file over defaults.

The TOML file is `ALLIANCE_CONFIG` (or `--config`); its keys are the field names below, e.g. `port = 8000`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from alliance.errors import InvalidInput


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(".alliance")
    database_url: str = ""  # empty: SQLite file in data_dir
    redis_url: str = ""  # empty: in-process cache and de-duplication
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # how others reach this gateway; defaults to http://host:port
    # Tokens and clocks
    token_lifetime: int = 8 * 3600
    clock_skew: int = 60
    park_statement_lifetime: int = 6 * 3600
    # Federation
    park_deadline: float = 1.5
    query_budget: float = 3.0
    breaker_failures: int = 3
    breaker_reset: float = 10.0
    max_batch: int = 500
    cache_fresh: float = 30.0  # answer from verified cache without asking the park for this long
    index_ttl: float = 600.0  # trust the index of which park holds which enterprise for this long
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    introspection: bool = True
    cors_origins: tuple[str, ...] = ()
    # WeChat
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_aes_key: str = ""
    wechat_api_base: str = "https://api.weixin.qq.com"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'alliance.db').resolve()}"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def alliance_key_path(self) -> Path:
        return self.data_dir / "keys" / "alliance.jwk.json"


def _coerce(name: str, raw: Any, target: Any) -> Any:
    try:
        if isinstance(target, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(target, int):
            return int(raw)
        if isinstance(target, float):
            return float(raw)
        if isinstance(target, Path):
            return Path(raw)
        if isinstance(target, tuple):
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
        return str(raw)
    except ValueError as exc:
        raise InvalidInput(f"setting {name}: cannot read {raw!r} ({exc})") from exc


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Defaults, then the TOML file, then `ALLIANCE_*` variables, then explicit overrides."""
    base = Settings()
    values: dict[str, Any] = {}
    names = {f.name for f in fields(Settings)} - {"extra"}
    path = config_file or os.environ.get("ALLIANCE_CONFIG")
    extra: dict[str, Any] = {}
    if path:
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInput(f"configuration file {path}: {exc}") from exc
        for key, value in doc.items():
            if key in names:
                values[key] = value
            else:
                extra[key] = value
    for name in names:
        env = os.environ.get(f"ALLIANCE_{name.upper()}")
        if env is not None and env != "":
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    coerced = {k: _coerce(k, v, getattr(base, k)) for k, v in values.items()}
    return replace(base, **coerced, extra=extra)
