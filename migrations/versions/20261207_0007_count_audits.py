"""count audits per camera (issue 19)

`count_audits`: an admin's hand count of a camera's IN and OUT over a UTC window, the IN and OUT events
stored for that camera and window when it was recorded, and the accuracies computed from them. A new table
only; nothing to backfill.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 23:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "count_audits",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hand_in", sa.Integer(), nullable=False, comment="IN counted by a person"),
        sa.Column("hand_out", sa.Integer(), nullable=False, comment="OUT counted by a person"),
        sa.Column(
            "system_in", sa.Integer(), nullable=False, comment="IN events stored for the camera and window"
        ),
        sa.Column(
            "system_out", sa.Integer(), nullable=False, comment="OUT events stored for the camera and window"
        ),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("window_end > window_start", name=op.f("ck_count_audits_window_not_empty")),
        sa.CheckConstraint(
            "hand_in >= 0 AND hand_out >= 0", name=op.f("ck_count_audits_hand_counts_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "camera_id"],
            ["cameras.org_id", "cameras.id"],
            name=op.f("fk_count_audits_org_id_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "store_id"],
            ["stores.org_id", "stores.id"],
            name=op.f("fk_count_audits_org_id_store_id_stores"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_count_audits_recorded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("org_id", "id", name=op.f("pk_count_audits")),
    )
    with op.batch_alter_table("count_audits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_count_audits_org_id_camera_id_window_end"),
            ["org_id", "camera_id", "window_end"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("count_audits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_count_audits_org_id_camera_id_window_end"))
    op.drop_table("count_audits")
