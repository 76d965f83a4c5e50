"""spare_count: units per (part, warehouse, status, genuine), kept by the ledger's writer

Availability's complete `rejected_counts` grouped every considered unit of a part's category
on each answer (~45,000 of 1,000,000 units: 7–13 ms of index-only scan per request, see
BENCHMARKS.md). `stock.transition` now keeps these counts in the same transaction as the
unit change; the upgrade backfills them from the units (units without a warehouse are not
counted). The downgrade drops the table: nothing else is stored in it.

Revision ID: perf01
Revises: sla01
Create Date: 2026-11-30 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "perf01"
down_revision: str | None = "sla01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spare_count",
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("genuine", sa.Boolean(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_spare_count_part_id_part")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_spare_count_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint(
            "part_id", "warehouse_id", "status", "genuine", name=op.f("pk_spare_count")
        ),
    )
    op.execute(
        "INSERT INTO spare_count (part_id, warehouse_id, status, genuine, units) "
        "SELECT part_id, warehouse_id, status, genuine, count(*) FROM spare_unit "
        "WHERE warehouse_id IS NOT NULL GROUP BY part_id, warehouse_id, status, genuine"
    )


def downgrade() -> None:
    op.drop_table("spare_count")
