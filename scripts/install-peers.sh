#!/usr/bin/env bash
# Installs the peers that strata runs as engines `db_bench:leveldb` and
# `db_bench:rocksdb`, unmodified, as their own users run them:
#   - RocksDB's db_bench: Debian's `rocksdb-tools`, at /usr/bin/db_bench;
#   - LevelDB 1.23's db_bench, built from Debian's source package `leveldb`
#     (`apt-get source leveldb`, deb-src enabled if needed) as LevelDB's CMake
#     release build on Linux does: -O2 -DNDEBUG, Snappy on, portable CRC-32C,
#     fdatasync and O_CLOEXEC, linked to Debian's libsnappy; installed at
#     ${STRATA_PEERS_DIR:-$HOME/.local/share/strata/peers}/leveldb-1.23/db_bench
#     with the LevelDB licence and a stamp recording the build recipe.
# The build is that of ../shared/tools/leveldb-1.23/db_bench_snappy (its
# README). Rerunning the script is a no-op once both are installed and the
# stamp matches this script's recipe. It prints one line per action, then both
# binaries' paths and version lines. Needs apt (Debian); uses sudo when not root.
set -euo pipefail

say() { echo "install-peers: $*"; }
die() {
  echo "install-peers: error: $*" >&2
  exit 1
}

peers_dir="${STRATA_PEERS_DIR:-${HOME:?is unset: set it or STRATA_PEERS_DIR}/.local/share/strata/peers}"
ldb_dir="$peers_dir/leveldb-1.23"
ldb_bin="$ldb_dir/db_bench"
ldb_stamp="$ldb_dir/BUILD-RECIPE"
rocks_bin=/usr/bin/db_bench

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

# --- The LevelDB build recipe: everything that decides the binary. ---------
# port/port_config.h as LevelDB's CMake writes it on Linux with Snappy
# installed and Google's crc32c library absent (so the portable CRC-32C).
port_config='#ifndef STORAGE_LEVELDB_PORT_PORT_CONFIG_H_
#define STORAGE_LEVELDB_PORT_PORT_CONFIG_H_
#define HAVE_FDATASYNC 1
#define HAVE_FULLFSYNC 0
#define HAVE_O_CLOEXEC 1
#define HAVE_CRC32C 0
#define HAVE_SNAPPY 1
#endif  // STORAGE_LEVELDB_PORT_PORT_CONFIG_H_'
cxxflags=(-O2 -DNDEBUG -std=c++17 -DLEVELDB_PLATFORM_POSIX -I. -Iinclude)
ldlibs=(-lsnappy -lpthread)
# The library's sources, memenv and db_bench.cc; not the tests, the other
# benchmarks, the Windows env, leveldbutil (it has its own main).
sources_rule='db/*.cc table/*.cc util/*.cc helpers/memenv/memenv.cc benchmarks/db_bench.cc
minus *_test.cc *_bench.cc(but db_bench.cc) env_windows.cc testharness.cc leveldbutil.cc'
# A second binary, the same but without Snappy (HAVE_SNAPPY 0), for runs
# with compression off (`strata reproduce`: the seed ran Snappy off, and
# LevelDB 1.23's db_bench has no flag to turn it off).
port_config_nosnappy=${port_config/HAVE_SNAPPY 1/HAVE_SNAPPY 0}
ldb_bin_nosnappy="$ldb_dir/db_bench_nosnappy"
recipe_hash=$(printf '%s\n' "leveldb 1.23" "$port_config" "$port_config_nosnappy" "${cxxflags[*]}" \
  "${ldlibs[*]}" "$sources_rule" | sha256sum | cut -d' ' -f1)

ldb_current() {
  [ -x "$ldb_bin" ] && [ -x "$ldb_bin_nosnappy" ] && [ -f "$ldb_stamp" ] &&
    [ "$(head -n1 "$ldb_stamp")" = "recipe $recipe_hash" ]
}
pkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

apt_update() {
  say "apt-get update"
  # A mirror can fail for a moment: three tries, then fail loudly.
  for attempt in 1 2 3; do
    if $sudo apt-get update -q >/dev/null; then
      return 0
    fi
    [ "$attempt" = 3 ] && die "apt-get update failed three times"
    sleep 10
  done
}
apt_install() {
  say "apt-get install $*"
  for attempt in 1 2 3; do
    if DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
      return 0
    fi
    [ "$attempt" = 3 ] && die "could not install $*"
    sleep 10
    apt_update
  done
}

