//! The engine factory: the kinds of engine a spec may name (each with the
//! schema its crate defines), and a spec turned into an open engine in a
//! directory.
//!
//! `lsm` is strata's own engine (over the given `Env`). The baselines
//! (`leveldb`, `rusty-leveldb`) are compiled in only with their cargo
//! features and always use the real file system; their specs parse and
//! check either way. `db_bench` names a peer's own db_bench binary: not an
//! in-process engine, it runs as a process ([`peer_of`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use strata_api::{Engine, EngineSpec, Env, Error, Result, SpecSchema};
use strata_baselines::BaselineOptions;
use strata_lsm::{Db, DbOptions};
use strata_workloads::external::{Flavour, Peer, PeerOptions};

/// Every kind of engine a spec may name, with its keys, in the order
/// error messages list them.
pub const KINDS: &[SpecSchema] = &[
    strata_lsm::spec::SCHEMA,
    strata_baselines::spec::LEVELDB,
    strata_baselines::spec::RUSTY_LEVELDB,
    strata_baselines::spec::DB_BENCH,
];

/// The schema of engine kind `kind`, if strata has such a kind.
pub fn schema(kind: &str) -> Option<&'static SpecSchema> {
    KINDS.iter().find(|s| s.kind == kind)
}

/// Parses `text` and checks its kind and keys against [`KINDS`].
///
/// # Errors
/// `InvalidArgument` naming the unknown kind, key or value and listing the
/// allowed ones.
pub fn parse_spec(text: &str) -> Result<EngineSpec> {
    EngineSpec::parse_for(text, KINDS)
}

/// Checks `spec` as its engine would when opening it (ranges, a policy's
/// parameters, sizes that must fit), without opening anything.
///
/// # Errors
/// `InvalidArgument` saying what is wrong.
pub fn check_spec(spec: &EngineSpec) -> Result<()> {
    match spec.kind() {
        "lsm" => strata_lsm::spec::validate(spec).map(drop),
        kind => BaselineOptions::from_spec(spec, kind).map(drop),
    }
}

/// `spec` with the keys it leaves out set to its engine's defaults (as
/// far as they do not depend on other keys): what describes the engine in
/// a results row.
pub fn resolved(spec: &EngineSpec) -> EngineSpec {
    match spec.kind() {
        "lsm" => strata_lsm::spec::resolved(spec),
        _ => strata_baselines::spec::resolved(spec),
    }
}

/// The columns of a results row that describe an engine, read from its
/// [`resolved`] spec; a key the engine does not have is empty (`memtable`
/// and `compaction` of a peer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineColumns {
    /// The memtable implementation.
    pub memtable: String,
    /// The compaction policy.
    pub compaction: String,
    /// The block compression.
    pub compression: String,
    /// Bloom filter bits per key (0: none).
    pub bloom_bits: u32,
}

impl EngineColumns {
    /// The columns of `spec`.
    pub fn of(spec: &EngineSpec) -> Self {
        let full = resolved(spec);
        let text = |key: &str| full.get(key).unwrap_or_default().to_string();
        EngineColumns {
            memtable: text("memtable"),
            compaction: text("compaction"),
            compression: text("compression"),
            bloom_bits: full
                .number("bloom_bits")
                .map_or(0, |b| u32::try_from(b).unwrap_or(u32::MAX)),
        }
    }
}

/// True for specs that run as a peer's own db_bench process.
pub fn is_peer(spec: &EngineSpec) -> bool {
    spec.kind() == "db_bench"
}

/// Where `scripts/install-peers.sh` puts the peers it builds:
/// `$STRATA_PEERS_DIR`, else `$HOME/.local/share/strata/peers`.
pub fn peers_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STRATA_PEERS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".local/share/strata/peers")
}

/// The binary a `db_bench:` spec runs: its `path`, else the installed one
/// of its flavour (LevelDB 1.23's under [`peers_dir`], Debian's
/// `/usr/bin/db_bench` for RocksDB).
pub fn peer_binary(spec: &EngineSpec) -> PathBuf {
    if let Some(path) = spec.get("path") {
        return PathBuf::from(path);
    }
    match spec.get_or("flavour", "leveldb") {
        "rocksdb" => PathBuf::from("/usr/bin/db_bench"),
        _ => peers_dir().join("leveldb-1.23").join("db_bench"),
    }
}

