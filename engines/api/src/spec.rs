//! `EngineSpec`: which engine, and with what parts and options, parsed from
//! strings such as `lsm:memtable=skiplist,compaction=leveled,bloom_bits=10`.
//!
//! The grammar is `KIND[:KEY=VALUE[,KEY=VALUE]*]`; a kind whose schema
//! names a *positional* key also takes that key's value bare as the first
//! item (`db_bench:rocksdb` is `db_bench:flavour=rocksdb`), and prints it
//! that way. This module knows the
//! grammar only: which kinds exist and which keys each accepts is data an
//! engine crate supplies as a [`SpecSchema`] (strata-lsm's `spec::SCHEMA`,
//! strata-baselines' `spec::LEVELDB`, ...), and the harness lists them. A
//! key takes either one of a listed set of words or a number; checked
//! against a schema, anything else is an `InvalidArgument` that lists what
//! is allowed.

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
    /// Any non-empty text without `,` (a path, say).
    Text,
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
    /// The value the engine uses when a spec leaves the key out, if that
    /// value does not depend on other keys (a policy's parameters default
    /// per policy and have `None`).
    pub default: Option<&'static str>,
}

/// The keys one kind of engine accepts: the data a spec is validated
/// against. Each engine crate defines its own (strata-api knows none).
#[derive(Debug, Clone, Copy)]
pub struct SpecSchema {
    /// The kind a spec names, e.g. `lsm`.
    pub kind: &'static str,
    /// Every key of the kind, in the order error messages list them.
    pub keys: &'static [KeySchema],
    /// The key whose value may be written bare as the first item (and is
    /// printed so), if any.
    pub positional: Option<&'static str>,
}

impl SpecSchema {
    fn key(&self, name: &str) -> Option<&'static KeySchema> {
        self.keys.iter().find(|k| k.name == name)
    }
}

/// The words a boolean key takes.
pub const BOOLS: &[&str] = &["true", "false"];

/// A parsed engine spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineSpec {
    kind: String,
    params: BTreeMap<String, String>,
    /// The kind's positional key (from its schema), printed bare first.
    positional: Option<&'static str>,
}

