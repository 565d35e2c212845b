#!/usr/bin/env bash
# Fuzzes every decoder target (or those named) for RUNS inputs each, one
# after the other on one core, growing fuzz/corpus/<target>/ in place.
#
#   fuzz/run-all.sh 10000000                 # every target, 10M inputs each
#   fuzz/run-all.sh 1000000 table log        # some targets
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Builds with optimisations, debug assertions and overflow checks, without
# AddressSanitizer (safe Rust; -s none runs several times faster). Each
# target's libFuzzer output goes to fuzz/logs/<target>.log; its final
# stats (runs, time) are printed. A crash stops the script: the input is
# in fuzz/artifacts/<target>/ (not committed: turn it into a unit test next
# to the decoder). Afterwards shrink the corpus again:
#   cd fuzz && cargo +nightly fuzz cmin -O -a -s none <target>
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:?usage: run-all.sh RUNS [TARGET...]}
shift
if (($#)); then targets=("$@"); else mapfile -t targets < <(cargo +nightly fuzz list); fi
flags=(-O -a -s none)
cargo +nightly fuzz build "${flags[@]}"
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  start=$(date +%s)
  if ! cargo +nightly fuzz run "${flags[@]}" "$t" "corpus/$t" -- \
    -runs="$runs" -timeout=10 -print_final_stats=1 >"logs/$t.log" 2>&1; then
    echo "$t: FAILED after $(($(date +%s) - start)) s; see fuzz/logs/$t.log and fuzz/artifacts/$t/" >&2
    tail -n 30 "logs/$t.log" >&2
    exit 1
  fi
  runs_done=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || true)
  echo "$t: ${runs_done:-?} inputs in $(($(date +%s) - start)) s; $(grep -E '^Done' "logs/$t.log" || true)"
done
