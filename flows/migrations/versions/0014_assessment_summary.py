"""the message an assessment's summary is in, so the officer's acknowledgement can rewrite it

Revision ID: 0014_assessment_summary
Revises: 0013_question_message
Create Date: 2026-12-11 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_assessment_summary"
down_revision = "0013_question_message"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch_op:
        batch_op.add_column(sa.Column("summary_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch_op:
        batch_op.drop_column("summary_message_id")
