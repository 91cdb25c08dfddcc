"""Count audits: a person's hand count of a camera's line crossings in a time window, beside the system's."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base, CreatedAtMixin, TenantMixin


class CountAudit(TenantMixin, CreatedAtMixin, Base):
    """One count audit of a camera: IN and OUT counted by hand over `[window_start, window_end)` (UTC), the
    IN and OUT events the backend had stored for that camera and window when the audit was recorded. The
    accuracies follow from these four counts and are computed when read (`admin.count_audits.accuracy`).

    The system counts are kept as they were at recording time: events that arrive later (a worker catching
    up) do not change a recorded audit. `recorded_by` is the admin who entered it (null once that account
    is deleted); `created_at` is when (UTC).
    """

    __tablename__ = "count_audits"
    __table_args__ = (
        ForeignKeyConstraint(["org_id", "camera_id"], ["cameras.org_id", "cameras.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["org_id", "store_id"], ["stores.org_id", "stores.id"]),
        # A camera's audits, newest window first: its list and its last audit in the health view.
        Index(None, "org_id", "camera_id", "window_end"),
        CheckConstraint("window_end > window_start", name="window_not_empty"),
        CheckConstraint("hand_in >= 0 AND hand_out >= 0", name="hand_counts_non_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID]
    camera_id: Mapped[uuid.UUID]
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    hand_in: Mapped[int] = mapped_column(comment="IN counted by a person")
    hand_out: Mapped[int] = mapped_column(comment="OUT counted by a person")
    system_in: Mapped[int] = mapped_column(comment="IN events stored for the camera and window")
    system_out: Mapped[int] = mapped_column(comment="OUT events stored for the camera and window")
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
