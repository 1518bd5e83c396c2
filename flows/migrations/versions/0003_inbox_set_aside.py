"""inbox: updates set aside (unparseable or failed), kept for inspection (issue 9)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("set_aside_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.drop_column("set_aside_reason")
        batch_op.drop_column("set_aside_at")