# Adds deb-src beside deb for Debian's own sources, in whichever form the image
# has them: deb822 (/etc/apt/sources.list.d/debian.sources, bookworm and
# later images: `deb-src` added to each `Types:`) or one-line
# (/etc/apt/sources.list: a `deb-src` twin of each `deb` line). Idempotent.
debsrc_changed=0
enable_deb_src() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [ -f "$f" ] && awk '/^Types:/ && !/deb-src/ { found = 1 } END { exit !found }' "$f"; then
    say "enabling deb-src in $f"
    $sudo sed -i -E '/^Types:/{/deb-src/!s/[[:space:]]*$/ deb-src/}' "$f"
    debsrc_changed=1
  fi
  f=/etc/apt/sources.list
  if [ -f "$f" ]; then
    # A deb line's twin: the same line with deb-src, unless a deb-src line
    # for the same URI, suite and components (whatever its options) exists.
    local added
    added=$(awk '
      function key(l) { sub(/^[ \t]*deb(-src)?[ \t]+(\[[^]]*\][ \t]+)?/, "", l); gsub(/[ \t]+/, " ", l); return l }
      NR == FNR { if ($1 == "deb-src") have[key($0)] = 1; next }
      $1 == "deb" && !(key($0) in have) { have[key($0)] = 1; l = $0; sub(/^[ \t]*deb/, "deb-src", l); print l }
    ' "$f" "$f")
    if [ -n "$added" ]; then
      say "enabling deb-src in $f"
      printf '%s\n' "$added" | $sudo tee -a "$f" >/dev/null
      debsrc_changed=1
    fi
  fi
}
leveldb_source_known() {
  grep -q '^Package: leveldb$' <<<"$(apt-cache showsrc leveldb 2>/dev/null)"
}

# --- Packages. ---------------------------------------------------------------
packages=(rocksdb-tools)
build=0
if ldb_current; then
  say "LevelDB 1.23 db_bench already built with this recipe: $ldb_bin"
else
  build=1
  # dpkg-dev: apt-get source; libgtest-dev/libgmock-dev: headers that
  # util/testutil.h includes (for two macros db_bench does not use).
  packages+=(dpkg-dev g++ libsnappy-dev libgtest-dev libgmock-dev)
fi
missing=()
for p in "${packages[@]}"; do
  pkg_installed "$p" || missing+=("$p")
