//! The `leveldb:` and `rusty-leveldb:` specs: the keys both peers accept
//! (LevelDB's own option names, with LevelDB 1.23's defaults) and the
//! [`BaselineOptions`] a spec gives.

use crate::options::BaselineOptions;
use strata_api::{EngineSpec, Error, KeySchema, Result, SpecSchema, ValueKind};

/// Block compression choices.
const COMPRESSIONS: &[&str] = &["none", "snappy"];

const fn key(
    name: &'static str,
    values: ValueKind,
    doc: &'static str,
    default: &'static str,
) -> KeySchema {
    KeySchema {
        name,
        values,
        doc,
        default: Some(default),
    }
}

/// Every key of a baseline's spec, with LevelDB 1.23's defaults.
pub const KEYS: &[KeySchema] = &[
    key(
        "compression",
        ValueKind::OneOf(COMPRESSIONS),
        "block compression (default snappy, LevelDB's)",
        "snappy",
    ),
    key(
        "bloom_bits",
        ValueKind::Number,
        "bloom filter bits per key; 0 = no filter (default 0, LevelDB's)",
        "0",
    ),
    key(
        "write_buffer_size",
        ValueKind::Number,
        "memtable bytes before a flush (default 4M)",
        "4M",
    ),
    key(
        "max_file_size",
        ValueKind::Number,
        "target table file bytes (default 2M)",
        "2M",
    ),
    key(
        "block_size",
        ValueKind::Number,
        "uncompressed data block bytes (default 4K)",
        "4K",
    ),
    key(
        "cache_size",
        ValueKind::Number,
        "block cache bytes (default 8M)",
        "8M",
    ),
    key(
        "open_files",
        ValueKind::Number,
        "max open files (default 1000)",
        "1000",
    ),
];

/// The schema of a `leveldb:` spec (LevelDB 1.23 through its C API).
pub const LEVELDB: SpecSchema = SpecSchema {
    kind: "leveldb",
    keys: KEYS,
    positional: None,
};

/// The schema of a `rusty-leveldb:` spec (the pure-Rust port).
pub const RUSTY_LEVELDB: SpecSchema = SpecSchema {
    kind: "rusty-leveldb",
    keys: KEYS,
    positional: None,
};

/// The db_bench flavours a `db_bench:` spec names.
pub const FLAVOURS: &[&str] = &["leveldb", "rocksdb"];

/// The option keys of a `db_bench:` spec: the same names as the in-process
/// peers', but no defaults here: a key left out is the peer binary's own
/// default (LevelDB's or RocksDB's db_bench), which strata does not pass.
const PEER_OPTION_KEYS: [KeySchema; 7] = {
    let mut keys = [KEYS[0]; 7];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = KeySchema {
            default: None,
            ..KEYS[i]
        };
        i += 1;
    }
    keys
};

/// Every key of a `db_bench:` spec.
const DB_BENCH_KEYS: &[KeySchema] = &[
    KeySchema {
        name: "flavour",
        values: ValueKind::OneOf(FLAVOURS),
        doc: "whose db_bench: leveldb (LevelDB 1.23's, installed by scripts/install-peers.sh) or rocksdb (Debian's rocksdb-tools)",
        default: Some("leveldb"),
    },
    KeySchema {
        name: "path",
        values: ValueKind::Text,
        doc: "the binary (default: the installed one of the flavour)",
        default: None,
    },
    PEER_OPTION_KEYS[0],
    PEER_OPTION_KEYS[1],
    PEER_OPTION_KEYS[2],
    PEER_OPTION_KEYS[3],
    PEER_OPTION_KEYS[4],
    PEER_OPTION_KEYS[5],
    PEER_OPTION_KEYS[6],
];

/// The schema of a `db_bench:` spec: a peer's own db_bench binary, run as
/// its users run it (`db_bench:leveldb`, `db_bench:rocksdb`,
/// `db_bench:flavour=leveldb,path=/x/db_bench`).
pub const DB_BENCH: SpecSchema = SpecSchema {
    kind: "db_bench",
    keys: DB_BENCH_KEYS,
    positional: Some("flavour"),
};

/// The schema of baseline `kind`, if it is one.
pub fn schema(kind: &str) -> Option<&'static SpecSchema> {
    [&LEVELDB, &RUSTY_LEVELDB, &DB_BENCH]
        .into_iter()
        .find(|s| s.kind == kind)
}

/// `spec` with every key it leaves out set to LevelDB's default: the
/// values the peer runs with, for the columns of a results row. A spec of
/// no baseline kind comes back as given.
pub fn resolved(spec: &EngineSpec) -> EngineSpec {
    match schema(spec.kind()) {
        Some(schema) => spec.resolved(schema),
        None => spec.clone(),
    }
}

