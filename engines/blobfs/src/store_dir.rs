//! The on-disk layout of a blobfs store: a directory holding
//! - `engine/`: the key/value database (blobs under `b:`, index under `i:`);
//! - `signer.key`: the owner's ed25519 secret key, 64 hex digits, mode 0600,
//!   created by [`StoreDir::init`];
//! - `config.json`: `{"engine": "<spec>"}`, the engine spec given to
//!   [`StoreDir::init`] with [`LSM_STORE_OPTIONS`] added (see
//!   [`store_engine_spec`]), used by every later open; it may also set
//!   `"claim_flush_bytes"` (see [`FsConfig::claim_flush_bytes`]).
//!
//! This crate knows no engine, so opening the database is the caller's:
//! every function here takes an [`OpenEngine`] that turns the recorded
//! spec and the `engine/` directory into an [`Engine`].

use crate::{BlobFs, BlobRef, FsConfig, FsError, Result, Signer};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strata_api::{Engine, EngineSpec};

/// The file holding the store's engine spec.
pub const CONFIG_FILE: &str = "config.json";
/// The file holding the owner's secret key.
pub const SIGNER_FILE: &str = "signer.key";
/// The directory of the store's database.
pub const ENGINE_DIR: &str = "engine";

/// The options blobfs gives an `lsm` engine of a new store unless its spec
/// sets them (the engine's own defaults are LevelDB's, made for small
/// random values):
/// - `bloom_bits=10`: most point lookups of blobfs miss (every chunk and
///   `file` blob stored is first looked up under `l:` to deduplicate it;
///   a path lookup probes every level until it finds its `i:e:` entry).
///   Without filters each miss reads a block of every level; with 10 bits
///   per key about 1 % do.
/// - `cache_size=256 MiB` (the engine's default is 8 MiB): the current-state
///   keys `stat` and `readdir` read (`i:n:`, `i:e:`, about 200 bytes per
///   file) outgrow 8 MiB at about 40,000 files and 64 MiB at about 300,000.
///   File contents are read without filling the cache
///   ([`crate::blob::data_read_options`]), so it holds index blocks only,
///   and only those read: a small store never fills it.
/// - `write_buffer_size=16 MiB` (4 MiB) and `max_bytes_for_level_base=64
///   MiB` (10 MiB): a store's bytes are mostly file contents (about 12 KiB
///   per file in the fs benchmarks), so it outgrows LevelDB's 4 MiB
///   memtable and 10 MiB first level at once. Bigger ones mean fewer level-0
///   files and one level less at a million files, so fewer rewrites of the
///   same blob and fewer write stalls. Memory: at most two memtables,
///   32 MiB.
/// - `max_file_size=16 MiB` (2 MiB): a million-file store is about 9 GB of
///   tables; in 2 MiB tables that is some 4,500 files, more than the
///   engine's table cache (990), so lookups reopened tables, and every
///   engine iterator (a `readdir`, a lookup in the past) cost time in
///   proportion to the number of files. 16 MiB tables: about 560.
///   On an engine that maps its tables (`PosixEnv`), larger tables mean more
///   mapped pages count in the resident set; blobfs's long-running users
///   (the mount, verify) read tables with `pread` ([`crate::pread_env`]).
/// - `partition_prefix_bytes=2` (0; leveled compaction only, so not added
///   to a spec naming another policy): blobfs's keys are families by their
///   first two bytes, file contents appended in order under `d:` beside the
///   random `i:` and `l:` index keys. With tables cut between families,
///   the `d:` tables overlap nothing and go down the levels by trivial
///   moves instead of being merged with index keys at every level: at
///   100,000 files fs_create 202 → 156 µs/op and write stalls 26 % → 6 %
///   of its time.
///
/// Measured at 100,000 files (release, `strata bench --benchmarks fs`,
/// µs/op): none → bloom and a 64 MiB cache → plus the write buffer and
/// level base: fs_create 866 → 751 → 336, fs_read 103 → 111 → 68, fs_stat
/// 17.7 → 11.7 → 8.7, fs_readdir 112 → 77 → 59. At 1,000,000 files, the
/// last of those → all of the above (with the data reads kept out of the
/// cache and a larger path cache): fs_create 565 → 311, fs_read 213 → 107,
/// fs_stat 33.6 → 23.2, fs_readdir 273 → 91 (before any of them: 1,441,
/// 491, 68.7, 477).
pub const LSM_STORE_OPTIONS: &[(&str, &str)] = &[
    ("bloom_bits", "10"),
    ("cache_size", "268435456"),
    ("write_buffer_size", "16777216"),
    ("max_bytes_for_level_base", "67108864"),
    ("max_file_size", "16777216"),
    ("partition_prefix_bytes", "2"),
];

