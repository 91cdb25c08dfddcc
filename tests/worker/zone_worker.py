"""Test helper run as a separate process (so it can be killed with SIGKILL): the real worker loop with the
scripted walker and a zone over the lower half of the frame, on an endless fake camera stream (``live``) or
recording (``file``), against a backend.

Usage: python zone_worker.py DATA_DIR API_URL (live|file)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.worker.test_runner import make_worker


def main() -> int:
    data_dir, api_url, kind = sys.argv[1:4]
    # Visits end when the walker's track has been gone for track_ttl_s: several are open at any time.
    worker = make_worker(
        Path(data_dir),
        api_url,
        frames=10_000_000,
        live=kind == "live",
        track_ttl_s=2.0,
        heartbeat_interval_s=0.1,
    )
    return worker.run()


if __name__ == "__main__":
    sys.exit(main())
