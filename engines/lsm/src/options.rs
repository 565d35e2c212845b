//! `DbOptions`: LevelDB's `Options`, with the same names and defaults.

use crate::compaction::lazy_leveled::LazyLeveledParams;
use crate::compaction::tiered::TieredParams;
use crate::compaction::CompactionKind;
use crate::memtable::MemTableKind;
use crate::table::CompressionType;
use std::sync::Arc;
use strata_api::{EngineSpec, Env, Error, PosixEnv, Result};

/// Options of a database, fixed at open.
#[derive(Clone)]
pub struct DbOptions {
    /// Every file operation goes through this env. Default: `PosixEnv`.
    pub env: Arc<dyn Env>,
    /// Create the database if it is missing (LevelDB default `false`;
    /// strata's engine factory sets it).
    pub create_if_missing: bool,
    /// Fail to open if the database already exists. Default `false`.
    pub error_if_exists: bool,
    /// Treat any corruption met (WAL records, MANIFEST, tables during
    /// compaction) as an error instead of skipping and reporting it.
    /// Default `false`.
    pub paranoid_checks: bool,
    /// Bytes a memtable may hold before it is switched and flushed.
    /// Default 4 MiB.
    pub write_buffer_size: usize,
    /// Files the table cache keeps open (10 are reserved for other uses, as
    /// in LevelDB). Default 1000.
    pub max_open_files: usize,
    /// Block cache capacity in bytes. Default 8 MiB.
    pub block_cache_capacity_bytes: usize,
    /// Uncompressed bytes per data block. Default 4 KiB.
    pub block_size: usize,
    /// Keys between restart points in a block. Default 16.
    pub block_restart_interval: usize,
    /// Bytes after which a compaction starts a new table. Default 2 MiB.
    pub max_file_size: u64,
    /// Size target of level 1 in bytes; level L targets ×10^(L−1). Default
    /// 10 MiB (fixed in LevelDB; RocksDB's `max_bytes_for_level_base`).
    /// Tests lower it to reach deep levels with little data.
    pub max_bytes_for_level_base: u64,
    /// Block compression. Default Snappy (LevelDB's default).
    pub compression: CompressionType,
    /// Bloom filter bits per key; `None` means no filter (LevelDB's default).
    pub bloom_bits_per_key: Option<u32>,
    /// Memtable implementation. Default the arena skiplist.
    pub memtable: MemTableKind,
    /// Compaction policy. Default LevelDB's leveled policy.
    pub compaction: CompactionKind,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            env: Arc::new(PosixEnv::new()),
            create_if_missing: false,
            error_if_exists: false,
            paranoid_checks: false,
            write_buffer_size: 4 << 20,
            max_open_files: 1000,
            block_cache_capacity_bytes: 8 << 20,
            block_size: 4 << 10,
            block_restart_interval: 16,
            max_file_size: 2 << 20,
            max_bytes_for_level_base: 10 << 20,
            compression: CompressionType::Snappy,
            bloom_bits_per_key: None,
            memtable: MemTableKind::SkipList,
            compaction: CompactionKind::Leveled,
        }
    }
}

