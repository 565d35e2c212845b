//! `scan`: every pair in key order, as `ldb scan` prints them.

use super::bytes::{arg_bytes, to_hex};
use super::error::DbError;
use crate::cli::db::ScanArgs;
use std::io::Write;
use strata_api::{Engine, ReadOptions};

/// Prints the pairs in `[from, to)`, at most `max` of them, one a line.
///
/// # Errors
/// Exit 1 if the cursor fails (a corrupt block: file and offset named) or
/// output cannot be written; exit 2 for bad hex.
pub fn scan(engine: &dyn Engine, args: &ScanArgs, out: &mut dyn Write) -> Result<(), DbError> {
    let from = args
        .from
        .as_deref()
        .map(|k| arg_bytes(k, args.hex, "--from"))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|k| arg_bytes(k, args.hex, "--to"))
        .transpose()?;
    let options = ReadOptions {
        verify_checksums: true,
        fill_cache: false,
        ..ReadOptions::default()
    };
    let mut cursor = engine.iter(&options)?;
    match &from {
        Some(key) => cursor.seek(key),
        None => cursor.seek_to_first(),
    }
    let mut printed = 0u64;
    let max = args.max.unwrap_or(u64::MAX);
    while cursor.valid() && printed < max {
        if to.as_deref().is_some_and(|end| cursor.key() >= end) {
            break;
        }
        write_pair(out, cursor.key(), cursor.value(), args.hex)?;
        printed += 1;
        cursor.next();
    }
    cursor.status()?;
    Ok(())
}

/// One line: raw bytes, or `ldb --hex`'s `0x` uppercase form.
fn write_pair(out: &mut dyn Write, key: &[u8], value: &[u8], hex: bool) -> std::io::Result<()> {
    if hex {
        writeln!(out, "{} : {}", to_hex(key), to_hex(value))
    } else {
        out.write_all(key)?;
        out.write_all(b" : ")?;
        out.write_all(value)?;
        out.write_all(b"\n")
    }
}
