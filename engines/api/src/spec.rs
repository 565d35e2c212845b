//! `EngineSpec`: which engine, and with what parts and options, parsed from
//! strings such as `lsm:memtable=skiplist,compaction=leveled,bloom_bits=10`.
//!
//! The grammar is `KIND[:KEY=VALUE[,KEY=VALUE]*]`. Every kind has a fixed
//! set of keys; a key takes either one of a listed set of words or a number.
//! Anything else is an `InvalidArgument` that lists what is allowed.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::fmt;

/// What values a spec key accepts.
#[derive(Debug, Clone, Copy)]
pub enum ValueKind {
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A non-negative integer (with an optional `K`, `M` or `G` binary
    /// suffix for sizes).
    Number,
    /// A non-negative decimal number such as `1.5`.
    Decimal,
}

/// One key a kind of engine accepts.
#[derive(Debug, Clone, Copy)]
pub struct KeySchema {
    /// The key's name.
    pub name: &'static str,
    /// What values it takes.
    pub values: ValueKind,
    /// What it means, for `--help` and error messages.
    pub doc: &'static str,
}

/// Memtable implementations of the LSM engine.
pub const MEMTABLES: &[&str] = &["skiplist", "btree", "vector"];
/// Compaction policies of the LSM engine.
pub const COMPACTIONS: &[&str] = &["leveled", "tiered", "lazy_leveled"];
/// Block compression choices.
pub const COMPRESSIONS: &[&str] = &["none", "snappy"];
const BOOLS: &[&str] = &["true", "false"];

const COMMON_KEYS: &[KeySchema] = &[
    KeySchema {
        name: "compression",
        values: ValueKind::OneOf(COMPRESSIONS),
        doc: "block compression (default snappy, LevelDB's)",
    },
    KeySchema {
        name: "bloom_bits",
        values: ValueKind::Number,
        doc: "bloom filter bits per key; 0 = no filter (default 0, LevelDB's)",
    },
    KeySchema {
        name: "write_buffer_size",
        values: ValueKind::Number,
        doc: "memtable bytes before a flush (default 4M)",
    },
    KeySchema {
        name: "max_file_size",
        values: ValueKind::Number,
        doc: "target table file bytes (default 2M)",
    },
    KeySchema {
        name: "block_size",
        values: ValueKind::Number,
        doc: "uncompressed data block bytes (default 4K)",
    },
    KeySchema {
        name: "cache_size",
        values: ValueKind::Number,
        doc: "block cache bytes (default 8M)",
    },
    KeySchema {
        name: "open_files",
        values: ValueKind::Number,
        doc: "max open files (default 1000)",
    },
];

const LSM_KEYS: &[KeySchema] = &[
    KeySchema {
        name: "memtable",
        values: ValueKind::OneOf(MEMTABLES),
        doc: "memtable implementation (default skiplist)",
    },
    KeySchema {
        name: "compaction",
        values: ValueKind::OneOf(COMPACTIONS),
        doc: "compaction policy (default leveled)",
    },
    KeySchema {
        name: "tiered_size_ratio",
        values: ValueKind::Number,
        doc:
            "tiered: a run joins a merge if at most this % larger than the chosen runs (default 1)",
    },
    KeySchema {
        name: "max_space_amp",
        values: ValueKind::Number,
        doc: "tiered: merge all runs when newer runs reach this % of the oldest (default 200)",
    },
    KeySchema {
        name: "min_merge_width",
        values: ValueKind::Number,
        doc: "tiered: fewest runs in a size-ratio merge, >= 2 (default 2)",
    },
    KeySchema {
        name: "max_merge_width",
        values: ValueKind::Number,
        doc: "tiered: most runs in a size-ratio merge; 0 = unlimited (default 0)",
    },
    KeySchema {
        name: "tiered_run_trigger",
        values: ValueKind::Number,
        doc: "tiered: level-0 runs at which compaction starts, >= 2 (default 4)",
    },
    KeySchema {
        name: "lazy_ratio",
        values: ValueKind::Number,
        doc: "lazy_leveled: size ratio T between levels and runs per tier, >= 2 (default 4)",
    },
    KeySchema {
        name: "lazy_max_runs",
        values: ValueKind::Number,
        doc: "lazy_leveled: level-0 runs at which all merge into level 1, >= 2 (default 16)",
    },
    KeySchema {
        name: "block_restart_interval",
        values: ValueKind::Number,
        doc: "keys between restart points (default 16)",
    },
    KeySchema {
        name: "max_bytes_for_level_base",
        values: ValueKind::Number,
        doc: "level-1 size target; level L targets x10^(L-1) (default 10M)",
    },
    KeySchema {
        name: "paranoid_checks",
        values: ValueKind::OneOf(BOOLS),
        doc: "fail on any corruption instead of skipping (default false)",
    },
];

/// The kinds of engine a spec may name, each with its keys.
pub fn kinds() -> &'static [(&'static str, &'static [&'static [KeySchema]])] {
    &[
        ("lsm", &[LSM_KEYS, COMMON_KEYS]),
        ("leveldb", &[COMMON_KEYS]),
        ("rusty-leveldb", &[COMMON_KEYS]),
    ]
}

