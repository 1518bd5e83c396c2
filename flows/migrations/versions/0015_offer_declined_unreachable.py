"""offers declined only because the worker blocked the bot, offered again once they unblock it

Revision ID: 0015_offer_declined_unreachable
Revises: 0014_assessment_summary
Create Date: 2026-12-12 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_offer_declined_unreachable"
down_revision = "0014_assessment_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offers") as batch_op:
        batch_op.add_column(
            sa.Column(
                "declined_unreachable", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch_op:
        batch_op.drop_column("declined_unreachable")