/// The peer a `db_bench:` spec names, with the options it sets (the rest
/// are the binary's own defaults).
///
/// # Errors
/// `InvalidArgument` for a spec of another kind or a bad value; `NotFound`
/// when the binary is not there (naming the install script).
pub fn peer_of(spec: &EngineSpec) -> Result<(Peer, PeerOptions)> {
    if !is_peer(spec) {
        return Err(Error::InvalidArgument(format!(
            "{spec} is not a db_bench spec"
        )));
    }
    spec.validate(&strata_baselines::spec::DB_BENCH)?;
    let flavour = match spec.get_or("flavour", "leveldb") {
        "rocksdb" => Flavour::RocksDb,
        _ => Flavour::LevelDb,
    };
    let binary = peer_binary(spec);
    if !binary.is_file() {
        return Err(Error::NotFound(format!(
            "{spec}: no binary at {} (run scripts/install-peers.sh, or give path=)",
            binary.display()
        )));
    }
    let options = PeerOptions {
        write_buffer_size: spec.number("write_buffer_size"),
        max_file_size: spec.number("max_file_size"),
        block_size: spec.number("block_size"),
        cache_size: spec.number("cache_size"),
        bloom_bits: spec.number("bloom_bits"),
        open_files: spec.number("open_files"),
        compression: spec.get("compression").map(|c| c == "snappy"),
    };
    Ok((Peer { binary, flavour }, options))
}

/// Opens (creating if missing) the engine `spec` names in `dir`.
///
/// # Errors
/// `InvalidArgument` for a baseline not compiled in (naming the cargo
/// feature to enable) or a bad option value; whatever the engine's open
/// returns (`Io`, `Corruption`).
pub fn open_engine(spec: &EngineSpec, dir: &Path, env: Arc<dyn Env>) -> Result<Arc<dyn Engine>> {
    match spec.kind() {
        "lsm" => {
            let options = DbOptions::from_spec(spec, env)?;
            Ok(Arc::new(Db::open(options, dir)?))
        }
        "leveldb" => open_leveldb(spec, dir),
        "rusty-leveldb" => open_rusty(spec, dir),
        "db_bench" => Err(Error::InvalidArgument(format!(
            "{spec} is a peer's own db_bench binary, run as a separate process by \
             `strata bench`; it has no engine strata can open"
        ))),
        other => Err(Error::InvalidArgument(format!(
            "no engine of kind '{other}'"
        ))),
    }
}

/// An engine opened for inspection, and the scratch copy it reads (for
/// the peers, which cannot open a database without writing to it).
pub struct Inspected {
    /// The open engine.
    pub engine: Arc<dyn Engine>,
    /// The copy a peer opened; removed when this is dropped, after the
    /// engine (fields drop in order).
    _scratch: Option<tempfile::TempDir>,
}

/// Opens the existing database `spec` names in `dir` without creating or
/// changing anything in `dir`: strata's engine opens it read-only (RocksDB's
/// `OpenForReadOnly`); a peer, whose open always writes a new log and
/// MANIFEST, opens a scratch copy of the directory instead.
///
/// # Errors
/// `InvalidArgument` naming `dir` if it holds no database (no `CURRENT`);
/// `Io` copying; whatever the engine's open returns.
pub fn open_engine_read_only(
    spec: &EngineSpec,
    dir: &Path,
    env: Arc<dyn Env>,
) -> Result<Inspected> {
    if !env.file_exists(&dir.join("CURRENT")) {
        return Err(Error::InvalidArgument(format!(
            "{}: no database (no CURRENT file)",
            dir.display()
        )));
    }
    if spec.kind() == "lsm" {
        let options = DbOptions::from_spec(spec, env)?;
        return Ok(Inspected {
            engine: Arc::new(Db::open_read_only(options, dir)?),
            _scratch: None,
        });
    }
    let scratch = tempfile::Builder::new()
        .prefix("strata-inspect-")
        .tempdir()
        .map_err(|e| Error::io(dir, e))?;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let from = entry.path();
        if from.is_file() && entry.file_name() != "LOCK" {
            std::fs::copy(&from, scratch.path().join(entry.file_name()))
                .map_err(|e| Error::io(&from, e))?;
        }
    }
    let engine = open_engine(spec, scratch.path(), Arc::new(strata_api::PosixEnv::new()))?;
    Ok(Inspected {
        engine,
        _scratch: Some(scratch),
    })
}

