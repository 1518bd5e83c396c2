"""reports: the officer's unit (a grouping of the figures) and an index on the event log by
kind and time (a period's consultations) and by consultation and kind (each one's steps,
answered from the index alone) (issue 12)

Revision ID: 0007
Revises: 0005_subjects
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005_subjects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people", sa.Column("unit", sa.String(length=80), nullable=True))
    op.create_index("ix_events_kind_at", "events", ["kind", "at"])
    op.create_index(
        "ix_events_consultation_kind", "events", ["consultation_id", "kind", "at", "actor_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_consultation_kind", table_name="events")
    op.drop_index("ix_events_kind_at", table_name="events")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("unit")
