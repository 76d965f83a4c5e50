"""spare_unit (part_id, warehouse_id, id) index for the spares list

A list filtered by part number and warehouse, ordered by id, otherwise walks the primary key
of every unit when that part is not stocked at that warehouse (measured: ~100 ms per request
at 1,000,000 units on PostgreSQL, see BENCHMARKS.md).

Revision ID: stock01
Revises: 81b3659575b8
Create Date: 2026-11-26 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "stock01"
down_revision: str | None = "81b3659575b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spare_unit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_spare_unit_part_warehouse", ["part_id", "warehouse_id", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spare_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_spare_unit_part_warehouse")