/// Deletes the database `spec` names in `dir` (nothing if absent).
///
/// # Errors
/// `Io` if files cannot be removed or the database is open.
pub fn destroy_engine(spec: &EngineSpec, dir: &Path, env: Arc<dyn Env>) -> Result<()> {
    match spec.kind() {
        "lsm" => strata_lsm::destroy_db(env.as_ref(), dir),
        _ => {
            // Baselines write through the real file system.
            match std::fs::remove_dir_all(dir) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(Error::io(dir, e)),
            }
        }
    }
}

#[cfg(feature = "leveldb")]
fn open_leveldb(spec: &EngineSpec, dir: &Path) -> Result<Arc<dyn Engine>> {
    strata_baselines::open_leveldb(spec, dir)
}

#[cfg(not(feature = "leveldb"))]
fn open_leveldb(_spec: &EngineSpec, _dir: &Path) -> Result<Arc<dyn Engine>> {
    Err(Error::InvalidArgument(
        "engine 'leveldb' is not compiled in: build with `--features leveldb` (needs libleveldb-dev and libsnappy-dev)".into(),
    ))
}

#[cfg(feature = "rusty-leveldb")]
fn open_rusty(spec: &EngineSpec, dir: &Path) -> Result<Arc<dyn Engine>> {
    strata_baselines::open_rusty_leveldb(spec, dir)
}

#[cfg(not(feature = "rusty-leveldb"))]
fn open_rusty(_spec: &EngineSpec, _dir: &Path) -> Result<Arc<dyn Engine>> {
    Err(Error::InvalidArgument(
        "engine 'rusty-leveldb' is not compiled in: build with `--features rusty-leveldb`".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_checked_against_the_kind_of_engine() {
        let e = parse_spec("rocks").expect_err("kind").to_string();
        assert!(
            e.contains(
                "unknown engine kind 'rocks' in spec 'rocks'; allowed: lsm, leveldb, rusty-leveldb"
            ),
            "{e}"
        );
        let e = parse_spec("lsm:memtabel=skiplist")
            .expect_err("key")
            .to_string();
        assert!(
            e.contains("unknown key 'memtabel'") && e.contains("memtable"),
            "{e}"
        );
        let e = parse_spec("leveldb:memtable=btree")
            .expect_err("key")
            .to_string();
        assert!(
            e.contains("unknown key 'memtable' for engine 'leveldb'"),
            "{e}"
        );
        let e = parse_spec("lsm:compression=zlib")
            .expect_err("value")
            .to_string();
        assert!(e.contains("none, snappy"), "{e}");
        assert!(parse_spec("lsm:memtable").is_err());
        let s = parse_spec("lsm:write_buffer_size=1K").expect("grammar and schema");
        let e = check_spec(&s).expect_err("range").to_string();
        assert!(e.contains("below the minimum"), "{e}");
        let s = parse_spec("rusty-leveldb:bloom_bits=8G").expect("schema");
        assert!(check_spec(&s).is_err(), "bloom bits must fit u32");
        check_spec(&parse_spec("lsm:compaction=tiered,min_merge_width=3").expect("spec"))
            .expect("valid");
    }

    #[test]
    fn row_columns_come_from_the_engines_defaults() {
        let columns = |text: &str| EngineColumns::of(&parse_spec(text).expect("spec"));
        assert_eq!(
            columns("lsm"),
            EngineColumns {
                memtable: "skiplist".into(),
                compaction: "leveled".into(),
                compression: "snappy".into(),
                bloom_bits: 0,
            }
        );
        assert_eq!(
            columns("lsm:memtable=btree,compaction=tiered,compression=none,bloom_bits=100"),
            EngineColumns {
                memtable: "btree".into(),
                compaction: "tiered".into(),
                compression: "none".into(),
                bloom_bits: 100,
            }
        );
        assert_eq!(
            columns("leveldb:bloom_bits=10"),
            EngineColumns {
                memtable: String::new(),
                compaction: String::new(),
                compression: "snappy".into(),
                bloom_bits: 10,
            }
        );
        assert_eq!(
            columns("rusty-leveldb:compression=none").compression,
            "none"
        );
    }
}
