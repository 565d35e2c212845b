#!/usr/bin/env bash
# Regenerates reports/screenshots/*.png: `strata serve`'s pages in headless
# Chromium (Debian's `chromium`), 1280x900, over a fresh fixture made with
# the strata binary: a bench of two engines with 3 repetitions (so the
# compare page has intervals and verdicts) and a blobfs store changed at
# two times.
#
#   scripts/screenshots.sh            # builds target/release/strata first
#   STRATA=target/debug/strata scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/reports/screenshots"
if [ -z "${STRATA:-}" ]; then
  cargo build --release -q
  STRATA="$root/target/release/strata"
fi
STRATA=$(realpath "$STRATA")
CHROMIUM=${CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null || { echo "screenshots.sh: no $CHROMIUM (apt-get install chromium)" >&2; exit 1; }

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

"$STRATA" bench --num=100000 --benchmarks=fillseq,fillrandom,overwrite,readrandom,readseq \
  --engine=lsm --engine=lsm:memtable=btree --repeat=3 --histogram=1 \
  --stats_interval_seconds=0.1 --out=results/two-engines.csv >/dev/null 2>&1

mkdir -p src/project/src
printf '# project\n\nFirst draft.\n' > src/project/README.md
printf 'fn main() {\n    println!("v1");\n}\n' > src/project/src/main.rs
printf 'key,value\na,1\nb,2\n' > src/project/data.csv
"$STRATA" fs --store store init >/dev/null
"$STRATA" fs --store store put src/project /project --time 2024-01-15T09:00:00Z >/dev/null
printf '# project\n\nSecond draft: the data moved to notes.\n' > src/project/README.md
printf 'fn main() {\n    println!("v2");\n}\n' > src/project/src/main.rs
rm src/project/data.csv
printf 'a = 1\nb = 2\n' > src/project/notes.md
"$STRATA" fs --store store put src/project /project --time 2024-06-01T17:30:00Z >/dev/null

"$STRATA" serve --addr 127.0.0.1:0 --store store 2>serve.log &
server=$!
for _ in $(seq 100); do
  grep -q '^serving:' serve.log && break
  sleep 0.1
done
base=$(sed -n 's/^serving: *\(http:\/\/[^/]*\).*/\1/p' serve.log)
[ -n "$base" ] || { cat serve.log >&2; exit 1; }

mkdir -p "$out"
shot() { # name path [height]
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile-$1" \
    --window-size="1280,${3:-900}" --screenshot="$out/$1.png" "$base$2" >/dev/null 2>&1
  echo "reports/screenshots/$1.png  <- $2"
}
shot runs "/"
shot run "/runs/two-engines"
shot run-charts "/runs/two-engines" 2600
shot compare "/compare?runs=two-engines"
shot fs-2024-01 "/fs/project?at=2024-02-01T00:00:00Z"
shot fs-2024-06 "/fs/project?at=2024-07-01T00:00:00Z"
shot fs-file-2024-01 "/fs/project/README.md?at=2024-02-01T00:00:00Z"
