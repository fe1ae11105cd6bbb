"""The per-request context of the gateway: who is asking, and the service layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from alliance.services.app import AllianceServices
from alliance.services.auth import ANONYMOUS, Principal


@dataclass
class GatewayContext:
    services: AllianceServices
    principal: Principal = ANONYMOUS
    request: Request | None = None
    # Per-request memo (DataLoaders and the like), so one query never asks twice.
    memo: dict[str, Any] = field(default_factory=dict)
