"""Worker settings: one pydantic-settings class, read from ``STOREINTEL_WORKER_*`` environment variables and
overridden by command-line options. Built once in the CLI and passed down (no module-level singleton)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.detector import DEFAULT_TRACKER, DetectorConfig, PersonTracker
from worker.line_counter import LineCounterConfig
from worker.pipeline import CountingSession
from worker.protocol import DETECTION_DEFAULTS, CountingLineOut, ZoneOut
from worker.replay import ReplayClock
from worker.source import SourceConfig
from worker.stitching import StitchConfig
from worker.tracks import AnchorPoint
from worker.uploader import UploaderConfig
from worker.zones import ZoneConfig

_SOURCE = SourceConfig()  # the frame source's defaults live with it (worker/source.py)


class WorkerSettings(BaseSettings):
    """Every knob of the worker. Units are in the names: ``_s`` seconds, ``_frac`` fractions, ``fps``
    frames/s."""

    model_config = SettingsConfigDict(env_prefix="STOREINTEL_WORKER_", extra="ignore")

    # Backend
    api_url: str | None = Field(default=None, description="Backend base URL, e.g. https://api.example.com")
    key: SecretStr | None = Field(default=None, description="This camera's worker key (X-Worker-Key)")
    http_timeout_s: float = Field(default=15.0, gt=0)

    # Source
    source: str | None = Field(default=None, description="RTSP/HTTP URL, video file path or webcam index")
    target_fps: float = Field(
        default=DETECTION_DEFAULTS.target_fps,
        ge=0,
        description="Processing rate until the backend's camera config answers; 0 processes every frame",
    )
    realtime: bool = Field(
        default=False, description="Read files at their own frame rate, not as fast as possible"
    )
    replay_start: datetime | None = Field(
        default=None,
        description="Files only: place the recording at this wall-clock start (ISO 8601 with offset); "
        "see worker/replay.py",
    )
    replay_speed: float = Field(
        default=1.0, gt=0, description="Files only, with replay_start: wall seconds per media second"
    )
    journal: Path | None = Field(
        default=None, description="Append every event queued for upload to this JSON-lines file (audits)"
    )
    stall_timeout_s: float = Field(default=_SOURCE.stall_timeout_s, gt=0)
    frozen_after_s: float = Field(
        default=_SOURCE.frozen_after_s,
        ge=0,
        description="Live sources: reopen a stream whose picture has not changed for this long (status "
        "frozen); 0 = off",
    )
    frozen_noise_floor: float = Field(
        default=_SOURCE.frozen_noise_floor,
        ge=0,
        description="Mean absolute difference in grey levels below which two frames show the same picture "
        "(live footage: 0.5 and up; a frozen encoder: 0)",
    )
    reconnect_max_s: float = Field(default=_SOURCE.reconnect_max_s, gt=0)

    # Detection and tracking
    model: str = Field(default="yolo11n.pt", description=".pt checkpoint, OpenVINO export dir or .onnx file")
    # imgsz and conf, like target_fps, are used until the backend's camera config answers; from then on the
    # camera's `detection` settings are authoritative (docs/worker.md, "Live configuration").
    imgsz: int = Field(default=DETECTION_DEFAULTS.imgsz, gt=0)
    conf: float = Field(default=DETECTION_DEFAULTS.conf, ge=0, le=1)
    device: str | None = None
    tracker: Path = DEFAULT_TRACKER

    # Counting
    anchor: AnchorPoint = AnchorPoint.BOTTOM_CENTER
    foot_window_s: float = Field(
        default=1.0,
        ge=0,
        description="Foot point from the box bottom or the box top plus the median height over this window, "
        "whichever moved less (robust to partial occlusion); 0 = the raw box bottom",
    )
    stitch_gap_s: float = Field(
        default=2.0,
        ge=0,
        description="Join a new track to a track lost up to this long ago where the person was heading "
        "(one identity across occlusions); 0 = off",
    )
    stitch_gate_frac: float = Field(
        default=0.5, gt=0, description="Join distance from the predicted box edge / person box height"
    )
    stitch_gate_growth: float = Field(
        default=1.0,
        ge=0,
        description="How much the join distance widens per second the person was unseen (x the gate)",
    )
    stitch_height_ratio: float = Field(
        default=1.5, ge=1, description="Join only boxes whose heights differ by at most this factor"
    )
    stitch_duplicate_iou: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="A new box overlapping a tracked box of the same frame by this IoU or more is a "
        "duplicate detection of that person and is never joined (1 = off)",
    )
    hysteresis_box_frac: float = Field(default=0.05, ge=0, description="Band half-width / person box height")
    hysteresis_frame_frac: float = Field(default=0.005, ge=0, description="Band floor / frame height")
    min_hits: int = Field(default=3, ge=1)
    track_ttl_s: float = Field(default=5.0, gt=0)
    zone_min_dwell_s: float = Field(default=2.0, ge=0)
    zone_exit_grace_s: float = Field(default=1.0, ge=0)
    line: str | None = Field(default=None, description='Fallback counting line "x1,y1,x2,y2" (normalized)')
    in_side: Literal["left", "right"] = "left"

    # Outbox and upload
    data_dir: Path = Field(default=Path(".storeintel-worker"), description="Outbox and cached config")
    outbox_max_events: int = Field(default=500_000, ge=1)
    batch_size: int = Field(default=500, ge=1, le=5000)
    flush_interval_s: float = Field(default=5.0, gt=0)
    shutdown_flush_s: float = Field(default=10.0, ge=0)

    # Control loop
    heartbeat_interval_s: float = Field(default=30.0, gt=0)
    # Heartbeats the backend did not take, kept for late delivery (worker/heartbeats.py); oldest dropped past
    # it. 20,160 is 7 days at 30 s, the window the backend accepts late data from.
    heartbeat_buffer_max: int = Field(default=20_160, ge=1)
    config_poll_interval_s: float = Field(default=30.0, gt=0)
    disabled_retry_s: float = Field(
        default=60.0,
        gt=0,
        description="While the backend says the camera is disabled (403): ask again this often, counting "
        "nothing meanwhile",
    )
    snapshot_interval_s: float = Field(default=4 * 3600.0, ge=0, description="0 disables periodic snapshots")

    # Logging
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("line")
    @classmethod
    def _line_has_four_numbers(cls, value: str | None) -> str | None:
        if value is not None:
            parse_line(value, "left")
        return value

    @property
    def outbox_path(self) -> Path:
        """The SQLite outbox file inside ``data_dir``."""
        return self.data_dir / "outbox.sqlite3"

    def detector_config(self) -> DetectorConfig:
        """The detector's share of the settings."""
        return DetectorConfig(
            model=self.model, imgsz=self.imgsz, conf=self.conf, device=self.device, tracker=self.tracker
        )

    def source_config(self) -> SourceConfig:
        """The frame source's share of the settings."""
        return SourceConfig(
            target_fps=self.target_fps or None,
            realtime=self.realtime,
            file_start_time=self.replay_start,
            stall_timeout_s=self.stall_timeout_s,
            frozen_after_s=self.frozen_after_s,
            frozen_noise_floor=self.frozen_noise_floor,
            reconnect_max_s=self.reconnect_max_s,
        )

    def replay_clock(self) -> ReplayClock | None:
        """The media→wall mapping when `replay_start` is set, else None (live time is wall time)."""
        return ReplayClock(self.replay_start, self.replay_speed) if self.replay_start else None

    def counter_config(self, frame_height: int) -> LineCounterConfig:
        """Counter tuning in pixels for frames ``frame_height`` pixels tall."""
        return LineCounterConfig(
            hysteresis_scale_frac=self.hysteresis_box_frac,
            hysteresis_min=self.hysteresis_frame_frac * frame_height,
            min_hits=self.min_hits,
            track_ttl=timedelta(seconds=self.track_ttl_s),
        )

    @property
    def foot_window(self) -> timedelta | None:
        """The foot-point estimator's window, or ``None`` for the raw box bottom."""
        return timedelta(seconds=self.foot_window_s) if self.foot_window_s > 0 else None

    @property
    def foot_min_samples(self) -> int:
        """Heights the foot-point estimator keeps at least: as many as its window holds at the processing rate
        (``target_fps``; 10 fps assumed when every frame is processed)."""
        return max(1, round(self.foot_window_s * (self.target_fps or 10.0)))

    def stitch_config(self) -> StitchConfig | None:
        """Track stitching tuning, or ``None`` when ``stitch_gap_s`` is 0."""
        if self.stitch_gap_s <= 0:
            return None
        return StitchConfig(
            max_gap=timedelta(seconds=self.stitch_gap_s),
            gate=self.stitch_gate_frac,
            gate_growth=self.stitch_gate_growth,
            max_height_ratio=self.stitch_height_ratio,
            duplicate_iou=self.stitch_duplicate_iou,
        )

    def counting_session(
        self,
        tracker: PersonTracker,
        line: CountingLineOut | None,
        zones: Sequence[ZoneOut],
        source_id: str | None = None,
    ) -> CountingSession:
        """The counting path for one stream, tuned by these settings (the worker, the preview and the
        accuracy benchmark all build it here). ``source_id``: see :class:`CountingSession`."""
        return CountingSession(
            tracker,
            line,
            zones,
            counter_config=self.counter_config,
            zone_config=self.zone_config(),
            anchor=self.anchor,
            foot_window=self.foot_window,
            foot_min_samples=self.foot_min_samples,
            stitch=self.stitch_config(),
            source_id=source_id,
        )

    def zone_config(self) -> ZoneConfig:
        """Zone tuning."""
        return ZoneConfig(
            min_dwell=timedelta(seconds=self.zone_min_dwell_s),
            exit_grace=timedelta(seconds=self.zone_exit_grace_s),
            track_ttl=timedelta(seconds=self.track_ttl_s),
        )

    def uploader_config(self) -> UploaderConfig:
        """The uploader's share of the settings."""
        return UploaderConfig(batch_size=self.batch_size, flush_interval_s=self.flush_interval_s)

    def fallback_line(self) -> CountingLineOut | None:
        """The counting line given locally (used until the backend provides one)."""
        return parse_line(self.line, self.in_side) if self.line else None


