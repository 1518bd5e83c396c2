"""P-38.001 assessments: the intervener's danger, observations and decision, and the
officer's acknowledgement of a request under article 8 (issue 11)

Revision ID: 0006_assessments
Revises: 0009
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_assessments"
down_revision = "0009"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("danger", sa.String(length=32), nullable=True),
        sa.Column("observations", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=True),
        _when("started_at", nullable=False),
        _when("recorded_at"),
        _when("requested_at"),
        _when("acknowledged_at"),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assessments_consultation", "assessments", ["consultation_id"])


def downgrade() -> None:
    op.drop_index("ix_assessments_consultation", table_name="assessments")
    op.drop_table("assessments")
