"""The park node's tables: its enterprises, the attestations it issued, and its red and black lists.

On the shared `Base` so one metadata describes every table; a park node's database simply leaves the
gateway's tables empty. Created by migration 0002.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from alliance.storage.models import Base


class EnterpriseRow(Base):
    """One enterprise of the park and its indicator values under the alliance standard."""

    __tablename__ = "park_enterprises"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    indicators: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SHA-256 of name + indicators (canonical JSON): an import that changes nothing issues nothing.
    data_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AttestationRow(Base):
    """Every attestation the park signed, kept for good; `current` marks the one it hands out."""

    __tablename__ = "park_attestations"
    __table_args__ = (Index("ix_park_attestations_uscc_current", "uscc", "current"),)

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("park_enterprises.uscc"))
    # The entry in the park's status list; drawn at random and never reused (herd privacy).
    idx: Mapped[int] = mapped_column(Integer, unique=True)
    token: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(64))
    standard_id: Mapped[str] = mapped_column(String(64))
    standard_version: Mapped[str] = mapped_column(String(32))
    grade: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_hash: Mapped[str] = mapped_column(String(64))
    iat: Mapped[int] = mapped_column(BigInteger)
    exp: Mapped[int] = mapped_column(BigInteger)
    current: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[int] = mapped_column(
        Integer, default=0
    )  # Token Status List: 0 VALID, 1 INVALID, 2 SUSPENDED
    # Why the status is what it is: operator | blacklist | superseded | key; NULL while VALID.
    status_cause: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ListingRow(Base):
    """A red-list (守信激励) or black-list (失信惩戒) entry of the park, with its legal basis and dates."""

    __tablename__ = "park_listings"
    __table_args__ = (Index("ix_park_listings_uscc", "uscc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("park_enterprises.uscc"))
    kind: Mapped[str] = mapped_column(String(8))  # red | black
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delisted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delisted_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    delist_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


__all__ = ["AttestationRow", "EnterpriseRow", "ListingRow"]
