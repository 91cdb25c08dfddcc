"""Test helper run as a separate process: drains an existing outbox to a backend with the real uploader.

Usage: python outbox_drainer.py OUTBOX_PATH API_URL KEY
"""

from __future__ import annotations

import sys
from pathlib import Path

from worker.client import BackendClient, make_http_client
from worker.outbox import Outbox
from worker.uploader import Uploader, UploaderConfig


def main() -> int:
    outbox_path, api_url, key = sys.argv[1:4]
    outbox = Outbox(Path(outbox_path))
    with make_http_client(api_url, key, timeout_s=10) as http:
        uploader = Uploader(BackendClient(http), outbox, UploaderConfig(batch_size=10, backoff_base_s=0.05))
        done = uploader.drain(timeout_s=60)
    outbox.close()
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
