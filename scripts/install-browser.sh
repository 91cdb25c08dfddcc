#!/usr/bin/env bash
# Installs Debian's chromium for the admin console's end-to-end tests (Playwright drives the system
# browser, because Playwright's own browser downloads are not reachable from CI). Idempotent and quiet:
# does nothing when /usr/bin/chromium is already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi

# shellcheck source=scripts/apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
apt_install install-browser chromium fonts-dejavu-core

if [[ ! -x "$CHROMIUM" ]]; then
    echo "install-browser: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
fi
echo "install-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
