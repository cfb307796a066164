#!/usr/bin/env bash
# Installs the Debian packages Elder builds against, if any is missing. Safe to run again.
set -euo pipefail
need=()
# chromium: the headless browser the review pages' browser test drives (Debian's package).
for pkg in libgit2-dev libopenblas-dev libzstd-dev zlib1g-dev pkg-config git time curl python3-pip chromium; do
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
# The official openai Python client, a peer of the `elder serve` tests (pinned: the tests read its objects).
# Debian's own python3 refuses pip installs outside a virtualenv (PEP 668); this machine is CI's, so the
# package goes into it anyway (PIP_BREAK_SYSTEM_PACKAGES; older pips ignore the variable).
python3 -c "import openai" 2>/dev/null ||
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check "openai==3.51.0"
# The JSON Schema validator the --json schemas are checked with (JSONSchemaTests runs docs/schemas/validate.py).
python3 -c "import jsonschema" 2>/dev/null ||
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check "jsonschema==4.26.0"
