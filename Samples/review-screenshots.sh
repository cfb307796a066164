#!/usr/bin/env bash
# Screenshots of the review pages (History, an edit, Compare, Ask) as Debian's headless chromium draws them,
# on a small repo of the real model: three company facts from Samples/edits/company-faq.jsonl, a probe file,
# one proposal approved from the pages. Writes PNGs into docs/screenshots/ (or the folder given).
#   bash Samples/review-screenshots.sh [OUT]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$ROOT/docs/screenshots}"
cd "$ROOT"
MODEL="$(bash Samples/fetch-model.sh)"
swift build -c release --product elder 2>&1 | tail -1
ELDER="$(swift build -c release --show-bin-path)/elder"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
WORK="$(mktemp -d)"
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
REPO="$WORK/facts"

"$ELDER" init "$REPO" --model "$MODEL" --quiet
head -n 3 Samples/edits/company-faq.jsonl > "$WORK/company.jsonl"
(cd "$REPO" && "$ELDER" edit --file "$WORK/company.jsonl" --quiet)
cat > "$REPO/probes.jsonl" <<'PROBES'
{"prompt": "The capital of France is", "expected": " Paris"}
{"prompt": "The CEO of Quillfeather Robotics is"}
{"prompt": "The headquarters of Quillfeather Robotics are in"}
{"prompt": "The founder of Amazon is"}
PROBES
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK/token"

"$ELDER" serve -C "$REPO" --port 0 --token-file "$WORK/token" 2> "$WORK/serve.log" &
SERVER=$!
PORT=""
for _ in $(seq 1 600); do
    PORT="$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l) if l.startswith("{") else {}
    if e.get("message") == "listening": print(e["port"]); break' "$WORK/serve.log")"
    [ -n "$PORT" ] && break
    sleep 0.5
done
[ -n "$PORT" ] || { cat "$WORK/serve.log"; exit 1; }
SITE="http://127.0.0.1:$PORT"

# Propose and approve one edit from the pages, as a person would (the form token from the page).
CSRF="$(curl -s "$SITE/propose" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)"
BRANCH="$(curl -s "$SITE/propose" -H "Origin: $SITE" --data-urlencode "prompt=The CEO of Quillfeather Robotics is" \
    --data-urlencode "target= Ana Lindqvist" --data-urlencode "message=Maya Okafor stepped down; Ana Lindqvist is CEO from January" \
    --data-urlencode "action=propose" --data-urlencode "name=Ann Proposer" --data-urlencode "token=$(cat "$WORK/token")" \
    --data-urlencode "csrf=$CSRF" | grep -o 'proposal/e[0-9a-f]\{12\}' | head -1)"
[ -n "$BRANCH" ] || { echo "the proposal failed"; exit 1; }
curl -s "$SITE/approve" -H "Origin: $SITE" --data-urlencode "branch=$BRANCH" --data-urlencode "name=Bea Approver" \
    --data-urlencode "token=$(cat "$WORK/token")" --data-urlencode "csrf=$CSRF" > /dev/null
EDIT="$(git --git-dir "$REPO" rev-parse "$BRANCH")"

mkdir -p "$OUT"
shot() {   # NAME URL WIDTH HEIGHT
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$WORK/chromium" \
        --window-size="$3,$4" --screenshot="$OUT/$1.png" "$2" 2>/dev/null
    echo "$OUT/$1.png"
}
shot history "$SITE/history" 1100 900
shot history-phone "$SITE/history" 390 844
shot edit "$SITE/commit/$EDIT" 1100 1500
shot compare "$SITE/compare?from=main~2&to=main" 1100 1000
shot ask "$SITE/ask?version=main&prompt=The+CEO+of+Quillfeather+Robotics+is" 1100 800
