"""The run log names each run's input file, so a semester's recorded source can be shown.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Runs recorded before this revision keep a NULL name: only their input's sha256 is known.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add runs.input_name (the input file's name, without its folder)."""
    op.add_column("runs", sa.Column("input_name", sa.Text, nullable=True))


def downgrade() -> None:
    """Drop runs.input_name."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("input_name")
