"""the message that asks a pending question, so the question can leave it when it ends (the
officer's summary loses the optional key question at the accept)

Revision ID: 0013_question_message
Revises: 0012_held_line
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_question_message"
down_revision = "0012_held_line"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_inputs") as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_inputs") as batch_op:
        batch_op.drop_column("message_id")
