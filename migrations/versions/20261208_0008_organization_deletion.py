"""organization deletion with a grace period (issue 27)

`organizations.deletion_due_at` (UTC): when a scheduled deletion purges the organization (null: none is
due), with `deletion_requested_by` (the admin who asked; SET NULL) and `active_before_deletion` (the
`is_active` a cancellation restores). An index on `deletion_due_at` finds the due ones. Nothing to backfill.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deletion_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deletion_requested_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("active_before_deletion", sa.Boolean(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_organizations_deletion_requested_by_users"),
            "users",
            ["deletion_requested_by"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_organizations_deletion_due_at"), ["deletion_due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_deletion_due_at"))
        batch_op.drop_constraint(
            batch_op.f("fk_organizations_deletion_requested_by_users"), type_="foreignkey"
        )
        batch_op.drop_column("active_before_deletion")
        batch_op.drop_column("deletion_requested_by")
        batch_op.drop_column("deletion_due_at")