/// `spec` with each of [`LSM_STORE_OPTIONS`] it does not set, if it is an
/// `lsm` spec; any other spec as it is.
///
/// # Errors
/// `Usage` if the spec grammar refuses a key (it does not: the keys and
/// values above are plain).
pub fn store_engine_spec(spec: &EngineSpec) -> Result<EngineSpec> {
    if spec.kind() != "lsm" {
        return Ok(spec.clone());
    }
    let mut tuned = spec.clone();
    let leveled = spec.get("compaction").is_none_or(|c| c == "leveled");
    for &(key, value) in LSM_STORE_OPTIONS {
        if key == "partition_prefix_bytes" && !leveled {
            continue;
        }
        if tuned.get(key).is_none() {
            tuned = tuned
                .with(key, value)
                .map_err(|e| FsError::Usage(e.to_string()))?;
        }
    }
    Ok(tuned)
}

/// Opens (creating if needed) the engine of `spec` in a directory.
pub type OpenEngine<'a> = &'a dyn Fn(&EngineSpec, &Path) -> strata_api::Result<Arc<dyn Engine>>;

#[derive(Serialize, Deserialize)]
struct StoreConfig {
    engine: String,
    /// Optional: [`FsConfig::claim_flush_bytes`] for this store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    claim_flush_bytes: Option<usize>,
}

/// The [`FsConfig`] a store on disk is used with: the defaults, with every
/// mutation synced.
pub fn store_fs_config() -> FsConfig {
    FsConfig {
        sync: true,
        ..FsConfig::default()
    }
}

/// Parses an engine spec; a malformed one is a usage error.
///
/// # Errors
/// `Usage` with the parser's message.
pub fn parse_spec(text: &str) -> Result<EngineSpec> {
    EngineSpec::parse(text).map_err(|e| FsError::Usage(e.to_string()))
}

/// A store directory (which may not exist yet).
#[derive(Clone, Debug)]
pub struct StoreDir {
    root: PathBuf,
}

impl StoreDir {
    /// The store at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of [`CONFIG_FILE`].
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// Path of [`SIGNER_FILE`].
    pub fn signer_path(&self) -> PathBuf {
        self.root.join(SIGNER_FILE)
    }

    /// Path of [`ENGINE_DIR`].
    pub fn engine_dir(&self) -> PathBuf {
        self.root.join(ENGINE_DIR)
    }

    /// Creates a new store: the directory, the signer key, the engine of
    /// [`store_engine_spec`]`(spec)` with an empty root, then the config
    /// file recording that spec (last, so that a store without one was
    /// never finished). Returns the signer's public-key ref.
    ///
    /// # Errors
    /// `AlreadyExists` if the config file (or the key) exists; `Io`; what
    /// `open` or [`BlobFs::init`] return.
    pub fn init(&self, spec: &EngineSpec, open: OpenEngine<'_>) -> Result<BlobRef> {
        let config_path = self.config_path();
        if config_path.exists() {
            return Err(FsError::AlreadyExists(format!(
                "a store at {}",
                self.root.display()
            )));
        }
        let spec = &store_engine_spec(spec)?;
        std::fs::create_dir_all(&self.root).map_err(|e| FsError::io(&self.root, e))?;
        let signer = Signer::create_file(&self.signer_path())?;
        let signer_ref = signer.public_key_ref();
        let engine = open(spec, &self.engine_dir())?;
        BlobFs::init(engine, signer, store_fs_config())?;
        let config = serde_json::to_vec_pretty(&StoreConfig {
            engine: spec.to_string(),
            claim_flush_bytes: None,
        })
        .map_err(|e| FsError::Usage(format!("cannot encode {CONFIG_FILE}: {e}")))?;
        std::fs::write(&config_path, config).map_err(|e| FsError::io(&config_path, e))?;
        Ok(signer_ref)
    }

    /// The engine spec recorded in the store. With `asked` (a spec text the
    /// user gave), it must equal the recorded one, as given or with
    /// [`store_engine_spec`]'s options (what `init` would have recorded).
    ///
    /// # Errors
    /// `NotFound` if there is no store; `Io`; `Corruption` if the config
    /// file does not decode; `Usage` if a spec is malformed or `asked`
    /// differs from the store's.
    pub fn spec(&self, asked: Option<&str>) -> Result<EngineSpec> {
        let config = self.read_config()?;
        let spec = parse_spec(&config.engine)?;
        if let Some(asked) = asked {
            let asked = parse_spec(asked)?;
            if asked != spec && store_engine_spec(&asked)? != spec {
                return Err(FsError::Usage(format!(
                    "the store was created with engine '{spec}', not '{asked}'"
                )));
            }
        }
        Ok(spec)
    }

