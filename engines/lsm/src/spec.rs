//! The `lsm:` spec: the keys strata's engine accepts (with their docs and
//! defaults), the options a spec gives ([`DbOptions::from_spec`]), and the
//! canonical spec string of a set of options ([`canonical`], what
//! `Engine::spec` returns).
//!
//! The memtable and compaction names come from [`MemTableKind::ALL`] and
//! [`CompactionKind::ALL`], so a new memtable or policy is one line in its
//! registry; its own parameters are keys here.

use crate::compaction::lazy_leveled::LazyLeveledParams;
use crate::compaction::tiered::TieredParams;
use crate::compaction::CompactionKind;
use crate::memtable::MemTableKind;
use crate::options::DbOptions;
use crate::table::CompressionType;
use std::sync::Arc;
use strata_api::spec::BOOLS;
use strata_api::{EngineSpec, Env, Error, KeySchema, Result, SpecSchema, ValueKind};

/// The memtable a spec gets when it names none.
pub const DEFAULT_MEMTABLE: MemTableKind = MemTableKind::SkipList;
/// The compaction policy a spec gets when it names none.
pub const DEFAULT_COMPACTION: CompactionKind = CompactionKind::Leveled;

/// Every memtable name, from the memtable registry.
const MEMTABLES: [&str; MemTableKind::ALL.len()] = {
    let mut names = [""; MemTableKind::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = MemTableKind::ALL[i].name();
        i += 1;
    }
    names
};

/// Every compaction policy name, from the policy registry.
const COMPACTIONS: [&str; CompactionKind::ALL.len()] = {
    let mut names = [""; CompactionKind::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = CompactionKind::ALL[i].name();
        i += 1;
    }
    names
};

/// Block compression choices.
const COMPRESSIONS: &[&str] = &["none", "snappy"];

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

const fn key(
    name: &'static str,
    values: ValueKind,
    doc: &'static str,
    default: Option<&'static str>,
) -> KeySchema {
    KeySchema {
        name,
        values,
        doc,
        default,
    }
}

/// Every key of an `lsm:` spec, in the order error messages list them.
pub const KEYS: &[KeySchema] = &[
    key(
        "memtable",
        ValueKind::OneOf(&MEMTABLES),
        "memtable implementation (default skiplist)",
        Some(DEFAULT_MEMTABLE.name()),
    ),
    key(
        "compaction",
        ValueKind::OneOf(&COMPACTIONS),
        "compaction policy (default leveled)",
        Some(DEFAULT_COMPACTION.name()),
    ),
    key(
        "tiered_size_ratio",
        ValueKind::Number,
        "tiered: a run joins a merge if at most this % larger than the chosen runs (default 1)",
        None,
    ),
    key(
        "max_space_amp",
        ValueKind::Number,
        "tiered: merge all runs when newer runs reach this % of the oldest (default 200)",
        None,
    ),
    key(
        "min_merge_width",
        ValueKind::Number,
        "tiered: fewest runs in a size-ratio merge, >= 2 (default 2)",
        None,
    ),
    key(
        "max_merge_width",
        ValueKind::Number,
        "tiered: most runs in a size-ratio merge; 0 = unlimited (default 0)",
        None,
    ),
    key(
        "tiered_run_trigger",
        ValueKind::Number,
        "tiered: level-0 runs at which compaction starts, >= 2 (default 4)",
        None,
    ),
    key(
        "lazy_ratio",
        ValueKind::Number,
        "lazy_leveled: size ratio T between levels and runs per tier, >= 2 (default 4)",
        None,
    ),
    key(
        "lazy_max_runs",
        ValueKind::Number,
        "lazy_leveled: level-0 runs at which all merge into level 1, >= 2 (default 16)",
        None,
    ),
    key(
        "block_restart_interval",
        ValueKind::Number,
        "keys between restart points (default 16)",
        Some("16"),
    ),
    key(
        "max_bytes_for_level_base",
        ValueKind::Number,
        "level-1 size target; level L targets x10^(L-1) (default 10M)",
        Some("10M"),
    ),
    key(
        "paranoid_checks",
        ValueKind::OneOf(BOOLS),
        "fail on any corruption instead of skipping (default false)",
        Some("false"),
    ),
    key(
        "compression",
        ValueKind::OneOf(COMPRESSIONS),
        "block compression (default snappy, LevelDB's)",
        Some("snappy"),
    ),
    key(
        "bloom_bits",
        ValueKind::Number,
        "bloom filter bits per key; 0 = no filter (default 0, LevelDB's)",
        Some("0"),
    ),
    key(
        "write_buffer_size",
        ValueKind::Number,
        "memtable bytes before a flush (default 4M)",
        Some("4M"),
    ),
    key(
        "max_file_size",
        ValueKind::Number,
        "target table file bytes (default 2M)",
        Some("2M"),
    ),
    key(
        "block_size",
        ValueKind::Number,
        "uncompressed data block bytes (default 4K)",
        Some("4K"),
    ),
    key(
        "cache_size",
        ValueKind::Number,
        "block cache bytes (default 8M)",
        Some("8M"),
    ),
    key(
        "open_files",
        ValueKind::Number,
        "max open files (default 1000)",
        Some("1000"),
    ),
    key(
        "subcompactions",
        ValueKind::Number,
        "most threads one compaction below level 0 is split across by key range; 1 = LevelDB's one thread (default 2)",
        Some("2"),
    ),
    key(
        "partition_prefix_bytes",
        ValueKind::Number,
        "keys differing in their first N bytes never share a table file; 0 = cut by size only, LevelDB's (default 0)",
        Some("0"),
    ),
    key(
        "wal_writes",
        ValueKind::OneOf(WAL_WRITES),
        "how WAL records reach the kernel: mmap (a store into a mapping) or write (one write(2) each) (default mmap)",
        Some("mmap"),
    ),
    key(
        "file_deletes",
        ValueKind::OneOf(FILE_DELETES),
        "where obsolete files are deleted: background (a thread of their own) or inline (on the background thread, LevelDB's) (default background)",
        Some("background"),
    ),
];

