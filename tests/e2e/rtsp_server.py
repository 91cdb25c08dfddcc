"""An RTSP server on loopback that serves a video file as a live camera would, for the worker's RTSP test.

Run with the system python, which has GStreamer's RTSP server through PyGObject (`scripts/install-rtsp.sh`;
the project's venv has neither):

    /usr/bin/python3 tests/e2e/rtsp_server.py clip.mp4 --port 8554 --path /cam [--codec mpeg4|h264]

It prints ``ready rtsp://127.0.0.1:<port><path>`` once it listens, then serves until killed. Each client
gets its own pipeline from the start of the file, paced at the file's own frame rate. The video is not
re-encoded, only demuxed (``parsebin``: MP4 or AVI) and re-packetized, so it must already be in a
codec RTP carries: MPEG-4 part 2 (``--codec mpeg4``) or H.264. The sample ``pets09-s2l1-view1.avi`` is
MS-MPEG-4 v3 ("DIV3"), which has no RTP payload format; the test transcodes it once with OpenCV. The file
plays ``--loops`` times back to back (``concat`` keeps the timestamps running), so the stream lasts as long
as a test needs. Killed, it sends nothing more: a client's reads stall or fail, as with a camera that lost
power.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# Codec → RTP payloader (the stream's only payloader is "pay0", as GstRtspServer expects).
PAYLOADERS = {"mpeg4": "rtpmp4vpay", "h264": "rtph264pay config-interval=-1"}
# Every element a pipeline of `launch_line` can use (`--check`; scripts/install-rtsp.sh installs them).
ELEMENTS = ("filesrc", "parsebin", "qtdemux", "avidemux", "queue", "concat", "rtpmp4vpay", "rtph264pay")


def launch_line(video: Path, codec: str, loops: int) -> str:
    """The media factory's pipeline: ``loops`` copies of ``video``, each demuxed and parsed by ``parsebin``,
    joined by ``concat`` and payloaded as ``pay0``. Raises ``KeyError`` for a codec not in ``PAYLOADERS``."""
    pay = PAYLOADERS[codec]
    location = str(video.resolve()).replace("\\", "\\\\").replace('"', '\\"')
    copies = " ".join(f'filesrc location="{location}" ! parsebin ! queue ! c.' for _ in range(loops))
    return f"( concat name=c ! {pay} name=pay0 pt=96 {copies} )"


def missing_elements() -> list[str]:
    """The GStreamer elements of ``ELEMENTS`` this machine lacks (after ``Gst.init``)."""
    Gst.init(None)
    return [name for name in ELEMENTS if Gst.ElementFactory.find(name) is None]


def main(argv: list[str] | None = None) -> int:
    """Serve the file until SIGTERM/SIGINT (exit 0) or SIGKILL; 2 when the file or port is unusable.
    ``--check`` only says whether this machine can serve (exit 0, else 1 and what is missing)."""
    parser = argparse.ArgumentParser(description="Serve a video file over RTSP on 127.0.0.1.")
    parser.add_argument("video", type=Path, nargs="?")
    parser.add_argument("--check", action="store_true", help="exit 0 if every element is installed")
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--path", default="/cam", help="mount point, e.g. /cam")
    parser.add_argument("--codec", choices=sorted(PAYLOADERS), default="mpeg4", help="the file's video codec")
    parser.add_argument("--loops", type=int, default=10, help="times the file plays back to back")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_elements()
        if missing:
            print(f"rtsp_server: missing GStreamer elements: {', '.join(missing)}", file=sys.stderr)
        return 1 if missing else 0
    if args.video is None or not args.video.is_file():
        parser.print_usage(sys.stderr)
        print(f"rtsp_server: a video file is needed, got {args.video}", file=sys.stderr)
        return 2

    Gst.init(None)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args.video, args.codec, max(1, args.loops)))
    factory.set_shared(False)  # every client starts at the beginning of the file
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    path = args.path if args.path.startswith("/") else f"/{args.path}"
    server.get_mount_points().add_factory(path, factory)
    try:
        server.attach(None)  # binds and listens now
    except GLib.Error as exc:
        print(f"rtsp_server: cannot listen on 127.0.0.1:{args.port}: {exc.message}", file=sys.stderr)
        return 2

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"ready rtsp://127.0.0.1:{server.get_bound_port()}{path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
