"""The park registry and the index of which park holds which enterprise.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("endpoint", sa.String(512), nullable=False),
        sa.Column("jwks", sa.JSON, nullable=False),
        sa.Column("historical_keys", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=False),
        sa.Column("accredited", sa.JSON, nullable=False),
        sa.Column("adopted", sa.JSON, nullable=False),
        sa.Column("status_list_uri", sa.String(512), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "park_holdings",
        sa.Column("park_id", sa.String(64), sa.ForeignKey("parks.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("uscc", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_holdings_uscc", "park_holdings", ["uscc"])


def downgrade() -> None:
    op.drop_index("ix_holdings_uscc", "park_holdings")
    op.drop_table("park_holdings")
    op.drop_table("parks")
