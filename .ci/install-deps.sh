#!/usr/bin/env bash
# Installs the Debian packages Elder builds against, if any is missing. Safe to run again.
set -euo pipefail
need=()
for pkg in libgit2-dev libopenblas-dev libzstd-dev zlib1g-dev pkg-config git time python3-pip; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# python3-pip may come from pyenv instead of Debian: only ask apt for it when no pip exists.
if command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1; then
    need=("${need[@]/python3-pip}")
fi
need=($(printf '%s\n' "${need[@]}" | grep -v '^$' || true))
if ((${#need[@]})); then
    echo "installing: ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