fn keys_of(kind: &str) -> Option<impl Iterator<Item = &'static KeySchema>> {
    kinds()
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, groups)| groups.iter().flat_map(|g| g.iter()))
}

/// A parsed, validated engine spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineSpec {
    kind: String,
    params: BTreeMap<String, String>,
}

impl EngineSpec {
    /// Parses and validates `text`.
    ///
    /// # Errors
    /// `InvalidArgument` naming the unknown kind, key or value and listing
    /// the allowed ones.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let (kind, rest) = match text.split_once(':') {
            Some((k, r)) => (k.trim(), Some(r)),
            None => (text, None),
        };
        let Some(schema) = keys_of(kind) else {
            let names: Vec<&str> = kinds().iter().map(|(k, _)| *k).collect();
            return Err(Error::InvalidArgument(format!(
                "unknown engine kind '{kind}' in spec '{text}'; allowed: {}",
                names.join(", ")
            )));
        };
        let schema: Vec<&KeySchema> = schema.collect();
        let mut spec = EngineSpec {
            kind: kind.to_string(),
            params: BTreeMap::new(),
        };
        for pair in rest
            .unwrap_or("")
            .split(',')
            .filter(|p| !p.trim().is_empty())
        {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(Error::InvalidArgument(format!(
                    "'{pair}' in spec '{text}' is not KEY=VALUE"
                )));
            };
            spec.set(&schema, key.trim(), value.trim())?;
        }
        Ok(spec)
    }

    fn set(&mut self, schema: &[&KeySchema], key: &str, value: &str) -> Result<()> {
        let Some(entry) = schema.iter().find(|s| s.name == key) else {
            let names: Vec<&str> = schema.iter().map(|s| s.name).collect();
            return Err(Error::InvalidArgument(format!(
                "unknown key '{key}' for engine '{}'; allowed: {}",
                self.kind,
                names.join(", ")
            )));
        };
        let ok = match entry.values {
            ValueKind::OneOf(words) => words.contains(&value),
            ValueKind::Number => parse_size(value).is_some(),
            ValueKind::Decimal => value
                .parse::<f64>()
                .map(|v| v >= 0.0 && v.is_finite())
                .unwrap_or(false),
        };
        if !ok {
            let allowed = match entry.values {
                ValueKind::OneOf(words) => words.join(", "),
                ValueKind::Number => {
                    "a non-negative integer, optionally with K, M or G".to_string()
                }
                ValueKind::Decimal => "a non-negative decimal number".to_string(),
            };
            return Err(Error::InvalidArgument(format!(
                "bad value '{value}' for '{key}' of engine '{}'; allowed: {allowed}",
                self.kind
            )));
        }
        self.params.insert(key.to_string(), value.to_string());
        Ok(())
    }

    /// The engine kind: `lsm`, `leveldb`, `rusty-leveldb`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The raw value of `key`, if the spec sets it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// The value of `key`, or `default` when the spec does not set it.
    pub fn get_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.get(key).unwrap_or(default)
    }

    /// The numeric value of `key` (validated at parse time), if set.
    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(parse_size)
    }

    /// Every key the spec sets, in key order.
    pub fn params(&self) -> &BTreeMap<String, String> {
        &self.params
    }

    /// A copy with `key` set to `value` (validated).
    ///
    /// # Errors
    /// `InvalidArgument` as for [`EngineSpec::parse`].
    pub fn with(&self, key: &str, value: &str) -> Result<Self> {
        let schema: Vec<&KeySchema> = keys_of(&self.kind).map(|k| k.collect()).unwrap_or_default();
        let mut copy = self.clone();
        copy.set(&schema, key, value)?;
        Ok(copy)
    }

    /// A copy with `key` set to `value` only if the spec does not set it
    /// already (used to apply command-line defaults under a spec).
    ///
    /// # Errors
    /// `InvalidArgument` as for [`EngineSpec::parse`].
    pub fn with_default(&self, key: &str, value: &str) -> Result<Self> {
        if self.params.contains_key(key) {
            Ok(self.clone())
        } else {
            self.with(key, value)
        }
    }
}

