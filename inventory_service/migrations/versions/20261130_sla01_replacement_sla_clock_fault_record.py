"""replacement: the SLA clock, the fault record and its edit history

The contract's promises are about arrival (the on-site response table and the 4-hour spare
promise), so each replacement keeps its arrival minutes and the site's band *when recorded*;
the fault record (故障处理报告) adds remote support, the customer's engineer, process, cause,
solution and prevention, editable later with a history of every edit (append-only on
PostgreSQL like the other ledgers). Existing rows get their clock computed from their times
and their site's current band, the best that is known of the band back then.

Revision ID: sla01
Revises: stock01
Create Date: 2026-11-30 18:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "sla01"
down_revision: str | None = "stock01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEADLINE_MINUTES = 240


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _deadline() -> int:
    try:
        from inventory_service.platform.settings import get_settings

        return get_settings().deadline_minutes
    except Exception:  # the migration must run even where the settings cannot load
        return DEADLINE_MINUTES


def _backfill() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT r.id, r.fault_reported_at, r.arrived_at, s.hub_band_minutes "
            "FROM replacement r JOIN site s ON s.id = r.site_id WHERE r.arrived_at IS NOT NULL"
        )
    ).all()
    deadline = _deadline()
    update = sa.text(
        "UPDATE replacement SET arrival_minutes = :m, response_limit_minutes = :band, "
        "arrived_within_response = :ok, spare_on_site_within_deadline = :spare WHERE id = :id"
    )
    for row_id, reported, arrived, band in rows:
        minutes = int((_utc(arrived) - _utc(reported)).total_seconds() // 60)
        bind.execute(
            update,
            {
                "id": row_id,
                "m": minutes,
                "band": band,
                "ok": None if band is None else minutes <= band,
                "spare": minutes <= deadline,
            },
        )


def upgrade() -> None:
    with op.batch_alter_table("replacement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrival_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("response_limit_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("arrived_within_response", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("spare_on_site_within_deadline", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("remote_support_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "customer_engineer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
            )
        )
        for name in ("process", "cause", "solution", "prevention"):
            batch_op.add_column(
                sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True)
            )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE replacement SET updated_at = created_at")
    with op.batch_alter_table("replacement", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    _backfill()
    op.create_table(
        "replacement_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("replacement_id", sa.Integer(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["replacement_id"],
            ["replacement.id"],
            name=op.f("fk_replacement_edit_replacement_id_replacement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replacement_edit")),
    )
    with op.batch_alter_table("replacement_edit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_replacement_edit_replacement_id"), ["replacement_id"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE TRIGGER replacement_edit_append_only
            BEFORE UPDATE OR DELETE ON replacement_edit
            FOR EACH ROW EXECUTE FUNCTION inventory_append_only()
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS replacement_edit_append_only ON replacement_edit")
    with op.batch_alter_table("replacement_edit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replacement_edit_replacement_id"))
    op.drop_table("replacement_edit")
    with op.batch_alter_table("replacement", schema=None) as batch_op:
        for name in (
            "updated_at",
            "prevention",
            "solution",
            "cause",
            "process",
            "customer_engineer",
            "remote_support_at",
            "spare_on_site_within_deadline",
            "arrived_within_response",
            "response_limit_minutes",
            "arrival_minutes",
        ):
            batch_op.drop_column(name)
