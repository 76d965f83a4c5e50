"""part_alternate (approved alternates of a part) and spare_unit.firmware_version

The substitution rule gains the vendor: another vendor's part replaces P only when it is one
of P's approved alternates, each with its written approval (`document`). Spare units may
carry the firmware they were received with, which availability compares with the device's.

Revision ID: genuine01
Revises: perf01
Create Date: 2026-11-30 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "genuine01"
down_revision: str | None = "perf01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "part_alternate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("alternate_part_id", sa.Integer(), nullable=False),
        sa.Column("document", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["part_id"], ["part.id"], name=op.f("fk_part_alternate_part_id_part")
        ),
        sa.ForeignKeyConstraint(
            ["alternate_part_id"],
            ["part.id"],
            name=op.f("fk_part_alternate_alternate_part_id_part"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_alternate")),
        sa.UniqueConstraint(
            "part_id", "alternate_part_id", name=op.f("uq_part_alternate_part_id_alternate_part_id")
        ),
    )
    with op.batch_alter_table("part_alternate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_part_alternate_alternate_part_id"), ["alternate_part_id"], unique=False
        )
    with op.batch_alter_table("spare_unit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "firmware_version", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("spare_unit", schema=None) as batch_op:
        batch_op.drop_column("firmware_version")
    with op.batch_alter_table("part_alternate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_alternate_alternate_part_id"))
    op.drop_table("part_alternate")
