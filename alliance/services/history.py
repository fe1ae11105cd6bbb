"""The alliance's append-only history (DESIGN principle 4): every change of trust, as RFC 9162 Merkle leaves.

A park admitted, suspended or reinstated, its keys or accreditation changed, a standard published or retired:
each is a leaf. The alliance signs tree heads (`typ` `tree-head+jwt`: size and root); anyone holding one can ask
for an inclusion proof of an entry, or a consistency proof that a later tree extends an earlier one, and check
it with `alliance.core.merkle` alone.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliance.core import jws, merkle
from alliance.core.keys import SigningKey, b64url_encode
from alliance.errors import InvalidInput, NotFound
from alliance.storage.db import Database
from alliance.storage.models import LogEntryRow

TREE_HEAD_TYP = "tree-head+jwt"
LOGGED_ACTIONS = frozenset({
    "admitPark", "suspendPark", "reinstatePark", "updateParkKeys", "moveParkEndpoint", "accreditPark",
    "withdrawAccreditation", "adoptStandard", "dropStandard", "publishStandard", "retireStandard",
})


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    entry: dict[str, Any]
    tree_size: int
    root: bytes
    proof: list[bytes]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "entry": self.entry, "leaf_index": self.seq, "tree_size": self.tree_size,
                "root": b64url_encode(self.root), "inclusion_proof": [b64url_encode(h) for h in self.proof]}


class HistoryLog:
    def __init__(self, db: Database, key: SigningKey) -> None:
        self.db = db
        self.key = key

    @staticmethod
    async def append(session: AsyncSession, entry: dict[str, Any]) -> int:
        """Add a leaf in the caller's transaction; the next sequence number, or a conflict that rolls it back."""
        seq = await session.scalar(select(func.coalesce(func.max(LogEntryRow.seq) + 1, 0)))
        data = jws.canonical_json({**entry, "seq": seq}).decode("utf-8")
        session.add(LogEntryRow(seq=seq, data=data))
        return int(seq or 0)

    async def _leaves(self) -> list[bytes]:
        async with self.db.session() as s:
            rows = (await s.scalars(select(LogEntryRow.data).order_by(LogEntryRow.seq))).all()
        return [r.encode("utf-8") for r in rows]

    async def tree_head(self) -> str:
        leaves = await self._leaves()
        now = int(time.time())
        claims = {"iss": "alliance", "iat": now, "exp": now + 3600, "tree_size": len(leaves),
                  "root": b64url_encode(merkle.root(leaves))}
        return jws.sign(claims, self.key, TREE_HEAD_TYP)

    async def inclusion(self, seq: int, tree_size: int | None = None) -> InclusionProof:
        leaves = await self._leaves()
        size = len(leaves) if tree_size is None else tree_size
        if not 0 < size <= len(leaves):
            raise InvalidInput(f"tree size {size} is outside 1..{len(leaves)}")
        if not 0 <= seq < size:
            raise NotFound(f"no entry {seq} in a tree of {size}")
        part = leaves[:size]
        return InclusionProof(seq, json.loads(part[seq]), size, merkle.root(part), merkle.inclusion_proof(part, seq))

    async def consistency(self, first: int, second: int) -> list[bytes]:
        leaves = await self._leaves()
        if not 0 < first <= second <= len(leaves):
            raise InvalidInput(f"sizes must satisfy 0 < first <= second <= {len(leaves)}")
        return merkle.consistency_proof(leaves[:second], first)