/// Values of `wal_writes`.
const WAL_WRITES: &[&str] = &["mmap", "write"];

/// Values of `file_deletes`.
const FILE_DELETES: &[&str] = &["background", "inline"];

/// The schema of an `lsm:` spec.
pub const SCHEMA: SpecSchema = SpecSchema {
    kind: "lsm",
    keys: KEYS,
    positional: None,
};

/// The least value of each size key (LevelDB clamps instead; strata refuses).
const MINIMUMS: &[(&str, u64)] = &[
    ("write_buffer_size", 4 << 10),
    ("max_file_size", 4 << 10),
    ("max_bytes_for_level_base", 64 << 10),
    ("block_size", 64),
    ("block_restart_interval", 1),
    ("open_files", 20),
    ("subcompactions", 1),
];

/// Checks `spec` as [`DbOptions::from_spec`] would, without building
/// options: the kind, every key and value against [`SCHEMA`], the
/// policy's parameters and the minimum sizes. Returns the compaction policy
/// with its parameters.
///
/// # Errors
/// `InvalidArgument` naming the key and what is allowed.
pub fn validate(spec: &EngineSpec) -> Result<CompactionKind> {
    if spec.kind() != SCHEMA.kind {
        return Err(Error::InvalidArgument(format!(
            "spec '{spec}' is not an lsm spec"
        )));
    }
    spec.validate(&SCHEMA)?;
    let compaction = match spec.get("compaction") {
        Some(c) => CompactionKind::parse(c)
            .ok_or_else(|| Error::InvalidArgument(format!("unknown compaction '{c}'")))?,
        None => DEFAULT_COMPACTION,
    };
    let compaction = compaction_params(spec, compaction)?;
    if spec
        .number("partition_prefix_bytes")
        .is_some_and(|n| n != 0)
        && compaction != CompactionKind::Leveled
    {
        return Err(Error::InvalidArgument(format!(
            "partition_prefix_bytes needs compaction=leveled (not {})",
            compaction.name()
        )));
    }
    for &(key, min) in MINIMUMS {
        if let Some(v) = spec.number(key).filter(|v| *v < min) {
            return Err(Error::InvalidArgument(format!(
                "{key}={v} is below the minimum {min}"
            )));
        }
    }
    Ok(compaction)
}

/// `spec` with every key whose default does not depend on other keys set
/// to that default: the values the engine runs with, for the columns of a
/// results row. Policy parameters stay as given.
pub fn resolved(spec: &EngineSpec) -> EngineSpec {
    spec.resolved(&SCHEMA)
}

