#!/usr/bin/env bash
# Profiles one db_bench benchmark of `strata bench` with `perf record` and
# draws its flamegraph (inferno) into reports/perf/<benchmark>.svg, with the
# exact commands, the git revision and the machine beside it in
# reports/perf/<benchmark>.txt.
#
#   scripts/flamegraph.sh BENCHMARK [ENGINE_SPEC] [-- EXTRA_BENCH_FLAGS...]
#
# Only the named benchmark is sampled. A benchmark that reads (readrandom,
# readseq, readreverse, seekrandom, compact, ...) first gets its database
# from an unprofiled `fillrandom` of the same --num, then runs alone on it
# with --use_existing_db=1, the way db_bench users profile one benchmark;
# writing benchmarks start from an empty database.
#
# Needs perf (linux-perf / linux-tools) and inferno
# (`cargo install --locked inferno`); builds the release binary first.
set -euo pipefail

usage() {
  echo "usage: scripts/flamegraph.sh BENCHMARK [ENGINE_SPEC] [-- EXTRA_BENCH_FLAGS...]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
bench="$1"
shift
engine="lsm"
if [ $# -ge 1 ] && [ "$1" != "--" ]; then
  engine="$1"
  shift
fi
if [ $# -ge 1 ]; then
  [ "$1" = "--" ] || usage
  shift
fi
extra=("$@")

for tool in perf inferno-collapse-perf inferno-flamegraph; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "scripts/flamegraph.sh: $tool is not installed" >&2
    exit 2
  fi
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release --quiet
strata="$root/target/release/strata"
out="$root/reports/perf"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/db"

common=(--engine "$engine" --db "$db" --no-plot --stats_interval_seconds 0)
case "$bench" in
  fill* | overwrite) prepare=() ;;
  *) prepare=(--benchmarks fillrandom) ;;
esac
prepare_cmd=""
if [ ${#prepare[@]} -gt 0 ]; then
  prepare_cmd="$strata bench ${prepare[*]} ${common[*]} --out $work/prepare.csv ${extra[*]}"
  "$strata" bench "${prepare[@]}" "${common[@]}" --out "$work/prepare.csv" "${extra[@]}" >/dev/null
  run=(--benchmarks "$bench" --use_existing_db=1)
else
  run=(--benchmarks "$bench")
fi

# 999 Hz keeps dwarf stacks of a benchmark of tens of seconds to a few
# hundred MB; call graphs from DWARF because the release build keeps line
# tables but no frame pointers.
record=(perf record -F 999 --call-graph dwarf,16384 -g -o "$work/perf.data" --)
bench_cmd=("$strata" bench "${run[@]}" "${common[@]}" --out "$work/run.csv" "${extra[@]}")
"${record[@]}" "${bench_cmd[@]}" | tee "$work/run.out"
perf script -i "$work/perf.data" 2>/dev/null | inferno-collapse-perf >"$work/folded"
inferno-flamegraph --title "strata bench --benchmarks $bench ($engine)" \
  --subtitle "$(git rev-parse --short HEAD), $(date -u +%Y-%m-%d)" \
  <"$work/folded" >"$out/$bench.svg"

{
  echo "flamegraph: reports/perf/$bench.svg"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "git: $(git rev-parse HEAD)"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -n "$prepare_cmd" ]; then
    echo "prepared (not profiled): $prepare_cmd"
  fi
  echo "profiled: ${record[*]} ${bench_cmd[*]}"
  echo "drawn: perf script | inferno-collapse-perf | inferno-flamegraph"
  echo
  echo "what the benchmark printed:"
  grep -E 'micros/op' "$work/run.out" || true
  echo
  echo "hottest functions (self samples, % of the benchmark's samples):"
  perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 2 \
    --stdio -g none 2>/dev/null | grep '%' | sed -E 's/[[:space:]-]+$//' | head -25
} >"$out/$bench.txt"
echo "wrote $out/$bench.svg and $out/$bench.txt"
