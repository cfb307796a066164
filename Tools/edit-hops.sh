#!/bin/sh
# How deep one `elder edit` goes from the command to the commit: runs `elder edit` on a fresh repo under gdb,
# stops where libgit2 writes the commit (git_commit_create), and counts the project's functions on the call
# stack from the command's run() to that call, and the source files they are in.
#   sh Tools/edit-hops.sh [ELDER] MODEL
# ELDER: a debug build of elder (default .build/debug/elder; a release build inlines frames away); MODEL: a
# small model file (the tests' tiny model, TinyRepo.modelPath, keeps the edit to seconds in a debug build).
# Needs gdb, python3 and swift (swift demangle). docs/ARCHITECTURE.md has the rule and the numbers.
#
# Rule: a frame counts when its source file is under Sources/ of the build's package and it is a named
# function (method, initializer, accessor or free function); closures, thunks, partial applies and protocol
# witnesses are part of the function that wrote them and are not counted; standard library, Foundation,
# argument-parser and libgit2 frames are not the project's (a function counts only when it is defined in one
# of the package's Elder… modules). A function on the stack twice (a recursion) counts twice. Counted from git_commit_create's caller up to
# the outermost frame of the `edit` command's run().
set -eu
if [ $# -eq 2 ]; then elder=$1; model=$2; else elder=.build/debug/elder; model=${1:?usage: edit-hops.sh [ELDER] MODEL}; fi
elder=$(cd "$(dirname "$elder")" && pwd)/$(basename "$elder")
model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_AUTHOR_NAME=hops GIT_AUTHOR_EMAIL=hops@example.invalid GIT_COMMITTER_NAME=hops GIT_COMMITTER_EMAIL=hops@example.invalid
cd "$work"
"$elder" init facts --model "$model" >/dev/null
git --git-dir facts config elder.allowNotHolding true
cd facts
gdb -q -batch -ex 'set breakpoint pending on' -ex 'set pagination off' -ex 'set print frame-arguments none' \
    -ex 'break git_commit_create' -ex run -ex bt \
    --args "$elder" edit "fact 1 is" " v1" -m "one" >"$work/gdb.txt" 2>&1 || true
swift demangle <"$work/gdb.txt" >"$work/bt.txt"
[ -z "${HOPS_TRACE:-}" ] || cp "$work/bt.txt" "$HOPS_TRACE"
python3 - "$work/bt.txt" <<'PY'
import re, sys
frames = [l.rstrip() for l in open(sys.argv[1]) if re.match(r"#\d+ ", l)]
if not frames or "git_commit_create" not in frames[0]:
    sys.exit("no stop at git_commit_create:\n" + open(sys.argv[1]).read()[-3000:])
skip = re.compile(r"^(closure #|implicit closure|reabstraction thunk|partial apply|thunk for|protocol witness|merged |outlined )")
counted, outermost = [], None
for line in frames[1:]:
    m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(.*?)(?: \(.*\))? at (\S+):(\d+)$", line)
    if not m:
        continue
    function, path = re.sub(r"^static ", "", m.group(1)), m.group(2)
    # The project's own functions: defined in one of its modules (Elder…), or an extension there.
    if "/Sources/" not in path or skip.match(function) or not re.match(r"(\(extension in )?Elder\w*[.:)]", function):
        continue
    # For reading: module names, private discriminators and the signature's types out.
    function = re.sub(r"\b(\(extension in )?Elder\w*\)?[.:]", "", function)
    function = re.sub(r"\((\w+) in _[0-9A-F]+\)", r"\1", function)
    function = function.split("(")[0].split("<")[0] + "()"
    source = path[path.index("/Sources/") + 1:]
    counted.append((function, source))
    if re.search(r"\bEdit\.run\(\)", function):
        outermost = len(counted)
if outermost is None:
    sys.exit("no Edit.run() on the stack:\n" + "\n".join(frames))
counted = counted[:outermost]
for function, source in reversed(counted):
    print(f"{source:55} {function}")
print(f"{len(counted)} functions ({len(counted) - 1} calls) in {len(set(s for _, s in counted))} files, from the command's run() to git_commit_create")
PY
