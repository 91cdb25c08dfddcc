"""covering index for the analytics' event scans

On PostgreSQL, `ix_events_org_id_store_id_ts` also INCLUDEs the columns every KPI query reads (type,
camera_id, zone_id, dwell_ms), so per-store range scans are index-only. SQLite keeps the plain index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 10:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_events_org_id_store_id_ts"
_INCLUDED = ["type", "camera_id", "zone_id", "dwell_ms"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_INDEX, table_name="events")
    op.create_index(_INDEX, "events", ["org_id", "store_id", "ts"], postgresql_include=_INCLUDED)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_INDEX, table_name="events")
    op.create_index(_INDEX, "events", ["org_id", "store_id", "ts"])