impl EngineSpec {
    /// Parses `text` by the grammar alone: any kind, any keys. Check it
    /// with [`EngineSpec::validate`], or parse with
    /// [`EngineSpec::parse_for`], to know the kind and its keys exist.
    ///
    /// # Errors
    /// `InvalidArgument` for an empty kind or a pair that is not
    /// `KEY=VALUE`.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let (kind, rest) = split_kind(text);
        if kind.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "spec '{text}' names no engine kind"
            )));
        }
        Self::parse_pairs(text, kind, rest, None)
    }

    /// Parses `text` and validates it against the schema of its kind among
    /// `kinds`.
    ///
    /// # Errors
    /// `InvalidArgument` naming the unknown kind, key or value and listing
    /// the allowed ones.
    pub fn parse_for(text: &str, kinds: &[SpecSchema]) -> Result<Self> {
        let text = text.trim();
        let (kind, rest) = split_kind(text);
        let Some(schema) = kinds.iter().find(|s| s.kind == kind) else {
            let names: Vec<&str> = kinds.iter().map(|s| s.kind).collect();
            return Err(Error::InvalidArgument(format!(
                "unknown engine kind '{kind}' in spec '{text}'; allowed: {}",
                names.join(", ")
            )));
        };
        Self::parse_pairs(text, kind, rest, Some(schema))
    }

    fn parse_pairs(
        text: &str,
        kind: &str,
        rest: Option<&str>,
        schema: Option<&SpecSchema>,
    ) -> Result<Self> {
        let positional = schema.and_then(|s| s.positional);
        let mut spec = EngineSpec {
            kind: kind.to_string(),
            params: BTreeMap::new(),
            positional,
        };
        for (i, pair) in rest
            .unwrap_or("")
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .enumerate()
        {
            let (key, value) = match (pair.split_once('='), positional) {
                (Some(kv), _) => kv,
                (None, Some(key)) if i == 0 => (key, pair),
                (None, _) => {
                    return Err(Error::InvalidArgument(format!(
                        "'{pair}' in spec '{text}' is not KEY=VALUE"
                    )))
                }
            };
            spec = match schema {
                Some(schema) => spec.with_checked(key.trim(), value.trim(), schema)?,
                None => spec.with(key.trim(), value.trim())?,
            };
        }
        Ok(spec)
    }

    /// Checks that the spec is of `schema`'s kind and that every key it
    /// sets is one of the schema's, with an allowed value.
    ///
    /// # Errors
    /// `InvalidArgument` as for [`EngineSpec::parse_for`].
    pub fn validate(&self, schema: &SpecSchema) -> Result<()> {
        if self.kind != schema.kind {
            return Err(Error::InvalidArgument(format!(
                "spec '{self}' is not a {} spec",
                schema.kind
            )));
        }
        for (key, value) in &self.params {
            check_value(&self.kind, schema, key, value)?;
        }
        Ok(())
    }

    /// The spec with every key of `schema` that has a fixed default, and
    /// that the spec leaves out, set to that default: what the engine will
    /// use, as far as the schema says.
    pub fn resolved(&self, schema: &SpecSchema) -> Self {
        let mut copy = self.clone();
        for key in schema.keys {
            if let Some(default) = key.default {
                copy.params
                    .entry(key.name.to_string())
                    .or_insert_with(|| default.to_string());
            }
        }
        copy
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

    /// A copy with `key` set to `value`, checked by the grammar only (a
    /// key or value that would not print back as the same spec is refused).
    ///
    /// # Errors
    /// `InvalidArgument` for an empty key, or a key or value holding `,` or
    /// `:` (or, in a key, `=`).
    pub fn with(&self, key: &str, value: &str) -> Result<Self> {
        let bad_key = key.is_empty() || key.contains([',', ':', '=']);
        if bad_key || value.contains([',', ':']) {
            return Err(Error::InvalidArgument(format!(
                "'{key}={value}' is not a KEY=VALUE of a spec"
            )));
        }
        let mut copy = self.clone();
        copy.params.insert(key.to_string(), value.to_string());
        Ok(copy)
    }

    /// A copy with `key` set to `value`, validated against `schema`.
    ///
    /// # Errors
    /// `InvalidArgument` as for [`EngineSpec::parse_for`].
    pub fn with_checked(&self, key: &str, value: &str, schema: &SpecSchema) -> Result<Self> {
        check_value(&self.kind, schema, key, value)?;
        self.with(key, value)
    }

    /// A copy with `key` set to `value` (validated against `schema`) only
    /// if the spec does not set it already (used to apply command-line
    /// defaults under a spec).
    ///
    /// # Errors
    /// `InvalidArgument` as for [`EngineSpec::parse_for`].
    pub fn with_default(&self, key: &str, value: &str, schema: &SpecSchema) -> Result<Self> {
        if self.params.contains_key(key) {
            Ok(self.clone())
        } else {
            self.with_checked(key, value, schema)
        }
    }
}

/// The kind and the text after the first `:`, if any.
fn split_kind(text: &str) -> (&str, Option<&str>) {
    match text.split_once(':') {
        Some((k, r)) => (k.trim(), Some(r)),
        None => (text, None),
    }
}