/// The canonical spec string of `options`: kind, bloom bits, policy,
/// compression and memtable, plus `paranoid_checks=true` when set (the
/// `engine_spec` CSV column of a peer reads the same way).
pub fn canonical(options: &DbOptions) -> String {
    let mut s = format!(
        "lsm:bloom_bits={},compaction={},compression={},memtable={}",
        options.bloom_bits_per_key.unwrap_or(0),
        options.compaction.name(),
        match options.compression {
            CompressionType::None => "none",
            _ => "snappy",
        },
        options.memtable.name()
    );
    if options.paranoid_checks {
        s.push_str(",paranoid_checks=true");
    }
    if options.max_subcompactions != 2 {
        s.push_str(&format!(",subcompactions={}", options.max_subcompactions));
    }
    if !options.wal_mmap {
        s.push_str(",wal_writes=write");
    }
    if !options.background_file_deletes {
        s.push_str(",file_deletes=inline");
    }
    if options.partition_prefix_bytes != 0 {
        s.push_str(&format!(
            ",partition_prefix_bytes={}",
            options.partition_prefix_bytes
        ));
    }
    s
}

impl DbOptions {
    /// Options from an `lsm:` spec on top of the defaults, with `env`.
    ///
    /// # Errors
    /// `InvalidArgument` if the spec is not of kind `lsm`, names a key or
    /// value [`SCHEMA`] does not allow, or a value is out of range (for
    /// example a zero write buffer).
    pub fn from_spec(spec: &EngineSpec, env: Arc<dyn Env>) -> Result<Self> {
        let compaction = validate(spec)?;
        let mut o = DbOptions {
            env,
            create_if_missing: true,
            compaction,
            ..DbOptions::default()
        };
        if let Some(m) = spec.get("memtable") {
            o.memtable = MemTableKind::parse(m)
                .ok_or_else(|| Error::InvalidArgument(format!("unknown memtable '{m}'")))?;
        }
        if let Some(c) = spec.get("compression") {
            o.compression = match c {
                "none" => CompressionType::None,
                _ => CompressionType::Snappy,
            };
        }
        if let Some(b) = spec.number("bloom_bits") {
            o.bloom_bits_per_key = (b > 0).then_some(b.min(64) as u32);
        }
        let sizes: [(&str, &mut usize); 6] = [
            ("partition_prefix_bytes", &mut o.partition_prefix_bytes),
            ("subcompactions", &mut o.max_subcompactions),
            ("write_buffer_size", &mut o.write_buffer_size),
            ("block_size", &mut o.block_size),
            ("block_restart_interval", &mut o.block_restart_interval),
            ("open_files", &mut o.max_open_files),
        ];
        for (key, slot) in sizes {
            if let Some(v) = spec.number(key) {
                *slot = v as usize;
            }
        }
        if let Some(v) = spec.number("max_file_size") {
            o.max_file_size = v;
        }
        if let Some(v) = spec.number("max_bytes_for_level_base") {
            o.max_bytes_for_level_base = v;
        }
        if let Some(v) = spec.number("cache_size") {
            o.block_cache_capacity_bytes = v as usize;
        }
        if let Some(p) = spec.get("paranoid_checks") {
            o.paranoid_checks = p == "true";
        }
        if let Some(w) = spec.get("wal_writes") {
            o.wal_mmap = w == "mmap";
        }
        if let Some(d) = spec.get("file_deletes") {
            o.background_file_deletes = d == "background";
        }
        Ok(o)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use strata_api::MemEnv;

    fn options(spec: &str) -> Result<DbOptions> {
        let spec = EngineSpec::parse(spec).expect("valid grammar");
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
    fn a_partition_prefix_is_taken_by_leveled_only() {
        let o = options("lsm:partition_prefix_bytes=2").expect("leveled");
        assert_eq!(o.partition_prefix_bytes, 2);
        assert!(canonical(&o).ends_with(",partition_prefix_bytes=2"));
        assert_eq!(options("lsm").expect("default").partition_prefix_bytes, 0);
        for policy in ["tiered", "lazy_leveled"] {
            let e = options(&format!("lsm:compaction={policy},partition_prefix_bytes=2"))
                .expect_err("refused")
                .to_string();
            assert!(e.contains("needs compaction=leveled"), "{e}");
            let o = options(&format!("lsm:compaction={policy},partition_prefix_bytes=0"))
                .expect("0 is off");
            assert_eq!(o.partition_prefix_bytes, 0);
        }
        // Options built by hand are checked at open.
        let env: Arc<dyn Env> = Arc::new(MemEnv::new());
        let refused = DbOptions {
            env,
            create_if_missing: true,
            compaction: CompactionKind::Tiered(TieredParams::DEFAULT),
            partition_prefix_bytes: 2,
            ..DbOptions::default()
        };
        let e = crate::Db::open(refused, std::path::Path::new("/db"))
            .map(|_| ())
            .expect_err("refused at open")
            .to_string();
        assert!(e.contains("needs compaction=leveled"), "{e}");
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
        let e = options("lsm:write_buffer_size=1K")
            .expect_err("min")
            .to_string();
        assert!(
            e.contains("write_buffer_size=1024 is below the minimum 4096"),
            "{e}"
        );
    }

    #[test]
    fn keys_and_values_are_checked_against_the_schema() {
        let e = options("lsm:memtabel=skiplist")
            .expect_err("key")
            .to_string();
        assert!(
            e.contains("unknown key 'memtabel' for engine 'lsm'; allowed: memtable, compaction"),
            "{e}"
        );
        let e = options("lsm:memtable=splay")
            .expect_err("value")
            .to_string();
        assert!(e.contains("allowed: skiplist, btree, vector"), "{e}");
        let e = options("lsm:compaction=none")
            .expect_err("value")
            .to_string();
        assert!(e.contains("allowed: leveled, tiered, lazy_leveled"), "{e}");
        let e = options("lsm:compression=zlib")
            .expect_err("value")
            .to_string();
        assert!(e.contains("none, snappy"), "{e}");
        let e = options("leveldb").expect_err("kind").to_string();
        assert!(e.contains("is not an lsm spec"), "{e}");
    }

    #[test]
    fn every_registered_memtable_and_policy_is_a_spec_value() {
        for kind in MemTableKind::ALL {
            let o = options(&format!("lsm:memtable={}", kind.name())).expect("memtable");
            assert_eq!(o.memtable, *kind);
        }
        for kind in CompactionKind::ALL {
            let o = options(&format!("lsm:compaction={}", kind.name())).expect("policy");
            assert_eq!(o.compaction, *kind);
        }
    }

    #[test]
    fn schema_defaults_are_the_options_defaults() {
        let defaults = DbOptions::default();
        let bare = EngineSpec::parse("lsm").expect("bare");
        let full = resolved(&bare);
        let from_full = DbOptions::from_spec(&full, Arc::new(MemEnv::new())).expect("resolved");
        assert_eq!(canonical(&from_full), canonical(&defaults));
        assert_eq!(format!("{from_full:?}"), {
            let mut d = defaults.clone();
            d.create_if_missing = true;
            format!("{d:?}")
        });
        for key in KEYS {
            if let Some(default) = key.default {
                assert!(
                    key.doc.contains(&format!("(default {default}")),
                    "{}: doc '{}' does not name default {default}",
                    key.name,
                    key.doc
                );
            }
        }
    }

    #[test]
    fn canonical_spec_names_the_parts() {
        assert_eq!(
            canonical(&DbOptions::default()),
            "lsm:bloom_bits=0,compaction=leveled,compression=snappy,memtable=skiplist"
        );
        let o = options("lsm:bloom_bits=10,memtable=btree,compression=none,paranoid_checks=true")
            .expect("options");
        assert_eq!(
            canonical(&o),
            "lsm:bloom_bits=10,compaction=leveled,compression=none,memtable=btree,paranoid_checks=true"
        );
        let o = options("lsm:compaction=tiered,tiered_size_ratio=5").expect("tiered");
        assert_eq!(
            canonical(&o),
            "lsm:bloom_bits=0,compaction=tiered,compression=snappy,memtable=skiplist"
        );
        let o = options("lsm:file_deletes=inline,wal_writes=write").expect("inline");
        assert!(!o.background_file_deletes && !o.wal_mmap);
        assert_eq!(
            canonical(&o),
            "lsm:bloom_bits=0,compaction=leveled,compression=snappy,memtable=skiplist,wal_writes=write,file_deletes=inline"
        );
        assert!(
            options("lsm:file_deletes=background")
                .expect("background")
                .background_file_deletes
        );
        assert!(options("lsm:file_deletes=later").is_err());
    }
}
