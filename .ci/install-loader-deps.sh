#!/usr/bin/env bash
# Installs what the export's reference loader (elder_route.py) runs on, for its test against `elder ask`
# (ExportLoaderRealModelTests): PyTorch, transformers (which reads the GGUF through gguf and accelerate),
# safetensors and numpy. Safe to run again: nothing happens when python3 imports them all.
# .ci/test starts it in the background before the Swift build and waits for it before `swift test`, so its
# minutes overlap the build's. A CPU build of torch is taken when pip can see one (a local wheel named by
# pip's own configuration: 190 MB, ~1.2 GB installed); otherwise PyPI's default torch, whose CUDA libraries
# come as separate wheels (~2.9 GB to download; torch does not import without them). Times: docs/TOOLCHAIN.md.
set -euo pipefail
if python3 -c "import torch, transformers, accelerate, gguf, safetensors, numpy" 2>/dev/null; then
    echo "loader packages: already installed"
    exit 0
fi
started=$(date +%s)
cpu=$(python3 -m pip index versions torch 2>/dev/null | grep -o '[0-9][0-9.]*+cpu' | head -1 || true)
# Debian's own python3 refuses pip installs outside a virtualenv (PEP 668); this machine is CI's (as for openai).
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check --no-cache-dir "torch${cpu:+==$cpu}" \
    "transformers==5.25.0" "accelerate==1.16.0" "gguf==0.19.0" "safetensors==0.8.0" numpy
python3 -c "import torch, transformers, accelerate, gguf, safetensors, numpy"
echo "loader packages: torch ${cpu:-from PyPI} and the rest installed in $(( $(date +%s) - started )) s"
