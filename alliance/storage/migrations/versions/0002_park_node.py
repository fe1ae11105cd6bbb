"""The park node: enterprises, issued attestations, red and black lists.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "park_enterprises",
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("indicators", sa.JSON, nullable=False),
        sa.Column("data_hash", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "park_attestations",
        sa.Column("jti", sa.String(128), primary_key=True),
        sa.Column("uscc", sa.String(18), sa.ForeignKey("park_enterprises.uscc"), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False, unique=True),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("standard_id", sa.String(64), nullable=False),
        sa.Column("standard_version", sa.String(32), nullable=False),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("breakdown", sa.JSON, nullable=False),
        sa.Column("data_hash", sa.String(64), nullable=False),
        sa.Column("iat", sa.BigInteger, nullable=False),
        sa.Column("exp", sa.BigInteger, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("status_cause", sa.String(16), nullable=True),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("status_by", sa.String(128), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_park_attestations_uscc_current", "park_attestations", ["uscc", "current"])
    op.create_table(
        "park_listings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uscc", sa.String(18), sa.ForeignKey("park_enterprises.uscc"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delisted_by", sa.String(128), nullable=True),
        sa.Column("delist_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_park_listings_uscc", "park_listings", ["uscc"])


def downgrade() -> None:
    op.drop_index("ix_park_listings_uscc", "park_listings")
    op.drop_table("park_listings")
    op.drop_index("ix_park_attestations_uscc_current", "park_attestations")
    op.drop_table("park_attestations")
    op.drop_table("park_enterprises")
