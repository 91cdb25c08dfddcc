"""Command line: ``storeintel-worker run`` (count and upload) and ``preview`` (annotated video).

Every option can also come from a ``STOREINTEL_WORKER_*`` environment variable (shown in ``--help``); settings
without an option here are environment-only and listed in docs/worker.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from worker import __version__
from worker.line_counter import Direction
from worker.source import Frame, FrameSource

app = typer.Typer(
    name="storeintel-worker",
    help="Store Intelligence edge worker: counts people crossing a line and visiting zones in a video.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

ENV = "STOREINTEL_WORKER_"

SourceOpt = Annotated[
    str | None,
    typer.Option("--source", "-s", envvar=f"{ENV}SOURCE", help="RTSP/HTTP URL, video file or webcam index."),
]
ApiOpt = Annotated[str | None, typer.Option("--api", envvar=f"{ENV}API_URL", help="Backend base URL.")]
KeyOpt = Annotated[
    str | None,
    typer.Option("--key", envvar=f"{ENV}KEY", help="This camera's worker key.", show_default=False),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        envvar=f"{ENV}MODEL",
        help="YOLO weights: .pt, OpenVINO export dir or .onnx. [default: yolo11n.pt]",
    ),
]
ImgszOpt = Annotated[
    int | None,
    typer.Option(
        "--imgsz",
        envvar=f"{ENV}IMGSZ",
        help="Model input size in pixels (`run`: until the camera config answers). [default: 640]",
    ),
]
ConfOpt = Annotated[
    float | None,
    typer.Option(
        "--conf",
        envvar=f"{ENV}CONF",
        help="Detection threshold 0..1 fed to ByteTrack (`run`: until the camera config answers). "
        "[default: 0.1]",
    ),
]
DeviceOpt = Annotated[
    str | None,
    typer.Option("--device", envvar=f"{ENV}DEVICE", help="Inference device, e.g. cpu, 0, intel:gpu."),
]
FpsOpt = Annotated[
    float | None,
    typer.Option(
        "--target-fps",
        envvar=f"{ENV}TARGET_FPS",
        help="Frames processed per second; 0 = all frames. `run` uses it until the backend's camera "
        "config answers, which then decides. [default: 10]",
    ),
]
RealtimeOpt = Annotated[
    bool | None,
    typer.Option(
        "--realtime/--fast",
        envvar=f"{ENV}REALTIME",
        help="Read files at their own frame rate instead of as fast as possible. [default: fast]",
    ),
]
LineOpt = Annotated[
    str | None,
    typer.Option(
        "--line",
        envvar=f"{ENV}LINE",
        help='Counting line "x1,y1,x2,y2", normalized 0..1 (overrides the backend\'s in preview; '
        "used by run until the backend answers).",
    ),
]
InSideOpt = Annotated[
    str | None,
    typer.Option(
        "--in-side",
        envvar=f"{ENV}IN_SIDE",
        help='Side of the directed line that is inside the store: "left" or "right". [default: left]',
    ),
]
LogFormatOpt = Annotated[
    str | None,
    typer.Option("--log-format", envvar=f"{ENV}LOG_FORMAT", help='"json" or "console". [default: json]'),
]
LogLevelOpt = Annotated[
    str | None, typer.Option("--log-level", envvar=f"{ENV}LOG_LEVEL", help="debug, info, warning or error.")
]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar for video files.")]


def _settings(**overrides: Any) -> Any:
    """Build :class:`~worker.settings.WorkerSettings` from the environment plus the options given."""
    from worker.settings import WorkerSettings

    try:
        return WorkerSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        typer.echo(f"invalid settings:\n{exc}", err=True)
        raise typer.Exit(2) from exc


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Store Intelligence edge worker."""