    /// The [`FsConfig`] of this store: [`store_fs_config`] with what
    /// `config.json` sets.
    ///
    /// # Errors
    /// As [`StoreDir::spec`].
    pub fn fs_config(&self) -> Result<FsConfig> {
        let config = self.read_config()?;
        let mut fs = store_fs_config();
        if let Some(bytes) = config.claim_flush_bytes {
            fs.claim_flush_bytes = bytes;
        }
        Ok(fs)
    }

    fn read_config(&self) -> Result<StoreConfig> {
        let path = self.config_path();
        let text = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                FsError::NotFound(format!(
                    "no store at {} (run `strata fs --store {} init`)",
                    self.root.display(),
                    self.root.display()
                ))
            } else {
                FsError::io(&path, e)
            }
        })?;
        serde_json::from_slice(&text)
            .map_err(|e| FsError::corruption(path.display().to_string(), e.to_string()))
    }

    /// The store's engine and signer, without the filesystem on top (for
    /// the tools that read the engine directly: verify, reindex, stats).
    ///
    /// # Errors
    /// What [`StoreDir::spec`], [`Signer::load_file`] and `open` return.
    pub fn open_parts(
        &self,
        asked: Option<&str>,
        open: OpenEngine<'_>,
    ) -> Result<(Arc<dyn Engine>, Signer)> {
        let spec = self.spec(asked)?;
        let signer = Signer::load_file(&self.signer_path())?;
        let engine = open(&spec, &self.engine_dir())?;
        Ok((engine, signer))
    }

    /// The store's filesystem, with [`StoreDir::fs_config`].
    ///
    /// # Errors
    /// What [`StoreDir::open_parts`] and [`BlobFs::open`] return.
    pub fn open(&self, asked: Option<&str>, open: OpenEngine<'_>) -> Result<BlobFs> {
        let config = self.fs_config()?;
        let (engine, signer) = self.open_parts(asked, open)?;
        BlobFs::open(engine, signer, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_api::{Env, PosixEnv};

    fn lsm(spec: &EngineSpec, dir: &Path) -> strata_api::Result<Arc<dyn Engine>> {
        let env: Arc<dyn Env> = Arc::new(PosixEnv::new());
        let options = strata_lsm::DbOptions::from_spec(spec, env)?;
        Ok(Arc::new(strata_lsm::Db::open(options, dir)?))
    }

    fn lsm_spec(text: &str) -> EngineSpec {
        EngineSpec::parse(text).expect("spec")
    }

    #[test]
    fn init_writes_the_layout_and_open_reads_it_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = StoreDir::new(tmp.path().join("s"));
        let spec = lsm_spec("lsm:write_buffer_size=64K");
        let signer = store.init(&spec, &lsm).expect("init");
        assert!(store.engine_dir().join("CURRENT").exists());
        let config = std::fs::read_to_string(store.config_path()).expect("config");
        let value: serde_json::Value = serde_json::from_str(&config).expect("json");
        let recorded = lsm_spec(
            "lsm:bloom_bits=10,cache_size=268435456,max_bytes_for_level_base=67108864,\
             max_file_size=16777216,partition_prefix_bytes=2,write_buffer_size=64K",
        );
        assert_eq!(value["engine"], recorded.to_string());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.signer_path())
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(store.spec(None).expect("spec"), recorded);
        assert_eq!(
            store
                .spec(Some("lsm:write_buffer_size=64K"))
                .expect("as given"),
            recorded
        );
        assert_eq!(
            store
                .spec(Some(&recorded.to_string()))
                .expect("as recorded"),
            recorded
        );
        let (_engine, loaded) = store.open_parts(None, &lsm).expect("parts");
        assert_eq!(loaded.public_key_ref(), signer);
        drop(_engine);
        let fs = store.open(None, &lsm).expect("open");
        assert!(fs.readdir("/", None).expect("root").is_empty());
        assert_eq!(
            fs.config().claim_flush_bytes,
            FsConfig::default().claim_flush_bytes
        );
        assert!(fs.config().sync);
        drop(fs);
        let tuned = format!(r#"{{"engine": "{spec}", "claim_flush_bytes": 4096}}"#);
        std::fs::write(store.config_path(), tuned).expect("config");
        assert_eq!(store.fs_config().expect("config").claim_flush_bytes, 4096);
        let fs = store.open(None, &lsm).expect("open tuned");
        assert_eq!(fs.config().claim_flush_bytes, 4096);
    }

    #[test]
    fn store_options_fill_only_what_the_spec_leaves_unset() {
        let tuned = store_engine_spec(&lsm_spec("lsm")).expect("tuned");
        assert_eq!(tuned.number("bloom_bits"), Some(10));
        assert_eq!(tuned.number("cache_size"), Some(256 << 20));
        assert_eq!(tuned.number("max_file_size"), Some(16 << 20));
        assert_eq!(tuned.number("write_buffer_size"), Some(16 << 20));
        assert_eq!(tuned.number("max_bytes_for_level_base"), Some(64 << 20));
        let own = store_engine_spec(&lsm_spec("lsm:bloom_bits=0,cache_size=1M")).expect("own");
        assert_eq!(own.number("bloom_bits"), Some(0));
        assert_eq!(own.number("cache_size"), Some(1 << 20));
        let other = lsm_spec("btree");
        assert_eq!(store_engine_spec(&other).expect("other"), other);
        // The engine accepts what blobfs adds.
        let env: Arc<dyn Env> = Arc::new(PosixEnv::new());
        let options = strata_lsm::DbOptions::from_spec(&tuned, env).expect("valid lsm options");
        assert_eq!(options.bloom_bits_per_key, Some(10));
        assert_eq!(options.block_cache_capacity_bytes, 256 << 20);
        assert_eq!(options.max_file_size, 16 << 20);
        assert_eq!(options.write_buffer_size, 16 << 20);
        assert_eq!(options.max_bytes_for_level_base, 64 << 20);
        assert_eq!(options.partition_prefix_bytes, 2);
        for policy in ["tiered", "lazy_leveled"] {
            let other = store_engine_spec(&lsm_spec(&format!("lsm:compaction={policy}")))
                .expect("another policy");
            assert_eq!(other.get("partition_prefix_bytes"), None, "{policy}");
            strata_lsm::DbOptions::from_spec(&other, Arc::new(PosixEnv::new()))
                .expect("a valid spec");
        }
    }

    #[test]
    fn a_store_recorded_without_the_options_still_opens_with_its_own() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = StoreDir::new(tmp.path());
        store.init(&lsm_spec("lsm"), &lsm).expect("init");
        // A store made before blobfs added options records a bare spec.
        std::fs::write(store.config_path(), br#"{"engine": "lsm"}"#).expect("write");
        assert_eq!(store.spec(None).expect("bare"), lsm_spec("lsm"));
        assert_eq!(store.spec(Some("lsm")).expect("same"), lsm_spec("lsm"));
        let fs = store.open(None, &lsm).expect("open");
        assert!(fs.readdir("/", None).expect("root").is_empty());
    }

    #[test]
    fn init_refuses_an_existing_store() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = StoreDir::new(tmp.path());
        store.init(&lsm_spec("lsm"), &lsm).expect("init");
        let again = store.init(&lsm_spec("lsm"), &lsm).err();
        assert!(
            matches!(again, Some(FsError::AlreadyExists(_))),
            "{again:?}"
        );
    }

    #[test]
    fn open_reports_a_missing_store_a_bad_config_and_a_different_engine() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = StoreDir::new(tmp.path().join("none"));
        let missing = store.spec(None);
        assert!(
            matches!(&missing, Err(FsError::NotFound(m)) if m.contains("no store at")),
            "{missing:?}"
        );
        let store = StoreDir::new(tmp.path());
        store.init(&lsm_spec("lsm"), &lsm).expect("init");
        let other = store.spec(Some("lsm:write_buffer_size=64K"));
        assert!(matches!(other, Err(FsError::Usage(_))), "{other:?}");
        let bad = store.spec(Some("no-such-engine"));
        assert!(matches!(bad, Err(FsError::Usage(_))), "{bad:?}");
        std::fs::write(store.config_path(), b"{not json").expect("write");
        let corrupt = store.spec(None);
        assert!(
            matches!(&corrupt, Err(e) if e.is_corruption()),
            "{corrupt:?}"
        );
        std::fs::write(store.config_path(), br#"{"engine": "lsm"}"#).expect("write");
        std::fs::remove_file(store.signer_path()).expect("rm key");
        let no_key = store.open_parts(None, &lsm).err();
        assert!(matches!(no_key, Some(FsError::NotFound(_))), "{no_key:?}");
    }
}
