#!/usr/bin/env bash
# Installs Debian's GStreamer RTSP server for the worker's RTSP end-to-end test: tests/e2e/rtsp_server.py
# runs it with the system python through PyGObject (the project's venv has no GStreamer). Idempotent and
# quiet: does nothing when `rtsp_server.py --check` says every element it uses is there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PYTHON=/usr/bin/python3
check() {
    [[ -x "$PYTHON" ]] && "$PYTHON" "$root/tests/e2e/rtsp_server.py" --check >/dev/null 2>&1
}
if check; then
    exit 0
fi

# base: parsebin, plugins-good: qtdemux, avidemux and the RTP payloaders; gir1.2-gst-rtsp-server-1.0 pulls
# in the RTSP server library.
# shellcheck source=scripts/apt-install.sh
source "$root/scripts/apt-install.sh"
apt_install install-rtsp python3 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 \
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good

if ! check; then
    echo "install-rtsp: apt-get finished but $PYTHON still cannot run tests/e2e/rtsp_server.py:" >&2
    "$PYTHON" "$root/tests/e2e/rtsp_server.py" --check >&2 || true
    exit 1
fi
echo "install-rtsp: GStreamer RTSP server installed for $PYTHON"