def parse_line(text: str, in_side: Literal["left", "right"]) -> CountingLineOut:
    """``"x1,y1,x2,y2"`` (normalized 0..1) → a counting line. Raises ``ValueError`` on malformed input."""
    parts = [p for p in text.replace(" ", "").split(",") if p]
    if len(parts) != 4:
        raise ValueError(f'a line is "x1,y1,x2,y2", got {text!r}')
    x1, y1, x2, y2 = (float(p) for p in parts)
    if (x1, y1) == (x2, y2):
        raise ValueError("a line needs two distinct end points")
    _check_normalized((x1, y1, x2, y2), text)
    return CountingLineOut(x1=x1, y1=y1, x2=x2, y2=y2, in_side=in_side)


def parse_zone(text: str, index: int) -> ZoneOut:
    """``"name:x,y;x,y;x,y[;...]"`` (normalized) → a zone named ``name`` (or ``zone<index>``).

    Its id is a UUID derived from the name, since zone ids are UUIDs on the wire (worker.protocol).
    """
    name, _, points = text.rpartition(":")
    name = name or f"zone{index}"
    vertices: list[tuple[float, float]] = []
    for pair in points.split(";"):
        xs = [p for p in pair.replace(" ", "").split(",") if p]
        if len(xs) != 2:
            raise ValueError(f'a zone is "name:x,y;x,y;x,y", got {text!r}')
        vertices.append((float(xs[0]), float(xs[1])))
    if len(vertices) < 3:
        raise ValueError("a zone needs at least 3 vertices")
    _check_normalized((c for vertex in vertices for c in vertex), text)
    return ZoneOut(id=uuid.uuid5(uuid.NAMESPACE_URL, name), name=name, kind="", polygon=vertices)


def _check_normalized(values: Iterable[float], text: str) -> None:
    if not all(0.0 <= v <= 1.0 for v in values):
        raise ValueError(f"coordinates are normalized (0..1), got {text!r}")
