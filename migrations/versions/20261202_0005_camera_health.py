"""camera health from arrival times and the worker's own reports (issue 20)

- `cameras.last_event_received_at`: when events last arrived (health's "events stalled" rule used the
  newest event time, which is old for replayed footage and for a worker catching up after an outage);
- `cameras.reported_stream_status`, `reported_fps`, `reported_outbox_depth`: the latest live heartbeat's
  figures, for the online rule in SQL (a worker that reported a clean stop is offline at once) and for
  `/metrics` without reading the heartbeat history; `reported_config_version` and `reported_detection`:
  what the worker says it runs (the admin sees whether a settings change was applied);
- stream statuses `frozen` and `stopped` on heartbeats;
- the detection confidence default becomes 0.1, what the worker has always run with: cameras still at the
  old default 0.25 (which no worker applied) get 0.1, so the admin sees what runs once workers apply it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("ok", "reconnecting", "failed")
NEW_STATUSES = (*OLD_STATUSES, "frozen", "stopped")


def _in(values: Sequence[str], column: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reported_stream_status",
                sa.Enum(
                    *NEW_STATUSES,
                    name="reported_stream_status",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("reported_fps", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("reported_outbox_depth", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reported_config_version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "reported_detection",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("last_event_received_at", sa.DateTime(timezone=True), nullable=True))
    # Until the first event arrives after the upgrade, the newest event time is the best estimate.
    op.execute("UPDATE cameras SET last_event_received_at = last_event_at")
    op.execute("UPDATE cameras SET conf = 0.1 WHERE conf = 0.25")

    with op.batch_alter_table("camera_heartbeats", schema=None) as batch_op:
        batch_op.drop_constraint("stream_status", type_="check")
        batch_op.create_check_constraint("stream_status", _in(NEW_STATUSES, "stream_status"))


def downgrade() -> None:
    # Statuses the old schema cannot hold read as `failed`: neither a frozen nor a stopped stream was ok.
    op.execute(
        "UPDATE camera_heartbeats SET stream_status = 'failed' WHERE stream_status IN ('frozen', 'stopped')"
    )
    with op.batch_alter_table("camera_heartbeats", schema=None) as batch_op:
        batch_op.drop_constraint("stream_status", type_="check")
        batch_op.create_check_constraint("stream_status", _in(OLD_STATUSES, "stream_status"))

    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("last_event_received_at")
        # SQLite rebuilds the table from its reflection, which keeps the enum's check constraint: drop it
        # with its column, or the rebuilt table would name a column it no longer has.
        batch_op.drop_constraint("reported_stream_status", type_="check")
        batch_op.drop_column("reported_detection")
        batch_op.drop_column("reported_config_version")
        batch_op.drop_column("reported_outbox_depth")
        batch_op.drop_column("reported_fps")
        batch_op.drop_column("reported_stream_status")