impl fmt::Display for EngineSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        for (i, (k, v)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { ":" } else { "," })?;
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for EngineSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        EngineSpec::parse(s)
    }
}

/// Parses `123`, `4K`, `4M`, `1G` (binary multiples) into a number.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, mult) = match text.chars().last()? {
        'k' | 'K' => (&text[..text.len() - 1], 1u64 << 10),
        'm' | 'M' => (&text[..text.len() - 1], 1u64 << 20),
        'g' | 'G' => (&text[..text.len() - 1], 1u64 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        let s = EngineSpec::parse(
            "lsm:memtable=skiplist,compaction=leveled,compression=snappy,bloom_bits=10",
        )
        .expect("valid");
        assert_eq!(s.kind(), "lsm");
        assert_eq!(s.get("memtable"), Some("skiplist"));
        assert_eq!(s.number("bloom_bits"), Some(10));
        assert_eq!(
            s.to_string(),
            "lsm:bloom_bits=10,compaction=leveled,compression=snappy,memtable=skiplist"
        );
        assert_eq!(EngineSpec::parse(&s.to_string()).expect("reparse"), s);
        assert_eq!(EngineSpec::parse("lsm").expect("bare").to_string(), "lsm");
    }

    #[test]
    fn unknown_kind_key_and_value_list_the_allowed() {
        let e = EngineSpec::parse("rocks").expect_err("kind").to_string();
        assert!(e.contains("lsm, leveldb, rusty-leveldb"), "{e}");
        let e = EngineSpec::parse("lsm:memtabel=skiplist")
            .expect_err("key")
            .to_string();
        assert!(
            e.contains("unknown key 'memtabel'") && e.contains("memtable"),
            "{e}"
        );
        let e = EngineSpec::parse("lsm:compression=zlib")
            .expect_err("value")
            .to_string();
        assert!(e.contains("none, snappy"), "{e}");
        let e = EngineSpec::parse("lsm:bloom_bits=ten")
            .expect_err("number")
            .to_string();
        assert!(e.contains("bloom_bits"), "{e}");
        assert!(EngineSpec::parse("lsm:memtable").is_err());
        assert!(matches!(
            EngineSpec::parse("lsm:x=1"),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4K"), Some(4096));
        assert_eq!(parse_size("2m"), Some(2 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("12"), Some(12));
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn with_default_keeps_explicit_values() {
        let s = EngineSpec::parse("lsm:bloom_bits=10").expect("valid");
        assert_eq!(
            s.with_default("bloom_bits", "0")
                .expect("ok")
                .number("bloom_bits"),
            Some(10)
        );
        assert_eq!(
            s.with_default("cache_size", "1M")
                .expect("ok")
                .number("cache_size"),
            Some(1 << 20)
        );
        assert!(s.with("memtable", "nope").is_err());
    }
}
