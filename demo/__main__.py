"""`python -m demo`: the main job (see README)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demo.assets import AssetError, locate
from demo.backend_process import free_port
from demo.run import run_demo


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the demo, return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--exit", action="store_true", help="exit after printing the KPIs (for scripts)")
    parser.add_argument("--port", type=int, default=8000, help="backend port (0 = any free port)")
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"), help="recreated on every run")
    parser.add_argument("--database-url", help="use this database instead of the embedded SQLite default")
    parser.add_argument(
        "--timezone", help="IANA timezone of the demo store (default: one where it is afternoon)"
    )
    parser.add_argument("--video", type=Path, help="video file (default: ../shared/media or a download)")
    parser.add_argument(
        "--model", type=Path, help="model (default: ../shared/models or the official yolo11n.pt)"
    )
    args = parser.parse_args(argv)
    try:
        assets = locate(args.video, args.model)
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = run_demo(
        assets,
        args.data_dir,
        args.port or free_port(),
        database_url=args.database_url,
        timezone=args.timezone,
        keep_running=not args.exit,
    )
    ok = result.worker_exit_code == 0 and result.outbox_depth == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