impl DbOptions {
    /// Options from an `lsm:` spec on top of the defaults, with `env`.
    ///
    /// # Errors
    /// `InvalidArgument` if the spec is not of kind `lsm` or a value is out
    /// of range (for example a zero write buffer).
    pub fn from_spec(spec: &EngineSpec, env: Arc<dyn Env>) -> Result<Self> {
        if spec.kind() != "lsm" {
            return Err(Error::InvalidArgument(format!(
                "spec '{spec}' is not an lsm spec"
            )));
        }
        let mut o = DbOptions {
            env,
            create_if_missing: true,
            ..DbOptions::default()
        };
        if let Some(m) = spec.get("memtable") {
            o.memtable = MemTableKind::parse(m)
                .ok_or_else(|| Error::InvalidArgument(format!("unknown memtable '{m}'")))?;
        }
        if let Some(c) = spec.get("compaction") {
            o.compaction = CompactionKind::parse(c)
                .ok_or_else(|| Error::InvalidArgument(format!("unknown compaction '{c}'")))?;
        }
        o.compaction = compaction_params(spec, o.compaction)?;
        if let Some(c) = spec.get("compression") {
            o.compression = match c {
                "none" => CompressionType::None,
                _ => CompressionType::Snappy,
            };
        }
        if let Some(b) = spec.number("bloom_bits") {
            o.bloom_bits_per_key = (b > 0).then_some(b.min(64) as u32);
        }
        let at_least = |key: &str, min: u64| -> Result<Option<u64>> {
            match spec.number(key) {
                Some(v) if v < min => Err(Error::InvalidArgument(format!(
                    "{key}={v} is below the minimum {min}"
                ))),
                other => Ok(other),
            }
        };
        if let Some(v) = at_least("write_buffer_size", 4 << 10)? {
            o.write_buffer_size = v as usize;
        }
        if let Some(v) = at_least("max_file_size", 4 << 10)? {
            o.max_file_size = v;
        }
        if let Some(v) = at_least("max_bytes_for_level_base", 64 << 10)? {
            o.max_bytes_for_level_base = v;
        }
        if let Some(v) = at_least("block_size", 64)? {
            o.block_size = v as usize;
        }
        if let Some(v) = at_least("block_restart_interval", 1)? {
            o.block_restart_interval = v as usize;
        }
        if let Some(v) = at_least("open_files", 20)? {
            o.max_open_files = v as usize;
        }
        if let Some(v) = spec.number("cache_size") {
            o.block_cache_capacity_bytes = v as usize;
        }
        if let Some(p) = spec.get("paranoid_checks") {
            o.paranoid_checks = p == "true";
        }
        Ok(o)
    }

    /// Table files the table cache may keep open.
    pub fn table_cache_capacity(&self) -> usize {
        self.max_open_files.saturating_sub(10).max(1)
    }
}

/// Spec keys that only the tiered policy reads.
const TIERED_KEYS: &[&str] = &[
    "tiered_size_ratio",
    "max_space_amp",
    "min_merge_width",
    "max_merge_width",
    "tiered_run_trigger",
];
/// Spec keys that only the lazy-leveled policy reads.
const LAZY_KEYS: &[&str] = &["lazy_ratio", "lazy_max_runs"];

/// `kind` with the parameters the spec sets. A key of another policy is an
/// error rather than silently ignored.
fn compaction_params(spec: &EngineSpec, kind: CompactionKind) -> Result<CompactionKind> {
    let foreign: &[&str] = match kind {
        CompactionKind::Leveled => &[TIERED_KEYS, LAZY_KEYS].concat(),
        CompactionKind::Tiered(_) => LAZY_KEYS,
        CompactionKind::LazyLeveled(_) => TIERED_KEYS,
    };
    if let Some(key) = foreign.iter().find(|k| spec.get(k).is_some()) {
        let owner = if TIERED_KEYS.contains(key) {
            "tiered"
        } else {
            "lazy_leveled"
        };
        return Err(Error::InvalidArgument(format!(
            "{key} applies only to compaction={owner}, not compaction={}",
            kind.name()
        )));
    }
    let at_least = |key: &str, min: u64, default: u64| -> Result<u64> {
        match spec.number(key) {
            Some(v) if v < min => Err(Error::InvalidArgument(format!(
                "{key}={v} is below the minimum {min}"
            ))),
            Some(v) => Ok(v),
            None => Ok(default),
        }
    };
    let as_count = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    Ok(match kind {
        CompactionKind::Leveled => kind,
        CompactionKind::Tiered(d) => {
            let min_merge_width =
                as_count(at_least("min_merge_width", 2, d.min_merge_width as u64)?);
            let max_merge_width = match spec.number("max_merge_width") {
                None | Some(0) => d.max_merge_width,
                Some(v) if as_count(v) < min_merge_width => {
                    return Err(Error::InvalidArgument(format!(
                        "max_merge_width={v} is below min_merge_width={min_merge_width}"
                    )))
                }
                Some(v) => as_count(v),
            };
            CompactionKind::Tiered(TieredParams {
                size_ratio_percent: at_least("tiered_size_ratio", 0, d.size_ratio_percent)?,
                max_space_amp_percent: at_least("max_space_amp", 1, d.max_space_amp_percent)?,
                min_merge_width,
                max_merge_width,
                run_trigger: as_count(at_least("tiered_run_trigger", 2, d.run_trigger as u64)?),
            })
        }
        CompactionKind::LazyLeveled(d) => CompactionKind::LazyLeveled(LazyLeveledParams {
            size_ratio_t: at_least("lazy_ratio", 2, d.size_ratio_t)?,
            max_runs: as_count(at_least("lazy_max_runs", 2, d.max_runs as u64)?),
        }),
    })
}