done
# One apt-get update at most: for packages to install, or for the source
# lists when deb-src was just enabled (or apt has never read them).
if ((build)); then enable_deb_src; fi
if ((${#missing[@]} || debsrc_changed)) || { ((build)) && ! leveldb_source_known; }; then
  apt_update
fi
if ((${#missing[@]})); then
  apt_install "${missing[@]}"
else
  say "apt packages already installed: ${packages[*]}"
fi
[ -x "$rocks_bin" ] || die "$rocks_bin missing although rocksdb-tools is installed"

# --- LevelDB 1.23's db_bench. ------------------------------------------------
if ((build)); then
  leveldb_source_known || die "apt knows no source package leveldb: add a deb-src line for a Debian mirror"

  work=$(mktemp -d "${TMPDIR:-/tmp}/strata-peers.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  say "apt-get source leveldb (into $work)"
  (cd "$work" && apt-get source -q leveldb >"$work/apt-source.log" 2>&1) ||
    {
      tail -n 20 "$work/apt-source.log" >&2
      die "apt-get source leveldb failed"
    }
  src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'leveldb-*' | head -n1)
  [ -n "$src" ] || die "apt-get source leveldb unpacked no leveldb-* directory"
  deb_version=$(cd "$src" && dpkg-parsechangelog -S Version)
  grep -Eq 'kMajorVersion = 1;' "$src/include/leveldb/db.h" &&
    grep -Eq 'kMinorVersion = 23;' "$src/include/leveldb/db.h" ||
    die "Debian's source package leveldb $deb_version is not LevelDB 1.23"

  cd "$src"
  mapfile -t files < <(
    {
      find db table util -maxdepth 1 -name '*.cc' \
        ! -name '*_test.cc' ! -name '*_bench.cc' \
        ! -name env_windows.cc ! -name testharness.cc ! -name leveldbutil.cc
      echo helpers/memenv/memenv.cc
      echo benchmarks/db_bench.cc
    } | LC_ALL=C sort
  )
  jobs=$(nproc 2>/dev/null || echo 2)
  # build_variant NAME PORT_CONFIG LIBS...: compiles every file into
  # obj-NAME/ and links db_bench-NAME.
  build_variant() {
    local name=$1 config=$2
    shift 2
    printf '%s\n' "$config" >port/port_config.h
    say "compiling ${#files[@]} files of leveldb $deb_version ($name; g++ ${cxxflags[*]}, $jobs jobs)"
    mkdir -p "obj-$name"
    printf '%s\n' "${files[@]}" |
      OBJ="obj-$name" xargs -P "$jobs" -I{} sh -c 'f=$1; shift; exec "$0" "$@" -c "$f" -o "$OBJ/$(echo "$f" | tr / _).o"' \
        g++ {} "${cxxflags[@]}" ||
      die "compiling LevelDB ($name) failed"
    say "linking db_bench ($name: $*)"
    g++ -O2 "obj-$name"/*.o -o "db_bench-$name" "$@" || die "linking db_bench ($name) failed"
  }
  build_variant snappy "$port_config" "${ldlibs[@]}"
  build_variant nosnappy "$port_config_nosnappy" -lpthread
  mv -f db_bench-snappy db_bench

  say "installing $ldb_bin"
  mkdir -p "$ldb_dir"
  install -m 0755 db_bench "$ldb_bin.tmp"
  mv -f "$ldb_bin.tmp" "$ldb_bin"
  install -m 0755 db_bench-nosnappy "$ldb_bin_nosnappy.tmp"
  mv -f "$ldb_bin_nosnappy.tmp" "$ldb_bin_nosnappy"
  install -m 0644 LICENSE "$ldb_dir/LICENSE"
  {
    echo "recipe $recipe_hash"
    echo "source: Debian source package leveldb $deb_version"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) with $(g++ --version | head -n1)"
    echo "cxxflags: ${cxxflags[*]}"
    echo "ldlibs: ${ldlibs[*]}"
    echo "port/port_config.h (db_bench; db_bench_nosnappy has HAVE_SNAPPY 0):"
    echo "$port_config"
    echo "sources:"
    printf '  %s\n' "${files[@]}"
  } >"$ldb_stamp.tmp"
  mv -f "$ldb_stamp.tmp" "$ldb_stamp"
  cd - >/dev/null
fi

# --- Check both run, and say what is installed. ------------------------------
probe_db=$(mktemp -d "${TMPDIR:-/tmp}/strata-peers-probe.XXXXXX")
ldb_out=$("$ldb_bin" --benchmarks=crc32c --num=1 --db="$probe_db/leveldb" 2>&1) ||
  die "$ldb_bin does not run: $(echo "$ldb_out" | tail -n 3)"
rocks_version=$("$rocks_bin" --version 2>&1) || die "$rocks_bin --version failed: $rocks_version"
rm -rf "$probe_db"
ldb_version=$(grep -m1 '^LevelDB:' <<<"$ldb_out") || die "$ldb_bin printed no LevelDB version line"
grep -q '^LevelDB: *version 1\.23$' <<<"$ldb_out" || die "$ldb_bin is not LevelDB 1.23: $ldb_version"
if grep -q 'Snappy compression is not enabled' <<<"$ldb_out"; then
  die "$ldb_bin was built without Snappy"
fi
nosnappy_db=$(mktemp -d "${TMPDIR:-/tmp}/strata-peers-probe.XXXXXX")
nosnappy_out=$("$ldb_bin_nosnappy" --benchmarks=crc32c --num=1 --db="$nosnappy_db/leveldb" 2>&1) ||
  die "$ldb_bin_nosnappy does not run: $(echo "$nosnappy_out" | tail -n 3)"
rm -rf "$nosnappy_db"
grep -q 'Snappy compression is not enabled' <<<"$nosnappy_out" ||
  die "$ldb_bin_nosnappy was built with Snappy"
say "leveldb: $ldb_bin (LevelDB ${ldb_version#LevelDB:*version }, Snappy on)"
say "leveldb: $ldb_bin_nosnappy (the same, Snappy off)"
say "rocksdb: $rocks_bin ($rocks_version)"
