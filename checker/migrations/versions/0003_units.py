"""Every run and result belongs to an issuing unit, so several units can share one database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

The unit of the rows already recorded is the one whose settings the upgrading command runs
with (`checker run` passes its office settings' `unit_id` in the Alembic config's attributes),
else the sample office's unit. `results` is rebuilt because its primary key gains `unit_id`
(SQLite cannot alter a primary key in place).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# As it was when this revision was written; checker.office.DEFAULT_UNIT_ID is the live one.
DEFAULT_UNIT_ID = "pgd-giong-trom"
_STATUSES = "'met', 'not_met', 'not_applicable', 'missing'"
_RESULT_COLUMNS = (
    "semester, school_id, school_name, level, criterion, position, status, value, run_id"
)


def _existing_unit() -> str:
    """The unit the rows recorded so far belong to."""
    unit = context.config.attributes.get("unit_id") or DEFAULT_UNIT_ID
    return str(unit)


def upgrade() -> None:
    """Add runs.unit_id; rebuild results with unit_id first in its primary key."""
    unit = _existing_unit()
    op.add_column(
        "runs",
        sa.Column("unit_id", sa.String(64), nullable=False, server_default=unit),
    )
    if op.get_bind().dialect.name != "sqlite":
        # Only the rows already there take the upgrading unit; new runs always name theirs.
        # (SQLite cannot drop a column default in place: there it stays, and is never used.)
        op.alter_column("runs", "unit_id", server_default=None)
    op.create_index("ix_runs_unit_semester", "runs", ["unit_id", "semester"])
    op.drop_index("ix_results_school_id", table_name="results")
    op.rename_table("results", "results_0002")
    op.create_table(
        "results",
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column(
            "semester",
            sa.String(16),
            sa.ForeignKey("semesters.label", name="fk_results_semester_unit"),
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
            sa.ForeignKey("runs.run_id", name="fk_results_run_id_unit"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "unit_id", "semester", "school_id", "criterion", name="pk_results_unit"
        ),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_results_status_unit"),
    )
    op.execute(
        sa.text(
            f"INSERT INTO results (unit_id, {_RESULT_COLUMNS}) "
            f"SELECT :unit, {_RESULT_COLUMNS} FROM results_0002"
        ).bindparams(unit=unit)
    )
    op.drop_table("results_0002")
    op.create_index("ix_results_unit_school", "results", ["unit_id", "school_id"])


def downgrade() -> None:
    """Not supported: two units' results for one semester cannot fit the old key."""
    # Deliberate: the per-unit key cannot be folded back without losing other units' rows.
    raise RuntimeError("revision 0003 (units) cannot be downgraded")
