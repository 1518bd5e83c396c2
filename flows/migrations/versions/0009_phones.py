"""phone numbers for "Call me": given on the invite or shared by the person (issue 14)

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-02 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
    op.create_table(
        "phone_numbers",
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("phone_numbers")
    with op.batch_alter_table("invites") as batch_op:
        batch_op.drop_column("phone")
