"""subjects: people seen before, their consultations, care plans, audit (issue 11)

Revision ID: 0005_subjects
Revises: 0006_assessments
Create Date: 2026-12-02 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_subjects"
down_revision = "0006_assessments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("owner_since", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "subject_links",
        sa.Column(
            "consultation_id",
            sa.Integer(),
            sa.ForeignKey("consultations.id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("owner_first_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_subject_links_subject", "subject_links", ["subject_id"])
    op.create_table(
        "care_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("what_works", sa.Text(), nullable=False),
        sa.Column("who_to_call", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("crisis_plan", sa.Text(), nullable=False),
        sa.Column("changed", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("subject_id", "version"),
    )
    op.create_table(
        "subject_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), sa.ForeignKey("subjects.id"), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_subject_events_subject", "subject_events", ["subject_id", "id"])
    op.create_index("ix_subject_events_actor", "subject_events", ["actor_id", "id"])
    op.create_table(
        "follow_up_targets",
        sa.Column(
            "follow_up_id",
            sa.Integer(),
            sa.ForeignKey("follow_ups.id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("aimed_at", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("follow_up_targets")
    op.drop_index("ix_subject_events_actor", table_name="subject_events")
    op.drop_index("ix_subject_events_subject", table_name="subject_events")
    op.drop_table("subject_events")
    op.drop_table("care_plans")
    op.drop_index("ix_subject_links_subject", table_name="subject_links")
    op.drop_table("subject_links")
    op.drop_table("subjects")