@app.command()
def run(
    api: ApiOpt = None,
    key: KeyOpt = None,
    source: SourceOpt = None,
    model: ModelOpt = None,
    imgsz: ImgszOpt = None,
    conf: ConfOpt = None,
    device: DeviceOpt = None,
    target_fps: FpsOpt = None,
    realtime: RealtimeOpt = None,
    line: LineOpt = None,
    in_side: InSideOpt = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar=f"{ENV}DATA_DIR",
            help="Folder for the outbox and the cached config. [default: ./.storeintel-worker]",
        ),
    ] = None,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = None,
    progress: ProgressOpt = True,
    replay_start: Annotated[
        str | None,
        typer.Option(
            "--replay-start",
            envvar=f"{ENV}REPLAY_START",
            help="Files only: place the recording at this wall-clock start (ISO 8601 with offset), e.g. to "
            "backfill yesterday's footage. Counting runs on the media clock; event times, dwell times and "
            "heartbeats are mapped.",
        ),
    ] = None,
    replay_speed: Annotated[
        float | None,
        typer.Option(
            "--replay-speed",
            envvar=f"{ENV}REPLAY_SPEED",
            help="With --replay-start: wall seconds per media second. [default: 1]",
        ),
    ] = None,
    journal: Annotated[
        Path | None,
        typer.Option(
            "--journal",
            envvar=f"{ENV}JOURNAL",
            help="Append every event queued for upload to this JSON-lines file (for audits).",
        ),
    ] = None,
) -> None:
    """Count people in SOURCE and send the events to the backend, surviving crashes and outages.

    Events are written to a local SQLite outbox first and deleted only once the backend acknowledged them.
    SIGTERM or Ctrl-C stops after the current frame and flushes the outbox for a bounded time. The
    camera's settings come from the backend and are followed live. Exit codes: 0 stopped or the source
    ended, 1 crashed, 2 bad settings, 3 the backend refused the worker key (restarting cannot help).
    """
    from worker.logs import configure_logging
    from worker.runner import EXIT_KEY_REFUSED, KEY_REFUSED_HINT, Worker

    s = _settings(
        api_url=api,
        key=key,
        source=source,
        model=model,
        imgsz=imgsz,
        conf=conf,
        device=device,
        target_fps=target_fps,
        realtime=realtime,
        line=line,
        in_side=in_side,
        data_dir=data_dir,
        log_format=log_format,
        log_level=log_level,
        replay_start=replay_start,
        replay_speed=replay_speed,
        journal=journal,
    )
    configure_logging(s.log_format, s.log_level)
    try:
        worker = Worker(s)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    bar = _Progress(worker.source, enabled=progress)
    worker.on_frame = bar
    worker.install_signal_handlers()
    try:
        code = worker.run()
    finally:
        bar.close()
    if code == EXIT_KEY_REFUSED:
        typer.echo(f"storeintel-worker: {KEY_REFUSED_HINT}", err=True)
    raise typer.Exit(code)


@app.command()
def preview(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output video (.mp4).")],
    source: SourceOpt = None,
    line: LineOpt = None,
    in_side: InSideOpt = None,
    zone: Annotated[
        list[str] | None,
        typer.Option("--zone", help='A zone "name:x1,y1;x2,y2;x3,y3[;...]" (normalized); repeatable.'),
    ] = None,
    api: ApiOpt = None,
    key: KeyOpt = None,
    model: ModelOpt = None,
    imgsz: ImgszOpt = None,
    conf: ConfOpt = None,
    device: DeviceOpt = None,
    target_fps: FpsOpt = None,
    max_frames: Annotated[
        int | None, typer.Option("--max-frames", help="Stop after this many frames.")
    ] = None,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Write SOURCE as an annotated video: counting line, zones, boxes, tracker ids and running IN/OUT counts.

    The line and zones come from --line/--zone, or from the backend when --api and --key are given.
    """
    import cv2

    from worker.client import BackendClient, make_http_client
    from worker.detector import YoloPersonTracker
    from worker.logs import configure_logging
    from worker.preview import annotate
    from worker.settings import parse_zone

    s = _settings(
        source=source,
        model=model,
        imgsz=imgsz,
        conf=conf,
        device=device,
        target_fps=target_fps,
        line=line,
        in_side=in_side,
        api_url=api,
        key=key,
        log_format=log_format,
        log_level=log_level,
    )
    configure_logging(s.log_format, s.log_level)
    if not s.source:
        typer.echo("preview needs --source", err=True)
        raise typer.Exit(2)
    counting_line = s.fallback_line()
    try:
        zones = [parse_zone(z, i) for i, z in enumerate(zone or [], start=1)]
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if (counting_line is None or not zones) and s.api_url and s.key is not None:
        with make_http_client(s.api_url, s.key.get_secret_value(), s.http_timeout_s) as http:
            remote, _ = BackendClient(http).fetch_config(None)
        if remote is not None:
            counting_line = counting_line or (remote.counting_line if remote.is_counting_line else None)
            zones = zones or remote.zones
    frames = FrameSource(s.source, s.source_config())
    session = s.counting_session(YoloPersonTracker(s.detector_config()), counting_line, zones)

    writer: Any = None
    bar = _Progress(frames, enabled=progress)
    try:
        for n, result in enumerate(session.run(frames), start=1):
            if writer is None:
                fps = s.target_fps or frames.fps or 10.0
                writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, result.frame.size)
                if not writer.isOpened():
                    typer.echo(f"cannot write {out}", err=True)
                    raise typer.Exit(1)
            writer.write(annotate(session, result))
            bar(result.frame)
            if max_frames is not None and n >= max_frames:
                break
    finally:
        if writer is not None:
            writer.release()
        bar.close()
    typer.echo(f"IN {session.counts[Direction.IN]}  OUT {session.counts[Direction.OUT]}  -> {out}")


class _Progress:
    """A tqdm bar over the frames of a file source; does nothing for live sources or when disabled."""

    def __init__(self, source: FrameSource, enabled: bool) -> None:
        from tqdm import tqdm  # type: ignore[import-untyped]

        self.source = source
        self.bar = tqdm(unit="frame", file=sys.stderr, dynamic_ncols=True, disable=not enabled or source.live)

    def __call__(self, frame: Frame) -> None:
        if self.bar.total is None and self.source.total_frames:
            self.bar.total = self.source.total_frames  # known once the file is open
        self.bar.update(frame.index + 1 - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def main() -> None:
    """Console-script entry point."""
    app()
