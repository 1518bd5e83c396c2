"""reports: the event log's index by kind and time also holds the consultation, so a
period's consultations (their `submitted` events) are read from the index alone (issue 12)

Revision ID: 0011_report_index
Revises: 0010_outbox_claims
Create Date: 2026-12-02 05:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0011_report_index"
down_revision = "0010_outbox_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_kind_at_consultation", "events", ["kind", "at", "consultation_id"])
    op.drop_index("ix_events_kind_at", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_kind_at", "events", ["kind", "at"])
    op.drop_index("ix_events_kind_at_consultation", table_name="events")
