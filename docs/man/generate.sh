#!/bin/sh
# Regenerates the man pages in this folder from `elder`'s own help, with swift-argument-parser's
# generate-manual tool (the same tool its `generate-manual` package plugin runs; no network needed):
#   sh docs/man/generate.sh
# One page per command: elder.1, elder.edit.1, elder.bisect.run.1, … Read one with `man docs/man/elder.edit.1`.
# GitHabitsTests fails when a command has no page or its page lost the command's help.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
swift build --product elder
swift build --product generate-manual
bin=$(swift build --show-bin-path)
rm -f docs/man/*.1
"$bin/generate-manual" "$bin/elder" --multi-page --output-directory docs/man --date 2026-12-07 --section 1 \
    --authors "the Elder developers"
ls docs/man
