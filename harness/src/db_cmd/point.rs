//! The single-key and whole-database commands: `get`, `put`, `delete`,
//! `stats`, `compact`.

use super::bytes::{arg_bytes, to_hex};
use super::error::DbError;
use std::io::Write;
use strata_api::{Engine, ReadOptions, WriteOptions};

/// Prints the value of `key` and a newline (as `0x…` hex with `hex`).
///
/// # Errors
/// Exit 1 if the key is absent or the read fails; exit 2 for bad hex.
pub fn get(engine: &dyn Engine, key: &str, hex: bool, out: &mut dyn Write) -> Result<(), DbError> {
    let key = arg_bytes(key, hex, "key")?;
    let Some(value) = engine.get(&ReadOptions::default(), &key)? else {
        return Err(DbError::KeyNotFound { key });
    };
    if hex {
        writeln!(out, "{}", to_hex(&value))?;
    } else {
        out.write_all(&value)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Sets `key` to `value` (synced, so the write survives the process) and
/// prints `OK`.
///
/// # Errors
/// Exit 1 if the write fails; exit 2 for bad hex.
pub fn put(
    engine: &dyn Engine,
    key: &str,
    value: &str,
    hex: bool,
    out: &mut dyn Write,
) -> Result<(), DbError> {
    let key = arg_bytes(key, hex, "key")?;
    let value = arg_bytes(value, hex, "value")?;
    engine.put(&synced(), &key, &value)?;
    writeln!(out, "OK")?;
    Ok(())
}

/// Removes `key` (absent is not an error, as in LevelDB) and prints `OK`.
///
/// # Errors
/// Exit 1 if the write fails; exit 2 for bad hex.
pub fn delete(
    engine: &dyn Engine,
    key: &str,
    hex: bool,
    out: &mut dyn Write,
) -> Result<(), DbError> {
    let key = arg_bytes(key, hex, "key")?;
    engine.delete(&synced(), &key)?;
    writeln!(out, "OK")?;
    Ok(())
}

/// Prints the `leveldb.stats` property.
///
/// # Errors
/// Exit 1 if the engine does not report it.
pub fn stats(engine: &dyn Engine, out: &mut dyn Write) -> Result<(), DbError> {
    let text = engine
        .property("leveldb.stats")
        .ok_or_else(|| DbError::NoStats {
            engine: engine.spec().to_string(),
        })?;
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Compacts every key and waits for the background work it queued.
///
/// # Errors
/// Exit 1 on an error met while compacting.
pub fn compact(engine: &dyn Engine) -> Result<(), DbError> {
    engine.compact_range(None, None)?;
    engine.wait_for_background()?;
    Ok(())
}

/// Each command is one process: its writes must be durable when it exits.
pub fn synced() -> WriteOptions {
    WriteOptions::with_sync(true)
}