impl BaselineOptions {
    /// The options of `spec`, which must be of kind `kind`.
    ///
    /// # Errors
    /// `InvalidArgument` if the spec is of another kind, names a key or
    /// value the kind's schema does not allow, or a size does not fit this
    /// machine's `usize` (or a bloom setting `u32`).
    pub fn from_spec(spec: &EngineSpec, kind: &str) -> Result<Self> {
        let Some(schema) = schema(kind).filter(|_| spec.kind() == kind) else {
            return Err(Error::InvalidArgument(format!(
                "spec '{spec}' is not a {kind} spec"
            )));
        };
        spec.validate(schema)?;
        let mut o = BaselineOptions::default();
        if let Some(c) = spec.get("compression") {
            o.snappy = c == "snappy";
        }
        if let Some(b) = spec.number("bloom_bits") {
            o.bloom_bits_per_key = u32::try_from(b).map_err(|_| too_big("bloom_bits", b))?;
        }
        let sizes: [(&str, &mut usize); 5] = [
            ("write_buffer_size", &mut o.write_buffer_size_bytes),
            ("max_file_size", &mut o.max_file_size_bytes),
            ("block_size", &mut o.block_size_bytes),
            ("cache_size", &mut o.cache_size_bytes),
            ("open_files", &mut o.open_files),
        ];
        for (key, slot) in sizes {
            if let Some(v) = spec.number(key) {
                *slot = usize::try_from(v).map_err(|_| too_big(key, v))?;
            }
        }
        Ok(o)
    }
}

fn too_big(key: &str, value: u64) -> Error {
    Error::InvalidArgument(format!("{key}={value} does not fit this machine"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_leveldbs() {
        let spec = EngineSpec::parse("leveldb").expect("spec");
        let o = BaselineOptions::from_spec(&spec, "leveldb").expect("options");
        assert_eq!(o, BaselineOptions::default());
        assert!(o.snappy);
        assert_eq!(o.bloom_bits_per_key, 0);
        assert_eq!(o.write_buffer_size_bytes, 4 << 20);
        assert_eq!(o.open_files, 1000);
    }

    #[test]
    fn schema_defaults_are_the_options_defaults() {
        for schema in [LEVELDB, RUSTY_LEVELDB] {
            let bare = EngineSpec::parse(schema.kind).expect("bare");
            let full = resolved(&bare);
            assert_eq!(full.params().len(), KEYS.len(), "{full}");
            let o = BaselineOptions::from_spec(&full, schema.kind).expect("options");
            assert_eq!(o, BaselineOptions::default(), "{full}");
        }
        for key in KEYS {
            let default = key.default.expect("every baseline key has a default");
            assert!(
                key.doc.contains(&format!("(default {default}")),
                "{}: doc '{}' does not name default {default}",
                key.name,
                key.doc
            );
        }
    }

    #[test]
    fn every_common_key_is_mapped() {
        let spec = EngineSpec::parse(
            "rusty-leveldb:compression=none,bloom_bits=10,write_buffer_size=64K,\
             max_file_size=1M,block_size=1K,cache_size=16M,open_files=200",
        )
        .expect("spec");
        let o = BaselineOptions::from_spec(&spec, "rusty-leveldb").expect("options");
        assert_eq!(
            o,
            BaselineOptions {
                snappy: false,
                bloom_bits_per_key: 10,
                write_buffer_size_bytes: 64 << 10,
                max_file_size_bytes: 1 << 20,
                block_size_bytes: 1 << 10,
                cache_size_bytes: 16 << 20,
                open_files: 200,
            }
        );
    }

    #[test]
    fn wrong_kind_unknown_keys_and_oversized_values_are_rejected() {
        let spec = EngineSpec::parse("lsm").expect("spec");
        let e = BaselineOptions::from_spec(&spec, "leveldb").expect_err("kind");
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
        let spec = EngineSpec::parse("leveldb").expect("spec");
        let e = BaselineOptions::from_spec(&spec, "rocks").expect_err("no such kind");
        assert!(e.to_string().contains("not a rocks spec"), "{e}");
        let spec = EngineSpec::parse("leveldb:memtable=btree").expect("grammar");
        let e = BaselineOptions::from_spec(&spec, "leveldb")
            .expect_err("key")
            .to_string();
        assert!(
            e.contains("unknown key 'memtable' for engine 'leveldb'; allowed: compression"),
            "{e}"
        );
        let spec = EngineSpec::parse("leveldb:bloom_bits=8G").expect("spec");
        let e = BaselineOptions::from_spec(&spec, "leveldb").expect_err("bloom");
        assert!(e.to_string().contains("bloom_bits"), "{e}");
    }
}

#[cfg(test)]
mod db_bench_tests {
    use super::*;

    #[test]
    fn db_bench_specs_name_a_flavour_bare_and_leave_options_to_the_peer() {
        let kinds = [LEVELDB, RUSTY_LEVELDB, DB_BENCH];
        let rocks = EngineSpec::parse_for("db_bench:rocksdb", &kinds).expect("rocksdb");
        assert_eq!(rocks.get("flavour"), Some("rocksdb"));
        assert_eq!(rocks.to_string(), "db_bench:rocksdb");
        let custom = EngineSpec::parse_for(
            "db_bench:path=/opt/zig/db_bench,flavour=leveldb,bloom_bits=10",
            &kinds,
        )
        .expect("custom");
        assert_eq!(
            custom.to_string(),
            "db_bench:leveldb,bloom_bits=10,path=/opt/zig/db_bench"
        );
        let bare = EngineSpec::parse_for("db_bench", &kinds).expect("bare");
        let full = resolved(&bare);
        assert_eq!(
            full.to_string(),
            "db_bench:leveldb",
            "only the flavour defaults"
        );
        assert!(EngineSpec::parse_for("db_bench:wiredtiger", &kinds).is_err());
        assert!(DB_BENCH_KEYS[2..].iter().all(|k| k.default.is_none()));
    }
}
