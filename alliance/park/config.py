"""A park node's configuration: one TOML file (`park.toml`), read once, every problem reported at once.

```toml
id = "chengdu-hi-tech"            # the park's id in the alliance (the `sub` of its park statement)
name = "成都高新区"
city = "成都"
host = "127.0.0.1"
port = 8101
public_url = "https://credit.cdht.example"   # how others reach this node; default http://host:port
data_dir = "data"                 # relative to this file; keys, database, caches
# database_url = "postgresql+asyncpg://…"    # default: SQLite in data_dir
clock_skew = 60                   # seconds of leeway on token times
max_batch = 500                   # codes per ratings(usccs) request
# max_depth = 8, max_aliases = 30, max_tokens = 3000, introspection = true   (GraphQL limits)

[alliance]
url = "https://alliance.example"  # the gateway: statements, JWKS and the current standard come from it
# jwks = "alliance-jwks.json"     # file or URL; default {url}/.well-known/jwks.json
# statement = "{url}/parks/{id}/statement"   # file or URL; {id} is a park id; default as shown
timeout = 5.0

[standard]
id = "ACS"
# version = "2025.1"              # pin a version; default: the alliance's current one
# file = "acs-2025.1.json"        # offline: score by this file instead of asking the gateway
refresh = 3600                    # seconds between asks for a new standard (a new one re-issues everything)

[status_list]
ttl = 300                         # seconds a verifier may cache the list
lifetime = 86400                  # validity of one signed list; re-signed well before
size = 131072                     # entries (2 bits each); indices are drawn at random for herd privacy

[attestation]
# validity = 31536000             # seconds; default: the standard's validity_days

[source]                          # [source], [mapping], [scales] and [import] go to the adapters as written
kind = "csv"                      # (adapters.config.load_import); see docs/adapters.md
path = "enterprises.csv"
[mapping]
uscc = "统一社会信用代码"
name = "企业名称"
[mapping.indicators.TAX_CREDIT]
field = "纳税信用等级"
type = "label"
```
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from alliance.errors import InvalidInput

DEFAULT_STATEMENT = "{url}/parks/{id}/statement"
DEFAULT_JWKS = "{url}/.well-known/jwks.json"
STATUS_LIST_PATH = "/statuslists/1"
ADAPTER_TABLES = ("source", "mapping", "scales", "import")
# A park id travels in URL paths (/parks/{id}/statement): letters, digits, dot, dash and underscore only.
PARK_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def is_url(location: str) -> bool:
    return urlparse(location).scheme in ("http", "https")


@dataclass(frozen=True)
class ParkConfig:
    id: str
    name: str
    city: str = ""
    host: str = "127.0.0.1"
    port: int = 8100
    public_url: str = ""
    data_dir: Path = Path(".park")
    database_url: str = ""
    clock_skew: int = 60
    max_batch: int = 500
    max_depth: int = 8
    max_aliases: int = 30
    max_tokens: int = 3000
    introspection: bool = True
    # [alliance]
    alliance_url: str = ""
    alliance_jwks: str = ""
    alliance_statement: str = ""
    alliance_timeout: float = 5.0
    # [standard]
    standard_id: str = "ACS"
    standard_version: str = ""
    standard_file: Path | None = None
    standard_refresh: int = 3600  # seconds between asks for the alliance's current standard
    # [status_list]
    status_ttl: int = 300
    status_lifetime: int = 86400
    status_size: int = 131072
    # [attestation]
    attestation_validity: int = 0  # 0: the standard's validity_days
    # [source], [mapping], [scales], [import]: the adapters' business, kept as written
    import_tables: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = Path(".")

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def status_list_uri(self) -> str:
        return self.base_url + STATUS_LIST_PATH

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'park.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def jwks_location(self) -> str:
        """Where the alliance's public keys are read from (file or URL)."""
        if self.alliance_jwks:
            return self.alliance_jwks
        if self.alliance_url:
            return DEFAULT_JWKS.format(url=self.alliance_url.rstrip("/"))
        return ""

    def statement_location(self, park_id: str | None = None) -> str:
        """Where the statement of `park_id` (default: this park) is read from (file or URL)."""
        park_id = park_id or self.id
        template = self.alliance_statement
        if template and "{id}" in template:
            return template.replace("{url}", self.alliance_url.rstrip("/")).replace("{id}", park_id)
        if template and park_id == self.id:
            return template
        if self.alliance_url:
            return DEFAULT_STATEMENT.format(url=self.alliance_url.rstrip("/"), id=park_id)
        return ""

    def resolve(self, location: str) -> str:
        """A file location relative to the config file; URLs pass through."""
        if not location or is_url(location):
            return location
        path = Path(location)
        return str(path if path.is_absolute() else self.base_dir / path)


# ---------------------------------------------------------------------------------------------- reading


