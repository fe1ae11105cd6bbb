"""WeChat: one-time binding codes, bindings of WeChat users to enterprises, last-known digests for notifications.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_binding_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("park_id", sa.String(64), nullable=True),
        sa.Column("issued_by", sa.String(128), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(128), nullable=True),
    )
    op.create_table(
        "wechat_bindings",
        sa.Column("openid", sa.String(128), primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("park_id", sa.String(64), nullable=True),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscribed", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_wechat_bindings_uscc", "wechat_bindings", ["uscc"])
    op.create_table(
        "wechat_digests",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wechat_digests")
    op.drop_index("ix_wechat_bindings_uscc", "wechat_bindings")
    op.drop_table("wechat_bindings")
    op.drop_table("wechat_binding_codes")
