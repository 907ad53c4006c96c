"""The first history schema: semesters, the run log, and per-school results.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written out in full here rather than imported from `checker.history`: a migration describes the
schema as it was at this revision, so later changes to the code do not rewrite history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_STATUSES = "'met', 'not_met', 'not_applicable', 'missing'"


def upgrade() -> None:
    """Create the semesters, runs and results tables."""
    op.create_table(
        "semesters",
        sa.Column("label", sa.String(16), primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("term", sa.Integer, nullable=False),
        sa.CheckConstraint("term IN (1, 2)", name="ck_semesters_term"),
        sa.UniqueConstraint("year", "term", name="uq_semesters_year_term"),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column(
            "semester",
            sa.String(16),
            sa.ForeignKey("semesters.label", name="fk_runs_semester"),
            nullable=False,
        ),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("rulebook_version", sa.String(64), nullable=False),
        sa.Column("checker_version", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("schools", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("problems", sa.Integer, nullable=False),
    )
    op.create_index("ix_runs_semester", "runs", ["semester"])
    op.create_table(
        "results",
        sa.Column(
            "semester",
            sa.String(16),
            sa.ForeignKey("semesters.label", name="fk_results_semester"),
            nullable=False,
        ),
        sa.Column("school_id", sa.String(64), nullable=False),
        sa.Column("school_name", sa.Text, nullable=False),
        sa.Column("level", sa.String(32), nullable=True),
        sa.Column("criterion", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("runs.run_id", name="fk_results_run_id"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("semester", "school_id", "criterion", name="pk_results"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_results_status"),
    )
    op.create_index("ix_results_school_id", "results", ["school_id"])


def downgrade() -> None:
    """Drop everything this revision created."""
    op.drop_index("ix_results_school_id", table_name="results")
    op.drop_table("results")
    op.drop_index("ix_runs_semester", table_name="runs")
    op.drop_table("runs")
    op.drop_table("semesters")
