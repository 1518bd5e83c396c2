"""a line held while the bot asks whom it is for: a holder's text that could answer the
bot's question or be meant for an officer waits with the question until they choose

Revision ID: 0012_held_line
Revises: 0011_report_index
Create Date: 2026-12-03 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_held_line"
down_revision = "0011_report_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_inputs") as batch_op:
        batch_op.add_column(sa.Column("held_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("held_message_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_inputs") as batch_op:
        batch_op.drop_column("held_message_id")
        batch_op.drop_column("held_text")
