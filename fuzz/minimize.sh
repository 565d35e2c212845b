#!/usr/bin/env bash
# Shrinks fuzz/corpus/<target>/ (every target, or those named) to what is
# worth committing: the seeds (seed-*, made by the project's encoders, see
# targets/examples/write_seeds.rs) plus, smallest first, each fuzzer input
# that reaches a code edge nothing before it reached (libFuzzer's
# -merge=1 with -use_counters=0: hit counts do not count, so a long input
# that only loops more is dropped). Run after fuzz/run-all.sh.
#
#   fuzz/minimize.sh                # every target
#   fuzz/minimize.sh table log
set -euo pipefail
cd "$(dirname "$0")"
if (($#)); then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
flags=(-O -a -s none)
cargo +nightly fuzz build "${flags[@]}"
bin=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
for t in "${targets[@]}"; do
  before_files=$(find "corpus/$t" -type f | wc -l)
  before_bytes=$(find "corpus/$t" -type f -exec cat {} + | wc -c)
  out=$(mktemp -d)
  find "corpus/$t" -type f -name 'seed-*' -exec cp {} "$out/" \;
  "$bin/$t" -merge=1 -use_counters=0 -timeout=10 "$out" "corpus/$t" >"logs/minimize-$t.log" 2>&1
  rm -rf "corpus/$t"
  mv "$out" "corpus/$t"
  chmod 755 "corpus/$t"
  echo "$t: $before_files files, $before_bytes bytes -> $(find "corpus/$t" -type f | wc -l) files, $(find "corpus/$t" -type f -exec cat {} + | wc -c) bytes"
done