/// `InvalidArgument` unless `key` is one of `schema`'s and `value` one it
/// allows; `kind` names the engine in the message.
fn check_value(kind: &str, schema: &SpecSchema, key: &str, value: &str) -> Result<()> {
    let Some(entry) = schema.key(key) else {
        let names: Vec<&str> = schema.keys.iter().map(|s| s.name).collect();
        return Err(Error::InvalidArgument(format!(
            "unknown key '{key}' for engine '{kind}'; allowed: {}",
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
        ValueKind::Text => !value.is_empty() && !value.contains(','),
    };
    if ok {
        return Ok(());
    }
    let allowed = match entry.values {
        ValueKind::OneOf(words) => words.join(", "),
        ValueKind::Number => "a non-negative integer, optionally with K, M or G".to_string(),
        ValueKind::Decimal => "a non-negative decimal number".to_string(),
        ValueKind::Text => "non-empty text without ','".to_string(),
    };
    Err(Error::InvalidArgument(format!(
        "bad value '{value}' for '{key}' of engine '{kind}'; allowed: {allowed}"
    )))
}

impl fmt::Display for EngineSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        let bare = self
            .positional
            .and_then(|key| self.params.get(key).map(|v| (key, v)));
        if let Some((_, value)) = bare {
            write!(f, ":{value}")?;
        }
        let rest = self
            .params
            .iter()
            .filter(|(k, _)| bare.is_none_or(|(key, _)| k.as_str() != key));
        for (i, (k, v)) in rest.enumerate() {
            f.write_str(if i == 0 && bare.is_none() { ":" } else { "," })?;
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

    const COLOURS: &[&str] = &["red", "green"];
    /// A made-up engine: strata-api's tests know no real one.
    const TOY: SpecSchema = SpecSchema {
        kind: "toy",
        keys: &[
            KeySchema {
                name: "colour",
                values: ValueKind::OneOf(COLOURS),
                doc: "its colour (default red)",
                default: Some("red"),
            },
            KeySchema {
                name: "size",
                values: ValueKind::Number,
                doc: "bytes (default 4K)",
                default: Some("4K"),
            },
            KeySchema {
                name: "ratio",
                values: ValueKind::Decimal,
                doc: "a ratio, no fixed default",
                default: None,
            },
        ],
        positional: None,
    };
    const OTHER: SpecSchema = SpecSchema {
        kind: "other",
        keys: &[],
        positional: None,
    };
    /// A kind with a positional key, as `db_bench:rocksdb`.
    const RUNNER: SpecSchema = SpecSchema {
        kind: "runner",
        keys: &[
            KeySchema {
                name: "flavour",
                values: ValueKind::OneOf(COLOURS),
                doc: "which one",
                default: Some("red"),
            },
            KeySchema {
                name: "path",
                values: ValueKind::Text,
                doc: "a path",
                default: None,
            },
        ],
        positional: Some("flavour"),
    };
    const KINDS: &[SpecSchema] = &[TOY, OTHER, RUNNER];

    #[test]
    fn a_positional_key_is_written_and_printed_bare() {
        let bare = EngineSpec::parse_for("runner:green", KINDS).expect("bare");
        assert_eq!(bare.get("flavour"), Some("green"));
        assert_eq!(bare.to_string(), "runner:green");
        let named = EngineSpec::parse_for("runner:path=/x/y,flavour=green", KINDS).expect("named");
        assert_eq!(named.to_string(), "runner:green,path=/x/y");
        assert_eq!(
            named,
            EngineSpec::parse_for(&named.to_string(), KINDS).expect("again")
        );
        let only_path = EngineSpec::parse_for("runner:path=/usr/bin/x", KINDS).expect("path");
        assert_eq!(only_path.to_string(), "runner:path=/usr/bin/x");
        let e = EngineSpec::parse_for("runner:blue", KINDS).expect_err("not a flavour");
        assert!(e.to_string().contains("'blue'"), "{e}");
        let e = EngineSpec::parse_for("runner:path=/x,green", KINDS).expect_err("bare not first");
        assert!(e.to_string().contains("is not KEY=VALUE"), "{e}");
        let e = EngineSpec::parse_for("toy:green", KINDS).expect_err("toy has none");
        assert!(e.to_string().contains("is not KEY=VALUE"), "{e}");
        let e = EngineSpec::parse_for("runner:path=", KINDS).expect_err("empty text");
        assert!(e.to_string().contains("non-empty text"), "{e}");
    }

    #[test]
    fn parses_and_prints_canonically() {
        let s = EngineSpec::parse_for("toy:size=10,colour=green,ratio=1.5", KINDS).expect("valid");
        assert_eq!(s.kind(), "toy");
        assert_eq!(s.get("colour"), Some("green"));
        assert_eq!(s.number("size"), Some(10));
        assert_eq!(s.to_string(), "toy:colour=green,ratio=1.5,size=10");
        assert_eq!(EngineSpec::parse(&s.to_string()).expect("reparse"), s);
        assert_eq!(EngineSpec::parse("toy").expect("bare").to_string(), "toy");
        assert!(EngineSpec::parse("").is_err(), "no kind");
    }

    #[test]
    fn the_grammar_alone_takes_any_kind_and_key_until_validated() {
        let s = EngineSpec::parse("rocks:wal=off").expect("grammar");
        assert_eq!(s.get("wal"), Some("off"));
        let e = s.validate(&TOY).expect_err("kind").to_string();
        assert!(e.contains("not a toy spec"), "{e}");
        let s = EngineSpec::parse("toy:colour=blue").expect("grammar");
        let e = s.validate(&TOY).expect_err("value").to_string();
        assert!(e.contains("allowed: red, green"), "{e}");
        EngineSpec::parse("toy:colour=green,ratio=0.5")
            .expect("grammar")
            .validate(&TOY)
            .expect("valid");
        assert!(EngineSpec::parse("toy")
            .expect("bare")
            .with("a,b", "1")
            .is_err());
        assert!(EngineSpec::parse("toy")
            .expect("bare")
            .with("a", "1:2")
            .is_err());
    }

    #[test]
    fn unknown_kind_key_and_value_list_the_allowed() {
        let e = EngineSpec::parse_for("rocks", KINDS)
            .expect_err("kind")
            .to_string();
        assert!(
            e.contains("unknown engine kind 'rocks' in spec 'rocks'; allowed: toy, other"),
            "{e}"
        );
        let e = EngineSpec::parse_for("toy:colur=red", KINDS)
            .expect_err("key")
            .to_string();
        assert!(
            e.contains("unknown key 'colur' for engine 'toy'; allowed: colour, size, ratio"),
            "{e}"
        );
        let e = EngineSpec::parse_for("toy:colour=blue", KINDS)
            .expect_err("value")
            .to_string();
        assert!(
            e.contains("bad value 'blue' for 'colour' of engine 'toy'; allowed: red, green"),
            "{e}"
        );
        let e = EngineSpec::parse_for("toy:size=ten", KINDS)
            .expect_err("number")
            .to_string();
        assert!(e.contains("optionally with K, M or G"), "{e}");
        let e = EngineSpec::parse_for("toy:ratio=-1", KINDS)
            .expect_err("decimal")
            .to_string();
        assert!(e.contains("a non-negative decimal number"), "{e}");
        assert!(EngineSpec::parse_for("toy:colour", KINDS).is_err());
        assert!(matches!(
            EngineSpec::parse_for("other:x=1", KINDS),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn resolved_fills_fixed_defaults_only() {
        let s = EngineSpec::parse_for("toy:size=1M", KINDS).expect("valid");
        let r = s.resolved(&TOY);
        assert_eq!(r.to_string(), "toy:colour=red,size=1M");
        assert_eq!(r.get("ratio"), None);
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
        let s = EngineSpec::parse_for("toy:size=10", KINDS).expect("valid");
        assert_eq!(
            s.with_default("size", "0", &TOY)
                .expect("ok")
                .number("size"),
            Some(10)
        );
        assert_eq!(
            s.with_default("ratio", "2", &TOY).expect("ok").get("ratio"),
            Some("2")
        );
        assert!(s.with_checked("colour", "nope", &TOY).is_err());
        assert!(s.with_default("shape", "round", &TOY).is_err());
    }
}
