"""line-crossing roll-up (issue 26)

`line_crossing_slots`: IN and OUT per camera and 15-minute UTC slot, written by event ingestion with the
events it inserts, read by footfall instead of the events (a 90-day hourly series read ~50,000 events;
the roll-up is a few thousand rows). Backfilled from the existing events in this migration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "line_crossing_slots",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("in_count", sa.Integer(), nullable=False, comment="IN crossings"),
        sa.Column("out_count", sa.Integer(), nullable=False, comment="OUT crossings"),
        sa.PrimaryKeyConstraint(
            "org_id", "store_id", "slot_start", "camera_id", name=op.f("pk_line_crossing_slots")
        ),
    )
    _backfill()


def _backfill() -> None:
    """Roll the existing IN and OUT events up into slots (15-minute UTC floors of `ts`)."""
    if op.get_bind().dialect.name == "postgresql":
        slot = "date_bin(interval '900 seconds', ts, timestamptz 'epoch')"
    else:
        # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text; keep that exact format, fraction cut off
        # first (strftime('%s') would round 09:14:59.9999 up into the next slot). As in 0002.
        slot = "strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', substr(ts, 1, 19)) AS INTEGER) / 900) * 900, 'unixepoch') || '.000000'"
    op.execute(
        "INSERT INTO line_crossing_slots (org_id, store_id, slot_start, camera_id, in_count, out_count) "  # noqa: S608 - constant fragments
        f"SELECT org_id, store_id, {slot}, camera_id, "
        "sum(CASE WHEN type = 'IN' THEN 1 ELSE 0 END), sum(CASE WHEN type = 'OUT' THEN 1 ELSE 0 END) "
        f"FROM events WHERE type IN ('IN', 'OUT') GROUP BY org_id, store_id, {slot}, camera_id"
    )


def downgrade() -> None:
    op.drop_table("line_crossing_slots")
