"""initial schema

Revision ID: 81b3659575b8
Revises:
Create Date: 2026-11-26 21:32:08.160828
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "81b3659575b8"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("movement", "device_history")


def _forbid_changes(table: str) -> None:
    """On PostgreSQL the database itself refuses to update or delete ledger rows."""
    op.execute(
        f"""
        CREATE TRIGGER {table}_append_only
        BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION inventory_append_only()
        """
    )


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_code")),
    )
    op.create_table(
        "part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("vendor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "specs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part")),
        sa.UniqueConstraint("part_number", name=op.f("uq_part_part_number")),
    )
    with op.batch_alter_table("part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_category"), ["category"], unique=False)

    op.create_table(
        "warehouse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("handling_minutes", sa.Integer(), nullable=False),
        sa.Column("hub_distance_km", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("handling_minutes >= 0", name=op.f("ck_warehouse_handling_nonnegative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouse_code")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_api_token_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("distance_km_override", sa.Float(), nullable=True),
        sa.Column("hub_distance_km", sa.Float(), nullable=False),
        sa.Column("hub_band_minutes", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name=op.f("ck_site_lat_range")),
        sa.CheckConstraint("lon BETWEEN -180 AND 180", name=op.f("ck_site_lon_range")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_site_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_city"), ["city"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "stocktake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column(
            "counted",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_stocktake_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake")),
    )
    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stocktake_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("hostname", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("firmware_version", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("patch_level", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("microcode_level", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_device_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("serial", name=op.f("uq_device_serial")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index("ix_device_firmware_version", ["firmware_version"], unique=False)
        batch_op.create_index("ix_device_model", ["model"], unique=False)
        batch_op.create_index("ix_device_patch_level", ["patch_level"], unique=False)
        batch_op.create_index("ix_device_site_id_status", ["site_id", "status"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column(
            "response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_idempotency_record_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("token_id", "key", name=op.f("uq_idempotency_record_token_id_key")),
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_component_device_id_device")
        ),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_component_part_id_part")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component")),
        sa.UniqueConstraint("device_id", "slot", name=op.f("uq_component_device_id_slot")),
        sa.UniqueConstraint("serial", name=op.f("uq_component_serial")),
    )
    with op.batch_alter_table("component", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_component_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_component_part_id"), ["part_id"], unique=False)

    op.create_table(
        "device_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_history_device_id_device")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_history")),
    )
    with op.batch_alter_table("device_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_device_history_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "loan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standby_device_id", sa.Integer(), nullable=False),
        sa.Column("replaces_device_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("home_site_id", sa.Integer(), nullable=False),
        sa.Column("ticket", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["home_site_id"], ["site.id"], name=op.f("fk_loan_home_site_id_site")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_device_id"], ["device.id"], name=op.f("fk_loan_replaces_device_id_device")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_loan_site_id_site")),
        sa.ForeignKeyConstraint(
            ["standby_device_id"], ["device.id"], name=op.f("fk_loan_standby_device_id_device")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan")),
    )
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_replaces_device_id"), ["replaces_device_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loan_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loan_standby_device_id"), ["standby_device_id"], unique=False
        )

    op.create_table(
        "spare_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=True),
        sa.Column("genuine", sa.Boolean(), nullable=False),
        sa.Column("supplier", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("document", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("condition", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_spare_unit_device_id_device")
        ),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_spare_unit_part_id_part")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_spare_unit_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spare_unit")),
        sa.UniqueConstraint("part_id", "serial", name=op.f("uq_spare_unit_part_id_serial")),
    )
    with op.batch_alter_table("spare_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spare_unit_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            "ix_spare_unit_part_status",
            ["part_id", "status", "genuine", "warehouse_id"],
            unique=False,
        )
        batch_op.create_index("ix_spare_unit_serial", ["serial"], unique=False)
        batch_op.create_index(
            "ix_spare_unit_warehouse_status", ["warehouse_id", "status"], unique=False
        )

    op.create_table(
        "movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spare_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("from_warehouse_id", sa.Integer(), nullable=True),
        sa.Column("to_warehouse_id", sa.Integer(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_movement_from_warehouse_id_warehouse"),
        ),
        sa.ForeignKeyConstraint(
            ["spare_id"], ["spare_unit.id"], name=op.f("fk_movement_spare_id_spare_unit")
        ),
        sa.ForeignKeyConstraint(
            ["to_warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_movement_to_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movement")),
    )
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_movement_spare_id"), ["spare_id"], unique=False)

    op.create_table(
        "repair_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spare_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("rma_number", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["spare_id"], ["spare_unit.id"], name=op.f("fk_repair_order_spare_id_spare_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_order")),
    )
    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repair_order_rma_number"), ["rma_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_repair_order_spare_id"), ["spare_id"], unique=False)

    op.create_table(
        "reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("spare_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("ticket", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("engineer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("eta_minutes", sa.Integer(), nullable=False),
        sa.Column("substitute", sa.Boolean(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_reservation_device_id_device")
        ),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_reservation_part_id_part")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_reservation_site_id_site")),
        sa.ForeignKeyConstraint(
            ["spare_id"], ["spare_unit.id"], name=op.f("fk_reservation_spare_id_spare_unit")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_reservation_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation")),
    )
    with op.batch_alter_table("reservation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reservation_engineer"), ["engineer"], unique=False)
        batch_op.create_index(batch_op.f("ix_reservation_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reservation_spare_id"), ["spare_id"], unique=False)
        batch_op.create_index(
            "ix_reservation_status_expires_at", ["status", "expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reservation_ticket"), ["ticket"], unique=False)

    op.create_table(
        "replacement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("installed_spare_id", sa.Integer(), nullable=False),
        sa.Column("removed_spare_id", sa.Integer(), nullable=False),
        sa.Column("removed_serial", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("installed_serial", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("fault_level", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("fault_impact", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("fault_reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("within_deadline", sa.Boolean(), nullable=False),
        sa.Column("engineer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "customer_confirmed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column(
            "engineer_confirmed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False
        ),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_replacement_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_replacement_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["installed_spare_id"],
            ["spare_unit.id"],
            name=op.f("fk_replacement_installed_spare_id_spare_unit"),
        ),
        sa.ForeignKeyConstraint(["part_id"], ["part.id"], name=op.f("fk_replacement_part_id_part")),
        sa.ForeignKeyConstraint(
            ["removed_spare_id"],
            ["spare_unit.id"],
            name=op.f("fk_replacement_removed_spare_id_spare_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservation.id"],
            name=op.f("fk_replacement_reservation_id_reservation"),
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_replacement_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replacement")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_replacement_reservation_id")),
    )
    with op.batch_alter_table("replacement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_replacement_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_replacement_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_replacement_replaced_at"), ["replaced_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_replacement_site_id"), ["site_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION inventory_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        for table in APPEND_ONLY:
            _forbid_changes(table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS inventory_append_only()")
    with op.batch_alter_table("replacement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replacement_site_id"))
        batch_op.drop_index(batch_op.f("ix_replacement_replaced_at"))
        batch_op.drop_index(batch_op.f("ix_replacement_device_id"))
        batch_op.drop_index(batch_op.f("ix_replacement_customer_id"))

    op.drop_table("replacement")
    with op.batch_alter_table("reservation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservation_ticket"))
        batch_op.drop_index("ix_reservation_status_expires_at")
        batch_op.drop_index(batch_op.f("ix_reservation_spare_id"))
        batch_op.drop_index(batch_op.f("ix_reservation_site_id"))
        batch_op.drop_index(batch_op.f("ix_reservation_engineer"))

    op.drop_table("reservation")
    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_order_spare_id"))
        batch_op.drop_index(batch_op.f("ix_repair_order_rma_number"))

    op.drop_table("repair_order")
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movement_spare_id"))

    op.drop_table("movement")
    with op.batch_alter_table("spare_unit", schema=None) as batch_op:
        batch_op.drop_index("ix_spare_unit_warehouse_status")
        batch_op.drop_index("ix_spare_unit_serial")
        batch_op.drop_index("ix_spare_unit_part_status")
        batch_op.drop_index(batch_op.f("ix_spare_unit_device_id"))

    op.drop_table("spare_unit")
    with op.batch_alter_table("loan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_standby_device_id"))
        batch_op.drop_index(batch_op.f("ix_loan_site_id"))
        batch_op.drop_index(batch_op.f("ix_loan_replaces_device_id"))

    op.drop_table("loan")
    with op.batch_alter_table("device_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_history_device_id"))

    op.drop_table("device_history")
    with op.batch_alter_table("component", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_component_part_id"))
        batch_op.drop_index(batch_op.f("ix_component_device_id"))

    op.drop_table("component")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_expires_at"))

    op.drop_table("idempotency_record")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index("ix_device_site_id_status")
        batch_op.drop_index("ix_device_patch_level")
        batch_op.drop_index("ix_device_model")
        batch_op.drop_index("ix_device_firmware_version")

    op.drop_table("device")
    with op.batch_alter_table("stocktake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_warehouse_id"))

    op.drop_table("stocktake")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_customer_id"))
        batch_op.drop_index(batch_op.f("ix_site_city"))

    op.drop_table("site")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_customer_id"))

    op.drop_table("api_token")
    op.drop_table("warehouse")
    with op.batch_alter_table("part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_part_category"))

    op.drop_table("part")
    op.drop_table("customer")
