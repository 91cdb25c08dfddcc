"""Orchestrates a running worker: the frame loop in the main thread, the uploader and the control loop
(heartbeats, config polling, snapshots) in background threads, and a bounded shutdown on SIGTERM/Ctrl-C.

The backend's camera config is authoritative once it answered (or its last answer cached on disk): counting
line, zones and detection settings (processing rate, model input size, confidence threshold) follow it
live, from the first frame after a config poll saw a change; the local settings serve only until then.
A refused worker key (401) stops the worker with :data:`EXIT_KEY_REFUSED`; a disabled camera (403) pauses
counting and asks again every ``disabled_retry_s`` seconds.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import FrameType

import httpx
import structlog
from pydantic import ValidationError

from worker import __version__
from worker.client import BackendClient, BackendError, make_http_client
from worker.detector import (
    DetectorConfig,
    PersonTracker,
    ThresholdSetting,
    TrackerFactory,
    YoloPersonTracker,
    fixed_input_size,
)
from worker.event_ids import source_fingerprint
from worker.heartbeats import HeartbeatSender
from worker.outbox import OpenVisit, Outbox
from worker.pipeline import CountingSession
from worker.protocol import DetectionSettings, Event, HeartbeatIn, WorkerConfig
from worker.settings import WorkerSettings
from worker.snapshot import SNAPSHOT_DETECTION_CONF, blur_regions, encode_jpeg
from worker.source import Frame, FrameSource
from worker.uploader import Uploader

log = structlog.get_logger(__name__)

FPS_SMOOTHING = 0.1  # weight of the newest frame in the exponential moving average of the processing rate

EXIT_FAILED = 1  # the frame loop crashed
EXIT_KEY_REFUSED = 3  # the backend refused the worker key: restarting cannot help (docs/operations.md)
KEY_REFUSED_HINT = (
    "the backend refused this worker key (401): it is unknown or was rotated. Get the camera's current key "
    "from the admin (the console's camera page, or POST /admin/cameras/{id}/rotate-key), set it with --key "
    "or STOREINTEL_WORKER_KEY and start the worker again. Queued events stay in the outbox and are sent "
    "then."
)
CAMERA_DISABLED_HINT = (
    "the backend says this camera is disabled or its organization is deactivated (403): counting is paused "
    "until an admin enables it"
)


class KeyRefused(Exception):
    """The backend answered 401 to the worker key: it is unknown or was rotated."""


class Worker:
    """One camera's worker. ``source`` and ``transport`` can be injected (tests, benchmarks); by default
    they are built from ``settings``. The tracker comes from ``tracker_factory`` (default
    :class:`~worker.detector.YoloPersonTracker`), called again when the camera's image size changes; a
    fixed ``tracker`` instead is used as it is (benchmarks), with detection settings other than the
    processing rate left to it."""

    def __init__(
        self,
        settings: WorkerSettings,
        *,
        tracker: PersonTracker | None = None,
        tracker_factory: TrackerFactory | None = None,
        source: FrameSource | None = None,
        transport: httpx.BaseTransport | None = None,
        on_frame: Callable[[Frame], None] | None = None,
    ) -> None:
        if not settings.api_url or settings.key is None:
            raise ValueError("the worker needs --api and --key (or STOREINTEL_WORKER_API_URL / _KEY)")
        if source is None and not settings.source:
            raise ValueError("the worker needs --source (or STOREINTEL_WORKER_SOURCE)")
        self.settings = settings
        self.stop_event = threading.Event()
        self.started = time.monotonic()
        self.http = make_http_client(
            settings.api_url, settings.key.get_secret_value(), settings.http_timeout_s, transport
        )
        self.backend = BackendClient(self.http)
        self.outbox = Outbox(settings.outbox_path, settings.outbox_max_events, settings.heartbeat_buffer_max)
        self.uploader = Uploader(
            self.backend,
            self.outbox,
            settings.uploader_config(),
            on_refused=lambda status: self._refused(status, "POST /worker/events"),
        )
        self.heartbeats = HeartbeatSender(
            self.backend,
            self.outbox,
            on_refused=lambda status: self._refused(status, "POST /worker/heartbeat"),
        )
        self.source = source or FrameSource(settings.source or "", settings.source_config())
        self._tracker = tracker
        self._tracker_factory: TrackerFactory = tracker_factory or YoloPersonTracker
        self.detector: DetectorConfig = settings.detector_config()  # what runs now
        self.config_version: int | None = None  # of the backend config applied, None: local settings
        self.config_error: str | None = None  # a setting of the backend's config that could not be applied
        self.key_refused = False
        self.camera_disabled = False
        self.source_id: str | None = None  # the recording's fingerprint; None for a live stream
        # Zone visits a killed run of this same recording left open, and where that run stopped.
        self._inherited_visits: tuple[list[OpenVisit], datetime | None] = ([], None)
        self.on_frame = on_frame  # e.g. a progress bar
        self.session: CountingSession | None = None
        self.fps = 0.0
        self.frames_processed = 0
        self.last_error: str | None = None
        self._etag: str | None = None
        self._pending_config: WorkerConfig | None = None
        self._zone_counts: dict[str, int] = {}
        self._snapshot_wanted = threading.Event()
        self._snapshot_ready: tuple[bytes, datetime] | None = None
        self._config_cache = settings.data_dir / "config.json"
        self.replay = settings.replay_clock()
        self._observed_at: datetime | None = None
        self._next_replay_heartbeat: datetime | None = None
        self._journal = settings.journal.open("a", encoding="utf-8") if settings.journal else None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def request_stop(self, *_: object) -> None:
        """Ask the worker to stop after the current frame (signal-handler safe)."""
        self.stop_event.set()
        self.source.close()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the worker cleanly (main thread only)."""

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("stop_requested", signal=signal.Signals(signum).name)
            self.request_stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def run(self) -> int:
        """Run until the source ends or a stop is requested; returns the process exit code (0 on a clean stop,
        even when the bounded final flush left events queued for the next start)."""
        try:
            config = self._initial_config()
        except KeyRefused:
            return self._refused_at_start()
        if self.stop_event.is_set():  # stopped while waiting for a disabled camera
            self._close_resources()
            return 0
        if config is not None:
            self._apply_detection(None, config)
        tracker = self._tracker or self._tracker_factory(self.detector)
        s = self.settings
        # A recording may be processed again: its events get ids that are the same on every run.
        self.source_id = None if self.source.live else source_fingerprint(str(self.source.source))
        self.session = s.counting_session(
            tracker,
            config.counting_line if config and config.is_counting_line else s.fallback_line(),
            config.zones if config else [],
            self.source_id,
        )
        self.session.set_processing_rate(self.source.target_fps)
        self._close_orphaned_visits()
        if config is not None:
            self.config_version = config.config_version

        uploader = threading.Thread(target=self.uploader.run, args=(self.stop_event,), name="uploader")
        control = threading.Thread(target=self._control_loop, name="control", daemon=True)
        uploader.start()
        control.start()
        log.info(
            "worker_started",
            version=__version__,
            source=str(self.source.source),
            outbox=self.outbox.depth,
            heartbeats_buffered=self.outbox.heartbeat_depth,
            line=self.session.line.model_dump() if self.session.line else None,
            detection=self._running_detection().model_dump(),
            config_version=self.config_version,
        )
        exit_code = 0
        try:
            self._frame_loop(self.session)
        except Exception as exc:
            log.exception("worker_failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
            exit_code = EXIT_FAILED
        finally:
            exit_code = self._shutdown(exit_code, uploader, control)
        return EXIT_KEY_REFUSED if self.key_refused else exit_code

    def _close_orphaned_visits(self) -> None:
        """Close the zone visits an earlier process left open when it died (kill -9, power loss): each gets
        its ``ZONE_EXIT`` at the last capture time that process recorded, so people-in-zone and queue depth
        recover. A clean stop leaves none (it emits the exits itself).

        Visits opened while processing this same recording are left to this run: it processes the file from
        its start again, re-sends their entries under the same ids (duplicates) and their real exits. Those
        it did not reach are closed when it stops (:meth:`_close_inherited_visits`).
        """
        orphans = self.outbox.orphaned_visits()
        at = self.outbox.last_observed_at()
        mine = [v for v in orphans if v.source is not None and v.source == self.source_id]
        self._inherited_visits = (mine, at)
        self._close_visits([v for v in orphans if v not in mine], at)

    def _close_inherited_visits(self) -> None:
        mine, at = self._inherited_visits
        if not mine:
            return
        still_open = {v.enter_id for v in self.outbox.orphaned_visits()}
        self._close_visits([v for v in mine if v.enter_id in still_open], at)

    def _close_visits(self, visits: list[OpenVisit], at: datetime | None) -> None:
        if not visits:
            return
        closing = [visit.closing_event(at) for visit in visits]
        self.outbox.put(closing)
        self._write_journal(closing)
        log.warning(
            "zone_visits_closed_after_restart", visits=len(closing), at=at.isoformat() if at else None
        )

    def _refused_at_start(self) -> int:
        log.error("worker_key_refused", hint=KEY_REFUSED_HINT)
        self._close_resources()
        return EXIT_KEY_REFUSED

    def _close_resources(self) -> None:
        """Release the source, the journal, the outbox file and the HTTP client (every way out of run)."""
        self.source.close()
        if self._journal is not None:
            self._journal.close()
        self.outbox.close()
        self.http.close()

    def _frame_loop(self, session: CountingSession) -> None:
        last = time.monotonic()
        for frame in self.source:
            pending, self._pending_config = self._pending_config, None
            if pending is not None:
                self._apply_config(session, pending)
            if self.camera_disabled:
                self._wait_while_disabled()
                if self.stop_event.is_set():
                    break
                continue  # the frame waited: take a fresh one
            result = session.process(frame)
            self._observed_at = self.replay.at(frame.ts) if self.replay else frame.ts
            if result.events:
                events = self._queue(result.events)
                if self.outbox.depth >= self.settings.batch_size:
                    self.uploader.wake.set()
                for event in events:
                    log.info(
                        "event_queued",
                        type=event.type,
                        tracker_id=event.tracker_id,
                        zone_id=event.zone_id,
                        ts=event.model_dump(mode="json")["ts"],
                    )
            self._zone_counts = session.zone_counts()  # a fresh dict: the control thread reads it unlocked
            if self.replay is not None:
                self._replay_heartbeat(self._observed_at)
            if self._snapshot_wanted.is_set():
                self._snapshot_wanted.clear()
                self._take_snapshot(session, frame)
            now = time.monotonic()
            self.fps += FPS_SMOOTHING * (1.0 / max(now - last, 1e-6) - self.fps)
            last = now
            self.frames_processed += 1
            if self.on_frame is not None:
                self.on_frame(frame)
            if self.stop_event.is_set():
                break

    def _wait_while_disabled(self) -> None:
        # The control loop asks the backend again every `disabled_retry_s` and clears the flag.
        while self.camera_disabled and not self.stop_event.is_set():
            self.stop_event.wait(0.5)

    def _queue(self, events: list[Event]) -> list[Event]:
        """Map events onto the replay clock (if any), write them to the outbox and the journal."""
        if self.replay is not None:
            events = [self.replay.event(e) for e in events]
        self.outbox.put(events, observed_at=self._observed_at, source=self.source_id)
        self._write_journal(events)
        return events

    def _write_journal(self, events: list[Event]) -> None:
        if self._journal is not None:
            self._journal.writelines(e.model_dump_json() + "\n" for e in events)
            self._journal.flush()

    def _replay_heartbeat(self, observed_at: datetime) -> None:
        # A replay runs faster than the wall clock, so heartbeats follow the replay clock: one per
        # heartbeat interval of replayed time, as a live camera would have sent them.
        if self._next_replay_heartbeat is None:
            self._next_replay_heartbeat = observed_at
        if observed_at >= self._next_replay_heartbeat:
            self._next_replay_heartbeat = observed_at + timedelta(seconds=self.settings.heartbeat_interval_s)
            self._send_heartbeat()

    def _shutdown(self, exit_code: int, uploader: threading.Thread, control: threading.Thread) -> int:
        self.source.close()
        if self.session is not None:
            closing = self.session.close()
            if closing:
                self._queue(closing)
            self._close_inherited_visits()
        self.stop_event.set()
        self.uploader.wake.set()
        uploader.join()
        control.join(timeout=self.settings.http_timeout_s + 1)
        # With a refused key nothing would be taken: the events wait on disk for the right key.
        flushed = False if self.key_refused else self.uploader.drain(self.settings.shutdown_flush_s)
        if not self.key_refused and not self.camera_disabled:
            ready, self._snapshot_ready = self._snapshot_ready, None
            if ready is not None:  # taken, but the control loop had no turn left to send it
                self._upload_snapshot(*ready)
            self._send_final_heartbeat()
        log.info(
            "worker_stopped",
            flushed=flushed,
            outbox=self.outbox.depth,
            frames=self.frames_processed,
            counts={k.value: v for k, v in (self.session.counts if self.session else {}).items()},
        )
        self._close_resources()
        return exit_code

    def _send_final_heartbeat(self) -> None:
        """Tell the backend this worker stopped on purpose (status ``stopped``, the outbox depth left after
        the final flush), so health reads it as offline at once rather than after the offline threshold.
        Sent once, not buffered: a later start's heartbeats supersede it anyway."""
        try:
            beat = self.heartbeat().model_copy(update={"stream_status": "stopped", "fps": 0.0})
            self.backend.send_heartbeat(beat)
            log.info("final_heartbeat_sent", outbox=beat.outbox_depth)
        except (httpx.TransportError, BackendError, ValidationError) as exc:
            log.warning("final_heartbeat_failed", error=str(exc))

    # -- control loop (background thread) ----------------------------------------------------------------

    def _control_loop(self) -> None:
        s = self.settings
        now = time.monotonic()
        next_heartbeat = now
        next_poll = now + s.config_poll_interval_s
        next_snapshot = now + s.snapshot_interval_s if s.snapshot_interval_s > 0 else float("inf")
        while not self.stop_event.is_set():
            now = time.monotonic()
            if now >= next_poll:
                self._poll_config()
                pace = s.disabled_retry_s if self.camera_disabled else s.config_poll_interval_s
                next_poll = time.monotonic() + pace
            if now >= next_heartbeat and not self.camera_disabled:
                # A disabled camera sends none: the backend refuses them, and a buffered one delivered
                # later would claim coverage for time nothing was counted.
                next_heartbeat = now + s.heartbeat_interval_s
                self._send_heartbeat()
            if now >= next_snapshot:
                next_snapshot = now + s.snapshot_interval_s
                self._snapshot_wanted.set()
            ready, self._snapshot_ready = self._snapshot_ready, None
            if ready is not None:
                self._upload_snapshot(*ready)
            self.stop_event.wait(min(1.0, max(0.0, min(next_poll, next_heartbeat) - time.monotonic())))

    def heartbeat(self) -> HeartbeatIn:
        """The current figures, as ``POST /worker/heartbeat`` takes them."""
        return HeartbeatIn(
            worker_version=__version__,
            uptime_s=round(time.monotonic() - self.started, 1),
            fps=round(self.fps, 2),
            frames_read=self.source.frames_read,
            frames_dropped=self.source.frames_dropped,
            outbox_depth=self.outbox.depth,
            events_dropped=self.outbox.events_dropped,
            stream_status=self.source.status,
            last_error=self.last_error
            or self.config_error
            or self.source.last_error
            or self.uploader.stats.last_error,
            zone_counts=dict(self._zone_counts),
            observed_at=self._observed_at,
            config_version=self.config_version,
            detection=self._running_detection(),
        )

    def _running_detection(self) -> DetectionSettings:
        """The detection settings in use now (0 fps: every frame is processed)."""
        return DetectionSettings(
            target_fps=self.source.target_fps or 0.0, imgsz=self.detector.imgsz, conf=self.detector.conf
        )

    def _send_heartbeat(self) -> None:
        # Not taken by the backend: kept in the outbox and sent late, so an outage costs no coverage.
        try:
            heartbeat = self.heartbeat()
        except ValidationError as exc:  # built to the backend's rules
            log.warning("heartbeat_invalid", error=str(exc))
            return
        if self._observed_at is not None:  # where orphaned zone visits end if this process dies
            self.outbox.mark_observed(self._observed_at)
        self.heartbeats.send(heartbeat)

    def _poll_config(self) -> None:
        try:
            config, etag = self.backend.fetch_config(self._etag)
        except BackendError as exc:
            if exc.status in (401, 403):
                self._refused(exc.status, "GET /worker/config")
            else:
                log.warning("config_poll_failed", error=str(exc))
            return
        except (httpx.TransportError, ValueError, ValidationError) as exc:
            log.warning("config_poll_failed", error=str(exc))
            return
        if self.camera_disabled:
            self.camera_disabled = False
            log.info("camera_enabled_resuming")
        if config is None:
            return
        self._etag = etag
        self._save_config(config, etag)
        log.info("config_changed", version=config.config_version, etag=etag)
        self._pending_config = config
        if config.snapshot_requested:
            self._snapshot_wanted.set()

    def _refused(self, status: int, what: str) -> None:
        """React to a 401 (stop: the key is wrong) or a 403 (pause: the camera is disabled) from ``what``.
        Thread-safe: called from the control, uploader and heartbeat paths."""
        if status == 401:
            if not self.key_refused:
                self.key_refused = True
                log.error("worker_key_refused", request=what, hint=KEY_REFUSED_HINT)
            self.request_stop()
        elif not self.camera_disabled and what == "GET /worker/config":
            self.camera_disabled = True
            log.warning(
                "camera_disabled_waiting",
                hint=CAMERA_DISABLED_HINT,
                retry_every_s=self.settings.disabled_retry_s,
            )

    def _apply_config(self, session: CountingSession, config: WorkerConfig) -> None:
        """Apply a new camera config between frames: layout, then detection settings."""
        line = config.counting_line if config.is_counting_line else None
        session.set_layout(line, config.zones)
        self._apply_detection(session, config)
        self.config_version = config.config_version
        log.info(
            "config_applied",
            version=config.config_version,
            line=line.model_dump() if line else None,
            zones=len(config.zones),
            detection=self._running_detection().model_dump(),
            error=self.config_error,
        )

    def _apply_detection(self, session: CountingSession | None, config: WorkerConfig) -> None:
        """Follow the config's processing rate, confidence threshold and image size. A new image size
        rebuilds the model, and the counting session forgets its tracks (a new tracker numbers people from
        1 again); a size a fixed-size export cannot take is refused and reported in ``config_error``.
        ``session`` is None before the first frame (the tracker is built afterwards)."""
        det = config.detection
        fps = det.target_fps or None
        if fps != self.source.target_fps:
            self.source.set_target_fps(fps)
            if session is not None:
                session.set_processing_rate(fps)
        if self._tracker is not None:
            self.config_error = None
            if (det.conf, det.imgsz) != (self.detector.conf, self.detector.imgsz):
                self.config_error = "detection settings are fixed in this run (an injected tracker)"
            return
        wanted = replace(self.detector, conf=det.conf, imgsz=det.imgsz)
        self.config_error = None
        fixed = fixed_input_size(wanted.model)
        if fixed is not None and wanted.imgsz != fixed:
            self.config_error = (
                f"imgsz {wanted.imgsz} not applied: the model {wanted.model} is a fixed-size export for "
                f"{fixed} px; set the camera's imgsz to {fixed}, or give the worker a .pt model or an "
                f"export at {wanted.imgsz}"
            )
            log.warning("imgsz_refused", requested=wanted.imgsz, model_size=fixed, model=wanted.model)
            wanted = replace(wanted, imgsz=self.detector.imgsz)
        if wanted == self.detector:
            return
        if session is None:  # before the first frame: the tracker is built with these
            self.detector = wanted
            return
        if wanted.imgsz != self.detector.imgsz:
            try:
                tracker = self._tracker_factory(wanted)
            except Exception as exc:  # a model that cannot be built keeps the running one
                self.config_error = f"model rebuild at imgsz {wanted.imgsz} failed: {exc}"
                log.exception("model_rebuild_failed", imgsz=wanted.imgsz)
                return
            session.set_tracker(tracker)
            log.info("model_rebuilt", imgsz=wanted.imgsz, conf=wanted.conf)
        elif isinstance(session.tracker, ThresholdSetting):
            session.tracker.set_conf(wanted.conf)
        else:
            session.set_tracker(self._tracker_factory(wanted))
        self.detector = wanted

    def _initial_config(self) -> WorkerConfig | None:
        """The backend's config if it answers now, else the last one cached on disk, else ``None``. A
        disabled camera (403) waits here, asking every ``disabled_retry_s``, until enabled or stopped.

        Raises:
            KeyRefused: the backend answered 401.
        """
        while True:
            try:
                config, etag = self.backend.fetch_config(None)
            except BackendError as exc:
                if exc.status == 401:
                    self.key_refused = True
                    raise KeyRefused(str(exc)) from exc
                if exc.status == 403:
                    log.warning(
                        "camera_disabled_waiting",
                        hint=CAMERA_DISABLED_HINT,
                        retry_every_s=self.settings.disabled_retry_s,
                    )
                    if self.stop_event.wait(self.settings.disabled_retry_s):
                        return None
                    continue
                log.warning("config_unavailable_using_cache", error=str(exc))
                return self._load_cached_config()
            except (httpx.TransportError, ValueError, ValidationError) as exc:
                log.warning("config_unavailable_using_cache", error=str(exc))
                return self._load_cached_config()
            break
        if config is not None:
            self._etag = etag
            self._save_config(config, etag)
            if config.snapshot_requested:
                self._snapshot_wanted.set()
        return config

    def _save_config(self, config: WorkerConfig, etag: str | None) -> None:
        self._config_cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._config_cache.with_suffix(".tmp")
        tmp.write_text(json.dumps({"etag": etag, "config": config.model_dump(mode="json")}))
        tmp.replace(self._config_cache)  # atomic: a crash leaves the old file or the new one, never half

    def _load_cached_config(self) -> WorkerConfig | None:
        try:
            data = json.loads(self._config_cache.read_text())
            return WorkerConfig.model_validate(data["config"])
        except (OSError, ValueError, KeyError, ValidationError):
            return None

    # -- snapshots ---------------------------------------------------------------------------------------

    def _take_snapshot(self, session: CountingSession, frame: Frame) -> None:
        boxes = [p.box for p in session.last_people]
        try:
            boxes += session.tracker.detect(frame.image, SNAPSHOT_DETECTION_CONF)
            jpeg = encode_jpeg(blur_regions(frame.image, boxes))
        except Exception as exc:  # fail closed: no blurred image, no snapshot
            log.warning("snapshot_failed", error=str(exc))
            return
        # Stamped on the same clock as events: a replayed recording's capture time is mapped like them.
        self._snapshot_ready = (jpeg, self.replay.at(frame.ts) if self.replay else frame.ts)

    def _upload_snapshot(self, jpeg: bytes, captured_at: datetime) -> None:
        try:
            self.backend.upload_snapshot(jpeg, captured_at)
            log.info(
                "snapshot_uploaded", bytes=len(jpeg), captured_at=captured_at.astimezone(UTC).isoformat()
            )
        except BackendError as exc:
            if exc.status in (401, 403):
                self._refused(exc.status, "POST /worker/snapshot")
            log.warning("snapshot_upload_failed", error=str(exc))
        except httpx.TransportError as exc:
            log.warning("snapshot_upload_failed", error=str(exc))
