"""Points and levels: a criterion of a points group (QĐ 4725) records the points earned and
available, and each school's standing per group (points, Mức, mandatory conditions) is kept.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Results recorded before this revision have no points (the local plan's criteria have none).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add results.points and results.max_points; create group_results."""
    op.add_column("results", sa.Column("points", sa.Text, nullable=True))
    op.add_column("results", sa.Column("max_points", sa.Text, nullable=True))
    op.create_table(
        "group_results",
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column(
            "semester",
            sa.String(16),
            sa.ForeignKey("semesters.label", name="fk_group_results_semester"),
            nullable=False,
        ),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("points", sa.Text, nullable=False),
        sa.Column("max_points", sa.Text, nullable=False),
        sa.Column("level", sa.Integer, nullable=True),
        sa.Column("mandatory_met", sa.Boolean, nullable=False),
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("runs.run_id", name="fk_group_results_run"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("unit_id", "semester", "school_id", "group_id"),
    )


def downgrade() -> None:
    """Drop group_results and the points columns."""
    op.drop_table("group_results")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("max_points")
        batch.drop_column("points")