impl std::fmt::Debug for DbOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbOptions")
            .field("create_if_missing", &self.create_if_missing)
            .field("paranoid_checks", &self.paranoid_checks)
            .field("write_buffer_size", &self.write_buffer_size)
            .field("max_open_files", &self.max_open_files)
            .field(
                "block_cache_capacity_bytes",
                &self.block_cache_capacity_bytes,
            )
            .field("block_size", &self.block_size)
            .field("max_file_size", &self.max_file_size)
            .field("max_bytes_for_level_base", &self.max_bytes_for_level_base)
            .field("compression", &self.compression)
            .field("bloom_bits_per_key", &self.bloom_bits_per_key)
            .field("memtable", &self.memtable)
            .field("compaction", &self.compaction)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_api::MemEnv;

    fn options(spec: &str) -> Result<DbOptions> {
        let spec = EngineSpec::parse(spec).expect("valid spec");
        DbOptions::from_spec(&spec, Arc::new(MemEnv::new()))
    }

    #[test]
    fn policy_parameters_come_from_the_spec() {
        let o = options("lsm:compaction=tiered,tiered_size_ratio=10,max_merge_width=8")
            .expect("tiered");
        let CompactionKind::Tiered(p) = o.compaction else {
            panic!("not tiered: {:?}", o.compaction);
        };
        assert_eq!((p.size_ratio_percent, p.max_merge_width), (10, 8));
        assert_eq!(p.max_space_amp_percent, 200);
        let o = options("lsm:compaction=lazy_leveled,lazy_ratio=10").expect("lazy");
        assert_eq!(
            o.compaction,
            CompactionKind::LazyLeveled(LazyLeveledParams {
                size_ratio_t: 10,
                ..LazyLeveledParams::DEFAULT
            })
        );
        let o = options("lsm:compaction=tiered,max_merge_width=0").expect("unlimited");
        assert_eq!(o.compaction, CompactionKind::Tiered(TieredParams::DEFAULT));
    }

    #[test]
    fn bad_policy_parameters_are_clear_errors() {
        let e = options("lsm:lazy_ratio=4")
            .expect_err("foreign")
            .to_string();
        assert!(
            e.contains("lazy_ratio applies only to compaction=lazy_leveled"),
            "{e}"
        );
        let e = options("lsm:compaction=lazy_leveled,min_merge_width=3")
            .expect_err("foreign")
            .to_string();
        assert!(e.contains("compaction=tiered"), "{e}");
        let e = options("lsm:compaction=tiered,min_merge_width=1")
            .expect_err("min")
            .to_string();
        assert!(
            e.contains("min_merge_width=1 is below the minimum 2"),
            "{e}"
        );
        let e = options("lsm:compaction=tiered,min_merge_width=4,max_merge_width=3")
            .expect_err("order")
            .to_string();
        assert!(e.contains("below min_merge_width=4"), "{e}");
        assert!(options("lsm:compaction=lazy_leveled,lazy_ratio=1").is_err());
    }
}
