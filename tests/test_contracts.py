"""The code is held to the contracts in schema/: a change to a contract is a deliberate commit."""

from __future__ import annotations

import difflib
from pathlib import Path

from graphql import build_schema, lexicographic_sort_schema, print_schema

from alliance.gateway.schema import schema as gateway_schema

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"


def _normal(sdl: str) -> str:
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def test_gateway_code_matches_its_sdl():
    contract = _normal((SCHEMA_DIR / "gateway.graphql").read_text(encoding="utf-8"))
    code = _normal(str(gateway_schema))
    diff = "\n".join(difflib.unified_diff(contract.splitlines(), code.splitlines(), "schema/gateway.graphql",
                                          "alliance.gateway.schema", lineterm=""))
    assert not diff, f"the gateway's schema drifted from its contract:\n{diff}"
