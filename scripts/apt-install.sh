#!/usr/bin/env bash
# Sourced by the install-*.sh scripts: `apt_install NAME PACKAGE...` installs Debian packages quietly, as
# root or through sudo (NAME prefixes the error when neither is available).
apt_install() {
    local name="$1"
    shift
    local sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "$name: $* missing and neither root nor sudo is available" >&2
            return 1
        fi
        sudo="sudo"
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
