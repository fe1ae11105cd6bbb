"""Tables of the WeChat front-ends: one-time binding codes, bindings of WeChat users to enterprises, and the
last-known state of each watched enterprise (to notice a change of grade, recognition or listing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from alliance.storage.models import Base


class WeChatBindingCodeRow(Base):
    """A code a park hands to one of its enterprises; only its SHA-256 is stored, and it works once."""

    __tablename__ = "wechat_binding_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18))
    park_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None when an alliance admin issued it
    issued_by: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    used_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


class WeChatBindingRow(Base):
    """A WeChat user (openid of the official account or of the mini-program) acting for an enterprise."""

    __tablename__ = "wechat_bindings"
    __table_args__ = (Index("ix_wechat_bindings_uscc", "uscc"),)

    openid: Mapped[str] = mapped_column(String(128), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # "mp" (official account) | "wxa" (mini-program)
    park_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the park whose code bound it
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)


class WeChatDigestRow(Base):
    """What subscribers were last told about an enterprise, as a digest and a short summary."""

    __tablename__ = "wechat_digests"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
