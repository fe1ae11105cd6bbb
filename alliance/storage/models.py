"""Tables. One metadata for the gateway and the park node; each process uses the tables of its role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class StandardRow(Base):
    """A version of an evaluation standard and where it is in its lifecycle."""

    __tablename__ = "standards"
    __table_args__ = (UniqueConstraint("standard_id", "version", name="uq_standard_version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    standard_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))  # draft | published | superseded | retired
    document: Mapped[dict] = mapped_column(JSON)
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)  # the alliance's JWS over the document
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


class AuditRow(Base):
    """Who did what, when, and how it ended: every admin action, refused ones included."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(256))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | refused | error
    detail: Mapped[str] = mapped_column(Text, default="")



class ParkRow(Base):
    """A member park in the alliance's registry."""

    __tablename__ = "parks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    city: Mapped[str] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(512))  # the park's GraphQL URL
    jwks: Mapped[dict] = mapped_column(JSON)
    historical_keys: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))  # active | suspended
    status_reason: Mapped[str] = mapped_column(Text, default="")
    accredited: Mapped[list] = mapped_column(JSON, default=list)  # [{"id","version"}]: may issue under these
    adopted: Mapped[list] = mapped_column(JSON, default=list)  # [{"id","version"}]: recognises ratings under these
    status_list_uri: Mapped[str] = mapped_column(String(512))
    admitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HoldingRow(Base):
    """Which park holds a rating for which enterprise: learnt from answers, so a query asks only those."""

    __tablename__ = "park_holdings"

    park_id: Mapped[str] = mapped_column(String(64), ForeignKey("parks.id", ondelete="CASCADE"), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), default="")
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LogEntryRow(Base):
    """The append-only history of what changes trust (RFC 9162 leaves): parks, their keys, standards."""

    __tablename__ = "history_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[str] = mapped_column(Text)  # the leaf: canonical JSON of the entry