class _Reader:
    """Typed access to one TOML table that collects problems instead of stopping at the first."""

    def __init__(self, table: dict[str, Any], where: str, problems: list[str]) -> None:
        self.table, self.where, self.problems = table, where, problems

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str):
            self.problems.append(f"{self._name(key)} must be a string, got {value!r}")
            return default
        if required and not value.strip():
            self.problems.append(f"{self._name(key)} is required")
        return value.strip()

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.append(f"{self._name(key)} must be an integer, got {value!r}")
            return default
        if value < minimum:
            self.problems.append(f"{self._name(key)} must be at least {minimum}, got {value}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.problems.append(f"{self._name(key)} must be a positive number, got {value!r}")
            return default
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.problems.append(f"{self._name(key)} must be true or false, got {value!r}")
            return default
        return value

    def table_of(self, key: str) -> dict[str, Any]:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(f"[{self._name(key)}] must be a table")
            return {}
        return value


_KNOWN_TOP = {
    "id",
    "name",
    "city",
    "host",
    "port",
    "public_url",
    "data_dir",
    "database_url",
    "clock_skew",
    "max_batch",
    "max_depth",
    "max_aliases",
    "max_tokens",
    "introspection",
    "alliance",
    "standard",
    "status_list",
    "attestation",
    *ADAPTER_TABLES,
}


def parse_config(doc: dict[str, Any], base_dir: Path) -> ParkConfig:
    """Build a ParkConfig from a parsed TOML document; InvalidInput lists every problem."""
    problems: list[str] = []
    top = _Reader(doc, "", problems)
    unknown = sorted(set(doc) - _KNOWN_TOP)
    if unknown:
        problems.append(f"unknown setting(s) {', '.join(unknown)}")
    park_id = top.text("id", required=True)
    if park_id and not PARK_ID_RE.fullmatch(park_id):
        problems.append(f"id {park_id!r} must be 1 to 128 letters, digits, '.', '-' or '_'")
    name = top.text("name", required=True)
    port = top.integer("port", 8100, minimum=0)
    if port > 65535:
        problems.append(f"port {port} is not a TCP port")
    public_url = top.text("public_url")
    if public_url and not is_url(public_url):
        problems.append(f"public_url {public_url!r} must be an http(s) URL")
    data_dir = Path(top.text("data_dir", ".park") or ".park")
    alliance = _Reader(top.table_of("alliance"), "alliance", problems)
    standard = _Reader(top.table_of("standard"), "standard", problems)
    status = _Reader(top.table_of("status_list"), "status_list", problems)
    attestation = _Reader(top.table_of("attestation"), "attestation", problems)
    alliance_url = alliance.text("url").rstrip("/")
    if alliance_url and not is_url(alliance_url):
        problems.append(f"alliance.url {alliance_url!r} must be an http(s) URL")
    jwks = alliance.text("jwks")
    if not alliance_url and not jwks:
        problems.append("[alliance] needs url (the gateway) or jwks (the alliance's public keys)")
    standard_file = standard.text("file")
    if not standard_file and not alliance_url:
        problems.append("[standard] needs file when [alliance] has no url to fetch the standard from")
    ttl = status.integer("ttl", 300, minimum=1)
    lifetime = status.integer("lifetime", 86400, minimum=60)
    if ttl > lifetime:
        problems.append(f"status_list.ttl ({ttl}) must not exceed status_list.lifetime ({lifetime})")
    size = status.integer("size", 131072, minimum=16)
    cfg = ParkConfig(
        id=park_id,
        name=name,
        city=top.text("city"),
        host=top.text("host", "127.0.0.1") or "127.0.0.1",
        port=port,
        public_url=public_url.rstrip("/"),
        data_dir=data_dir if data_dir.is_absolute() else base_dir / data_dir,
        database_url=top.text("database_url"),
        clock_skew=top.integer("clock_skew", 60),
        max_batch=top.integer("max_batch", 500, minimum=1),
        max_depth=top.integer("max_depth", 8, minimum=2),
        max_aliases=top.integer("max_aliases", 30),
        max_tokens=top.integer("max_tokens", 3000, minimum=100),
        introspection=top.flag("introspection", True),
        alliance_url=alliance_url,
        alliance_jwks=jwks,
        alliance_statement=alliance.text("statement"),
        alliance_timeout=alliance.number("timeout", 5.0),
        standard_id=standard.text("id", "ACS") or "ACS",
        standard_version=standard.text("version"),
        standard_file=(base_dir / standard_file) if standard_file else None,
        standard_refresh=standard.integer("refresh", 3600, minimum=1),
        status_ttl=ttl,
        status_lifetime=lifetime,
        status_size=size,
        attestation_validity=attestation.integer("validity", 0),
        import_tables={name: doc[name] for name in ADAPTER_TABLES if name in doc},
        base_dir=base_dir,
    )
    if problems:
        raise InvalidInput("invalid park configuration", problems)
    return cfg


def load_park_config(path: str | Path) -> ParkConfig:
    """Read park.toml; relative paths in it are relative to the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read park configuration {path}: {exc.strerror or exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"park configuration {path} is not valid TOML: {exc}") from None
    try:
        return parse_config(doc, path.resolve().parent)
    except InvalidInput as exc:
        raise InvalidInput(f"park configuration {path}", exc.problems) from None
